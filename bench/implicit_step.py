"""Implicit mode's training step vs explicit static mode, on the seed MLP (784-128-10) at
batch 64: cross entropy, backward, SGD with momentum.

explicit: the program is built once (program_guard + minimize) and each step is one
          `Executor.run` from the cached plan, fed the batch's arrays;
implicit: the same calls each step (forward, backward(), step()) in implicit mode on the
          batch's tensors: recorded into a program, run by the Executor from its plan cache,
          then dropped. The tensors are made once, as a DataLoader hands over its batches
          (bound to the collated arrays, no copy) and as the explicit step is fed;
          "implicit+to_tensor" calls `paddle.to_tensor` on the arrays in each step, which
          copies them (Paddle's semantics): reported too, the copy is not implicit mode's
          work.
A step that repeats the previous one is *replayed* (dualnet_static/dygraph/replay.py): its ops
are matched against the last step's instead of recorded, and the cached plan runs. The ratio
is implicit / explicit (target <= 1.2x): what the Python-level matching costs over a bare
`Executor.run`. All are timed in alternating rounds; a ratio is the median of the rounds'
quotients. Run: python -m bench.implicit_step
[batch]
"""
from __future__ import annotations

import statistics
import sys
import time

import numpy as np


def _net(paddle):
    nn, F = paddle.nn, paddle.nn.functional

    class Net(nn.Layer):  # the seed MLP, Paddle style
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = paddle.flatten(x, 1)
            return F.log_softmax(self.fc2(F.relu(self.fc1(x))), axis=1)

    return Net()


def _data(batch: int):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((batch, 1, 28, 28)).astype(np.float32),
            rng.integers(0, 10, batch).astype(np.int64))


def explicit_step(batch: int):
    import dualnet_static as paddle
    from dualnet_static import static

    xa, ya = _data(batch)
    paddle.seed(0)
    main, startup, scope = static.Program(), static.Program(), static.Scope()
    with static.program_guard(main, startup):
        x = static.data("x", [None, 1, 28, 28], "float32")
        y = static.data("y", [None], "int64")
        loss = paddle.nn.functional.cross_entropy(_net(paddle)(x), y)
        paddle.optimizer.Momentum(learning_rate=0.01, momentum=0.9).minimize(loss)
    exe = static.Executor()
    exe.run(startup, scope=scope)

    def step():
        exe.run(main, feed={"x": xa, "y": ya}, fetch_list=[loss], scope=scope)

    return step


def implicit_step(batch: int, to_tensor: bool = False):
    """The implicit-mode step; `to_tensor`: the batch goes through paddle.to_tensor (a
    copy) in every step instead of being tensors already."""
    import dualnet_static as paddle

    xa, ya = _data(batch)
    paddle.seed(0)
    net = _net(paddle)
    opt = paddle.optimizer.Momentum(learning_rate=0.01, momentum=0.9,
                                    parameters=net.parameters())
    F = paddle.nn.functional
    if to_tensor:
        def step():
            opt.clear_grad()
            loss = F.cross_entropy(net(paddle.to_tensor(xa)), paddle.to_tensor(ya))
            loss.backward()
            opt.step()
            return loss
    else:
        x, y = paddle.to_tensor(xa), paddle.to_tensor(ya)

        def step():
            opt.clear_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            return loss

    return step


def _interleaved(steps: dict, rounds: int = 30, number: int = 20) -> dict:
    """ms per step of each closure in each round, timed in alternating rounds (on a shared
    machine the load then weighs on every mode alike)."""
    times = {name: [] for name in steps}
    for step in steps.values():
        for _ in range(5):
            step()
    for _ in range(rounds):
        for name, step in steps.items():
            t0 = time.perf_counter()
            for _ in range(number):
                step()
            times[name].append((time.perf_counter() - t0) / number * 1e3)
    return times


def _ratio(times: dict, name: str) -> float:
    """The median over rounds of `name`'s time / explicit's in the same round (a paired
    ratio: a slow spell of the machine weighs on both sides of each quotient)."""
    return statistics.median(a / b for a, b in zip(times[name], times["explicit"]))


def run(batch: int = 64) -> dict:
    from dualnet_static import static
    from dualnet_static.dygraph import SESSION

    # two pairs, each interleaved on its own (a third mode in the rounds would weigh on the
    # caches of the other two)
    before, replays = static.plan_cache_info().compiles, SESSION.replays
    times = _interleaved({"explicit": explicit_step(batch), "implicit": implicit_step(batch)})
    copied = _interleaved({"explicit": explicit_step(batch),
                           "implicit+to_tensor": implicit_step(batch, to_tensor=True)})
    ms = {name: statistics.median(t) for name, t in {**times, **copied}.items()}
    return {"model": "mlp", "batch": batch,
            "explicit ms": f"{statistics.median(times['explicit']):.3f}",
            "implicit ms": f"{ms['implicit']:.3f}",
            "ratio": f"{_ratio(times, 'implicit'):.2f}x",
            "implicit+to_tensor ms": f"{ms['implicit+to_tensor']:.3f}",
            "ratio with to_tensor": f"{_ratio(copied, 'implicit+to_tensor'):.2f}x",
            "compiles": static.plan_cache_info().compiles - before,
            "replayed steps": SESSION.replays - replays}


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    batch = int(argv[0]) if argv else 64
    row = run(batch)
    print("  ".join(f"{k}: {v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
