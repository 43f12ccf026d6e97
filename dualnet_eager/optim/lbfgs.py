"""L-BFGS (torch.optim.LBFGS), written over eager Tensor operations on the flattened
parameters: two-loop recursion over the last `history_size` curvature pairs, then a fixed step
(lr) or a strong-Wolfe line search (cubic interpolation, Nocedal & Wright algorithms 3.5/3.6).
"""
from __future__ import annotations

import math

from ..autograd import grad_mode
from .. import creation, functions
from .optimizer import Optimizer

__all__ = ["LBFGS"]


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None) -> float:
    """Minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to `bounds`
    (default: the interval between x1 and x2); the midpoint when the cubic has none."""
    lo, hi = bounds if bounds is not None else sorted((x1, x2))
    d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Step length t along d meeting the strong Wolfe conditions: (loss, flat grad, t,
    evaluations). `evaluate(t)` returns (loss, flat grad) at x + t * d."""
    d_norm = float(d.abs().max())
    f_new, g_new = evaluate(t)
    evals, gtd_new = 1, float(g_new.dot(d))
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done, ls_iter = False, 0
    bracket = None
    while ls_iter < max_ls:  # bracketing phase
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev) or gtd_new >= 0:
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, done = [[t, f_new, g_new, gtd_new]], True
            break
        lo, hi = t + 0.01 * (t - t_prev), t * 10.0
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(lo, hi))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals, gtd_new, ls_iter = evals + 1, float(g_new.dot(d)), ls_iter + 1
    if bracket is None:
        bracket = [[0.0, f, g, gtd], [t, f_new, g_new, gtd_new]]
    if done:
        return bracket[0][1], bracket[0][2], bracket[0][0], evals
    low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
    insufficient = False
    while ls_iter < max_ls:  # zoom phase
        a, b = bracket[0][0], bracket[1][0]
        if abs(b - a) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(a, bracket[0][1], bracket[0][3], b, bracket[1][1], bracket[1][3])
        top, bottom = max(a, b), min(a, b)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:  # too close to an end: move away from it
            if insufficient or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals, gtd_new, ls_iter = evals + 1, float(g_new.dot(d)), ls_iter + 1
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = [t, f_new, g_new, gtd_new]
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = [t, f_new, g_new, gtd_new]
            if done:
                break
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals


class LBFGS(Optimizer):
    """Limited-memory BFGS. One parameter group; `step(closure)` runs up to max_iter
    iterations, calling `closure()` (which recomputes the loss and its gradients)."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if not 0.0 <= float(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise RuntimeError("only 'strong_wolfe' is supported")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ------------------------------------------------------------ flat views
    def _flat_grad(self):
        parts = []
        for p in self._params:
            if p.grad is None:
                parts.append(creation.zeros_like(p).reshape(-1))
            else:
                parts.append(p.grad.detach().reshape(-1))
        return functions.cat(parts, 0)

    def _add_flat(self, step: float, d) -> None:
        offset = 0
        for p in self._params:
            n = p.numel()
            p.add_(d[offset:offset + n].view_as(p), alpha=step)
            offset += n

    def _snapshot(self) -> list:
        return [p.detach().clone() for p in self._params]

    def _restore(self, values) -> None:
        for p, v in zip(self._params, values):
            p.copy_(v)

    def _loss(self, closure) -> float:
        with grad_mode.enable_grad():
            return float(closure())

    # ------------------------------------------------------------ step
    def step(self, closure):  # noqa: C901 (the algorithm reads best in one piece)
        """Run the optimization loop; returns the loss of the first closure evaluation."""
        if closure is None:
            raise RuntimeError("LBFGS requires a closure that reevaluates the model")
        with grad_mode.no_grad():
            return self._step(closure)

    def _step(self, closure):
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history = group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with grad_mode.enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if float(flat_grad.abs().max()) <= tol_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps = state.get("old_dirs", []), state.get("old_stps", [])
        ro, h_diag = state.get("ro", []), state.get("H_diag", 1.0)
        prev_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = flat_grad.neg()
                old_dirs, old_stps, ro, h_diag = [], [], [], 1.0
            else:
                y = flat_grad.sub(prev_grad)
                s = d.mul(t)
                ys = float(y.dot(s))
                if ys > 1e-10:  # keep the pair only when the curvature is positive
                    if len(old_dirs) == history:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y.dot(y))
                d = self._two_loop(flat_grad, old_dirs, old_stps, ro, h_diag)
            prev_grad, prev_loss = flat_grad.clone(), loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(flat_grad.abs().sum())) * lr
            else:
                t = lr
            gtd = float(flat_grad.dot(d))
            if gtd > -tol_change:  # not a descent direction
                break
            if group["line_search_fn"] is not None:
                x0 = self._snapshot()

                def evaluate(step, x0=x0, d=d):
                    self._add_flat(step, d)
                    value = self._loss(closure)
                    grad = self._flat_grad()
                    self._restore(x0)
                    return value, grad

                loss, flat_grad, t, ls_evals = _strong_wolfe(
                    evaluate, t, d, loss, flat_grad, gtd, tolerance_change=tol_change)
                self._add_flat(t, d)
                small_grad = float(flat_grad.abs().max()) <= tol_grad
            else:
                self._add_flat(t, d)
                ls_evals = 0
                small_grad = False
                if n_iter != max_iter:
                    loss = self._loss(closure)
                    flat_grad = self._flat_grad()
                    small_grad = float(flat_grad.abs().max()) <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if n_iter == max_iter or evals >= max_eval or small_grad:
                break
            if float(d.abs().max()) * abs(t) <= tol_change:
                break
            if abs(loss - prev_loss) < tol_change:
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_grad, prev_loss=prev_loss)
        return orig_loss

    @staticmethod
    def _two_loop(flat_grad, old_dirs, old_stps, ro, h_diag):
        """d = -H g with H the L-BFGS inverse-Hessian estimate (initial scale h_diag)."""
        q = flat_grad.neg()
        alphas = [0.0] * len(old_dirs)
        for i in range(len(old_dirs) - 1, -1, -1):
            alphas[i] = float(old_stps[i].dot(q)) * ro[i]
            q.add_(old_dirs[i], alpha=-alphas[i])
        r = q.mul(h_diag)
        for i in range(len(old_dirs)):
            beta = float(old_dirs[i].dot(r)) * ro[i]
            r.add_(old_stps[i], alpha=alphas[i] - beta)
        return r
