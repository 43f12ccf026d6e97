"""torch.nn.utils.rnn: pad_sequence, and packed sequences (PackedSequence, pack_padded_sequence,
pad_packed_sequence, pack_sequence, unpack_sequence) with PyTorch's layout: `data` holds the
time steps one after another, each with the sequences still running, longest first;
`batch_sizes` (int64, CPU) counts them per step. The recurrent layers take a PackedSequence
and run the padded batch with per-sequence lengths (padded steps keep the state)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dualnet.ops import apply
from dualnet.ops.shape import stack


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right"):
    """Stack variable-length tensors (L_i, *) into (L_max, B, *) (or (B, L_max, *)),
    padding with `padding_value`."""
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        pads = [0, 0] * (s.ndim - 1) + ([0, extra] if padding_side == "right" else [extra, 0])
        padded.append(apply("pad", s, pads=tuple(pads), mode="constant",
                            value=float(padding_value)) if extra else s)
    return stack(padded, 0 if batch_first else 1)


class PackedSequence(NamedTuple):
    data: object
    batch_sizes: object
    sorted_indices: object = None
    unsorted_indices: object = None

    def to(self, *args, **kwargs) -> "PackedSequence":
        return self._replace(data=self.data.to(*args, **kwargs))

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def _tensor(values, dtype=np.int64):
    from ...tensor import Tensor

    return Tensor._wrap(np.asarray(values, dtype=dtype))


def _lengths(lengths) -> np.ndarray:
    values = lengths.tolist() if hasattr(lengths, "tolist") else list(lengths)
    out = np.asarray(values, dtype=np.int64).reshape(-1)
    if out.size and out.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    return out


def pack_padded_sequence(input, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *)) of sequences of `lengths`."""
    n = _lengths(lengths)
    x = input.transpose(0, 1) if batch_first else input
    if len(n) != x.shape[1]:
        raise ValueError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                         f"{len(n)} (batch_size={x.shape[1]})")
    if enforce_sorted:
        if np.any(n[:-1] < n[1:]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        order, sorted_t, unsorted_t = np.arange(len(n)), None, None
    else:
        order = np.argsort(-n, kind="stable")
        sorted_t, unsorted_t = _tensor(order), _tensor(np.argsort(order, kind="stable"))
    if n.max() > x.shape[0]:
        raise RuntimeError(f"pack_padded_sequence: a length ({n.max()}) exceeds the padded "
                           f"length ({x.shape[0]})")
    sizes = np.array([(n > t).sum() for t in range(int(n.max()))], dtype=np.int64)
    steps = [apply("index_select", x[t], _tensor(order[:b]), axis=0)
             for t, b in enumerate(sizes)]
    return PackedSequence(apply("concat", *steps, axis=0), _tensor(sizes), sorted_t,
                          unsorted_t)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length=None) -> tuple:
    """The padded batch (T, B, *) (or (B, T, *)) in the original order, and the lengths."""
    sizes = np.asarray(sequence.batch_sizes.tolist(), dtype=np.int64)
    batch, steps = int(sizes[0]), len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps_out = int(total_length)
    else:
        steps_out = steps
    data, rows, offset = sequence.data, [], 0
    tail = (0, 0) * (data.ndim - 1)
    for b in sizes:
        step = data[offset:offset + int(b)]
        offset += int(b)
        if b < batch:  # the finished sequences: padding rows after the running ones
            step = apply("pad", step, pads=tail + (0, int(batch - b)), mode="constant",
                         value=float(padding_value))
        rows.append(step)
    padded = stack(rows, 0)  # (T, B, *) in sorted order
    if steps_out > steps:
        pads = (0, 0) * (padded.ndim - 1) + (0, steps_out - steps)
        padded = apply("pad", padded, pads=pads, mode="constant", value=float(padding_value))
    lengths = np.array([(sizes > i).sum() for i in range(batch)], dtype=np.int64)
    if sequence.unsorted_indices is not None:
        padded = apply("index_select", padded, sequence.unsorted_indices, axis=1)
        lengths = lengths[np.asarray(sequence.unsorted_indices.tolist())]
    return (padded.transpose(0, 1) if batch_first else padded), _tensor(lengths)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of (L_i, *) tensors a PackedSequence holds, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return [padded[i, :int(n)] for i, n in enumerate(lengths.tolist())]
