"""Recurrent cells and the unrolled time loop, shared by both front ends (composites).

Weights follow the common layout of PyTorch and Paddle: w_ih [gates * hidden, input],
w_hh [gates * hidden, hidden], gates stacked as LSTM (i, f, g, o) and GRU (r, z, n) - the two
frameworks agree on the order and on the formulas:
  LSTM  c' = f * c + i * tanh(g),  h' = o * tanh(c')
  GRU   n = tanh(x_n + r * (W_hn h + b_hn)),  h' = (h - n) * z + n
  RNN   h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)   (act: tanh or relu)
The input projection of every time step is one GEMM (`project`); `scan` walks the steps of
a time-major (T, N, G*H) projection, which needs a known number of steps (the loop unrolls).
"""
from __future__ import annotations

from .registry import get
from .shape import chunk, stack, unbind

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _op(name):
    return get(name)


def project(x, w_ih, b_ih=None):
    """x [..., input] -> [..., gates * hidden]: the input part of every gate at once."""
    return _op("linear")(x, w_ih, b_ih)


def rnn_step(x_proj, h, w_hh, b_hh=None, activation: str = "tanh"):
    """One Elman step from the projected input; returns the new hidden state."""
    if activation not in ("tanh", "relu"):
        raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
    pre = _op("add")(x_proj, _op("linear")(h, w_hh, b_hh))
    return _op(activation)(pre)


def lstm_step(x_proj, state, w_hh, b_hh=None):
    """One LSTM step; state and result are (h, c)."""
    mul, sigmoid, tanh = _op("mul"), _op("sigmoid"), _op("tanh")
    h, c = state
    gates = _op("add")(x_proj, _op("linear")(h, w_hh, b_hh))
    i, f, g, o = chunk(gates, 4, -1)
    c = _op("add")(mul(sigmoid(f), c), mul(sigmoid(i), tanh(g)))
    return mul(sigmoid(o), tanh(c)), c


def gru_step(x_proj, h, w_hh, b_hh=None):
    """One GRU step (reset gate applied after the hidden projection, as cuDNN)."""
    add, mul, sigmoid = _op("add"), _op("mul"), _op("sigmoid")
    xr, xz, xn = chunk(x_proj, 3, -1)
    hr, hz, hn = chunk(_op("linear")(h, w_hh, b_hh), 3, -1)
    r = sigmoid(add(xr, hr))
    z = sigmoid(add(xz, hz))
    n = _op("tanh")(add(xn, mul(r, hn)))
    return add(mul(_op("sub")(h, n), z), n)


def step(mode: str, x_proj, state, w_hh, b_hh=None):
    """The step of `mode` (a key of GATES)."""
    if mode == "LSTM":
        return lstm_step(x_proj, state, w_hh, b_hh)
    if mode == "GRU":
        return gru_step(x_proj, state, w_hh, b_hh)
    return rnn_step(x_proj, state, w_hh, b_hh, "relu" if mode == "RNN_RELU" else "tanh")


def zero_state(mode: str, x_proj_t):
    """Zero initial state(s) [N, hidden] shaped like one step's projection [N, G*hidden]
    (works with an unknown batch dim)."""
    h = _op("zeros_like")(chunk(x_proj_t, GATES[mode], -1)[0])
    return (h, h) if mode == "LSTM" else h


def time_steps(x, what: str) -> tuple:
    """The slices of a time-major x along dim 0; a clear error when their number is unknown."""
    if x.shape[0] == -1:
        raise ValueError(f"{what}: the number of time steps must be known to unroll the "
                         f"recurrence, got input of shape {list(x.shape)} (time dim -1)")
    return unbind(x, 0)


def _keep_where(mask, new, old):
    """new where mask (N, 1) is 1, else old."""
    return _op("add")(old, _op("mul")(_op("sub")(new, old), mask))


def scan(step_fn, inputs, state, reverse: bool = False, masks=None, is_lstm: bool = False):
    """Run `step_fn(input_t, state) -> state` over the list `inputs` (time order), backwards
    when `reverse`. masks (a list of (N, 1) 0/1 arrays or None) freeze the state and zero the
    output at padded steps. Returns (outputs stacked on a new dim 0, final state)."""
    n = len(inputs)
    outs = [None] * n
    order = range(n - 1, -1, -1) if reverse else range(n)
    for t in order:
        new = step_fn(inputs[t], state)
        if masks is not None:
            if is_lstm:
                new = tuple(_keep_where(masks[t], a, b) for a, b in zip(new, state))
            else:
                new = _keep_where(masks[t], new, state)
        state = new
        out = state[0] if is_lstm else state
        outs[t] = out if masks is None else _op("mul")(out, masks[t])
    return stack(outs, 0), state


def run_direction(mode: str, x, state, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False,
                  masks=None, what: str = "RNN"):
    """One layer, one direction over time-major x (T, N, I): all input projections in one
    GEMM, then the steps. state None starts from zeros. Returns (outputs (T, N, H), final)."""
    x_proj = time_steps(project(x, w_ih, b_ih), what)
    if state is None:
        state = zero_state(mode, x_proj[0])

    def fn(xt, s):
        return step(mode, xt, s, w_hh, b_hh)

    return scan(fn, x_proj, state, reverse, masks, mode == "LSTM")


def sequence_masks(sequence_length, n_steps: int, dtype: str) -> list:
    """[(N, 1) float masks]: 1 where t < sequence_length[n]."""
    masks = []
    for t in range(n_steps):
        m = _op("cast")(_op("greater")(sequence_length, t), dtype=dtype)
        masks.append(_op("unsqueeze")(m, axis=-1))
    return masks
