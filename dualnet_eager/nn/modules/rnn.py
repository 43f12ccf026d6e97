"""Recurrent layers: RNN, LSTM, GRU and their cells, with PyTorch's parameter names
(weight_ih_l0, weight_hh_l0_reverse, ...), gate order (LSTM i, f, g, o; GRU r, z, n), init and
return values. The time loop runs in Python; each step is a few registry ops."""
from __future__ import annotations

import math

from dualnet.ops import apply
from dualnet.ops import rnn as _rnn
from dualnet.ops.shape import stack

from ...creation import empty, zeros
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

_GATES = _rnn.GATES


class RNNBase(Module):
    """Shared parameters and the layer/direction loop of RNN, LSTM and GRU."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if proj_size:
            raise NotImplementedError("LSTM(proj_size > 0) is not supported")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if hidden_size <= 0 or num_layers <= 0:
            raise ValueError("hidden_size and num_layers must be greater than 0")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else hidden_size * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(empty(shape, device=device, dtype=dtype)))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op (cuDNN weight packing in PyTorch)."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    def _weights(self, layer: int, direction: int) -> tuple:
        suffix = "_reverse" if direction == 1 else ""
        get = lambda kind: getattr(self, f"{kind}_l{layer}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _run_direction(self, x, state, layer, direction, masks=None):
        """x (L, N, I) -> (outputs (L, N, H), final state); the math is dualnet.ops.rnn's.
        masks (per step, (N, 1)): a packed batch's padded steps keep the state."""
        w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
        return _rnn.run_direction(self.mode, x, state, w_ih, w_hh, b_ih, b_hh,
                                  reverse=direction == 1, masks=masks,
                                  what=type(self).__name__)

    def _initial_state(self, x, hx, batched):
        d = 2 if self.bidirectional else 1
        shape = (self.num_layers * d, x.shape[1], self.hidden_size)
        if hx is None:
            h0 = zeros(shape, dtype=x.dtype, device=x.device)
            return (h0, h0) if self.mode == "LSTM" else h0
        if not batched:
            hx = tuple(h.unsqueeze(1) for h in hx) if self.mode == "LSTM" else hx.unsqueeze(1)
        for h in (hx if self.mode == "LSTM" else (hx,)):
            if tuple(h.shape) != shape:
                raise RuntimeError(f"Expected hidden size {shape}, got {tuple(h.shape)}")
        return hx

    def forward(self, input, hx=None):
        from ..utils.rnn import PackedSequence, pad_packed_sequence

        if isinstance(input, PackedSequence):  # padded in the original order + lengths
            padded, lengths = pad_packed_sequence(input)
            masks = _rnn.sequence_masks(lengths, padded.shape[0], padded.dtype.name)
            output, state = self._forward(padded, hx, False, masks)
            return _repack(output, input), state
        return self._forward(input, hx, input.dim() == 3 and self.batch_first)

    def _forward(self, input, hx, batch_first, masks=None):
        batched = input.dim() == 3
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D tensor instead")
        x = input if batched else input.unsqueeze(1)
        if batch_first:
            x = x.transpose(0, 1)
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        state0 = self._initial_state(x, hx, batched)
        num_directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                i = layer * num_directions + direction
                s = (state0[0][i], state0[1][i]) if self.mode == "LSTM" else state0[i]
                out, s = self._run_direction(x, s, layer, direction, masks)
                outputs.append(out)
                finals.append(s)
            x = outputs[0] if num_directions == 1 else apply("concat", *outputs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        output = x.transpose(0, 1) if batch_first else x
        if self.mode == "LSTM":
            h_n = stack([f[0] for f in finals], 0)
            c_n = stack([f[1] for f in finals], 0)
            if not batched:
                return output.squeeze(1), (h_n.squeeze(1), c_n.squeeze(1))
            return output, (h_n, c_n)
        h_n = stack(finals, 0)
        if not batched:
            return output.squeeze(1), h_n.squeeze(1)
        return output, h_n

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity != "tanh" else "")


class LSTM(RNNBase):
    """Long short-term memory; returns (output, (h_n, c_n))."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit; returns (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


class RNNCellBase(Module):
    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _zeros(self, input):
        shape = (input.shape[0], self.hidden_size) if input.dim() == 2 else (self.hidden_size,)
        return zeros(shape, dtype=input.dtype, device=input.device)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)


class RNNCell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        h = self._zeros(input) if hx is None else hx
        return _rnn.rnn_step(_rnn.project(input, self.weight_ih, self.bias_ih), h,
                             self.weight_hh, self.bias_hh, self.nonlinearity)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            z = self._zeros(input)
            hx = (z, z)
        return _rnn.lstm_step(_rnn.project(input, self.weight_ih, self.bias_ih), hx,
                              self.weight_hh, self.bias_hh)


class GRUCell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        h = self._zeros(input) if hx is None else hx
        return _rnn.gru_step(_rnn.project(input, self.weight_ih, self.bias_ih), h,
                             self.weight_hh, self.bias_hh)


def _repack(output, like):
    """The (T, B, H) output of a packed input, packed the way `like` is."""
    from ..utils.rnn import PackedSequence

    sizes = like.batch_sizes.tolist()
    order = like.sorted_indices
    steps = [apply("index_select", output[t], order[:b], axis=0) if order is not None
             else output[t, :b] for t, b in enumerate(sizes)]
    return PackedSequence(apply("concat", *steps, axis=0), like.batch_sizes, like.sorted_indices,
                          like.unsorted_indices)
