"""RNN, LSTM, GRU (and cells) against NumPy loops of PyTorch's equations, plus gradients."""
import numpy as np
import pytest

import dualnet_eager as torch
import dualnet_eager.nn as nn

from .test_nn_layers import gradcheck, rand


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def sig(x):
    return 1 / (1 + np.exp(-x))


def np_cell(mode, x, state, w_ih, w_hh, b_ih, b_hh):
    gi, gh = x @ w_ih.T + b_ih, state[0] @ w_hh.T + b_hh
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c = sig(f) * state[1] + sig(i) * np.tanh(g)
        return sig(o) * np.tanh(c), c
    if mode == "GRU":
        xr, xz, xn = np.split(gi, 3, axis=-1)
        hr, hz, hn = np.split(gh, 3, axis=-1)
        r, z = sig(xr + hr), sig(xz + hz)
        n = np.tanh(xn + r * hn)
        return ((1 - z) * n + z * state[0],)
    return (np.tanh(gi + gh),)


def np_rnn(model, mode, x):
    """x (L, N, I) -> (output, final states per layer/direction)."""
    d = 2 if model.bidirectional else 1
    n, h = x.shape[1], model.hidden_size
    finals = []
    for layer in range(model.num_layers):
        outs = []
        for direction in range(d):
            sfx = "_reverse" if direction else ""
            w = [getattr(model, f"{k}_l{layer}{sfx}").detach().numpy()
                 for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            state = (np.zeros((n, h)), np.zeros((n, h)))
            seq = [None] * x.shape[0]
            order = range(x.shape[0] - 1, -1, -1) if direction else range(x.shape[0])
            for t in order:
                state = np_cell(mode, x[t], state if mode == "LSTM" else (state[0],), *w)
                if mode != "LSTM":
                    state = (state[0], None)
                seq[t] = state[0]
            outs.append(np.stack(seq))
            finals.append(state)
        x = np.concatenate(outs, axis=2)
    return x, finals


@pytest.mark.parametrize("cls,mode", [(nn.RNN, "RNN"), (nn.LSTM, "LSTM"), (nn.GRU, "GRU")])
def test_recurrent_layers_match_numpy(cls, mode):
    model = cls(3, 4, num_layers=2, bidirectional=True).double()
    x = rand(5, 2, 3)
    out, hidden = model(x)
    ref, finals = np_rnn(model, mode, x.detach().numpy())
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-10, atol=1e-12)
    h_n = hidden[0] if mode == "LSTM" else hidden
    np.testing.assert_allclose(h_n.detach().numpy(), np.stack([f[0] for f in finals]),
                               rtol=1e-10, atol=1e-12)
    if mode == "LSTM":
        np.testing.assert_allclose(hidden[1].detach().numpy(),
                                   np.stack([f[1] for f in finals]), rtol=1e-10, atol=1e-12)


def test_recurrent_keys_shapes_and_init():
    lstm = nn.LSTM(10, 20, num_layers=2)
    assert [(k, tuple(v.shape)) for k, v in lstm.state_dict().items()] == [
        ("weight_ih_l0", (80, 10)), ("weight_hh_l0", (80, 20)), ("bias_ih_l0", (80,)),
        ("bias_hh_l0", (80,)), ("weight_ih_l1", (80, 20)), ("weight_hh_l1", (80, 20)),
        ("bias_ih_l1", (80,)), ("bias_hh_l1", (80,))]
    bound = 1 / np.sqrt(20)
    assert all(np.abs(p.detach().numpy()).max() <= bound for p in lstm.parameters())
    assert repr(nn.GRU(3, 4, batch_first=True)) == "GRU(3, 4, batch_first=True)"
    assert list(nn.GRUCell(2, 3, bias=False).state_dict()) == ["weight_ih", "weight_hh"]


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_recurrent_grad_batch_first_and_unbatched(cls):
    model = cls(2, 3, batch_first=True).double()
    x = rand(2, 4, 2)
    out = gradcheck(lambda t: model(t)[0], x, atol=1e-5)
    assert out.shape == (2, 4, 3)
    single = model(x[0])[0]
    np.testing.assert_allclose(single.detach().numpy(), out.detach().numpy()[0], rtol=1e-10)
    gradcheck(model, rand(2, 3, 2, seed=3), atol=1e-5)


def test_cells_match_layers():
    for cell_cls, layer_cls in ((nn.LSTMCell, nn.LSTM), (nn.GRUCell, nn.GRU),
                                (nn.RNNCell, nn.RNN)):
        cell = cell_cls(2, 3).double()
        layer = layer_cls(2, 3).double()
        layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
        x = rand(1, 4, 2)
        state = cell(x[0])
        h = state[0] if isinstance(state, tuple) else state
        np.testing.assert_allclose(h.detach().numpy(), layer(x)[0].detach().numpy()[0],
                                   rtol=1e-10)
    gradcheck(nn.LSTMCell(2, 3).double(), rand(4, 2), atol=1e-5)


def test_hidden_state_argument_and_errors():
    gru = nn.GRU(2, 3, num_layers=2)
    h0 = torch.randn(2, 4, 3)
    out, h = gru(torch.randn(5, 4, 2), h0)
    assert out.shape == (5, 4, 3) and h.shape == (2, 4, 3)
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        gru(torch.randn(5, 4, 2), torch.randn(1, 4, 3))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size"):
        gru(torch.randn(5, 4, 7))


def test_pad_sequence():
    from dualnet_eager.nn.utils.rnn import pad_sequence

    seqs = [torch.ones(2, 3), torch.ones(4, 3) * 2, torch.ones(1, 3) * 3]
    out = pad_sequence(seqs, batch_first=True, padding_value=-1.0)
    assert out.shape == (3, 4, 3)
    assert out.numpy()[0, :, 0].tolist() == [1, 1, -1, -1]
    assert out.numpy()[2, :, 0].tolist() == [3, -1, -1, -1]
    assert pad_sequence(seqs).shape == (4, 3, 3)
    left = pad_sequence(seqs, batch_first=True, padding_side="left")
    assert left.numpy()[0, :, 0].tolist() == [0, 0, 1, 1]
    nn.LSTM(2, 2).flatten_parameters()


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_sequences_match_running_each_sequence_alone(mode, enforce_sorted):
    """A packed batch gives each sequence the outputs and final state it gets run alone
    (both directions, two layers), and the gradient flows back to the padded input."""
    from dualnet_eager.nn.utils.rnn import (pack_padded_sequence, pack_sequence,
                                            pad_packed_sequence, unpack_sequence)
    torch.manual_seed(0)
    rnn = getattr(torch.nn, mode)(3, 4, num_layers=2, bidirectional=True)
    lengths = [5, 4, 2] if enforce_sorted else [2, 5, 4]
    seqs = [torch.randn(n, 3) for n in lengths]
    padded = torch.nn.utils.rnn.pad_sequence(seqs).requires_grad_(True)
    packed = pack_padded_sequence(padded, lengths, enforce_sorted=enforce_sorted)
    assert packed.batch_sizes.tolist() == [3, 3, 2, 2, 1]
    out, state = rnn(packed)
    h_n = state[0] if mode == "LSTM" else state
    out_padded, out_lengths = pad_packed_sequence(out)
    assert out_lengths.tolist() == lengths and out_padded.shape == (5, 3, 8)
    for i, s in enumerate(seqs):
        alone, alone_state = rnn(s.unsqueeze(1))
        alone_h = alone_state[0] if mode == "LSTM" else alone_state
        n = lengths[i]
        np.testing.assert_allclose(out_padded[:n, i].detach().numpy(),
                                   alone[:, 0].detach().numpy(), rtol=1e-5, atol=1e-6)
        assert np.all(out_padded[n:, i].detach().numpy() == 0)
        np.testing.assert_allclose(h_n[:, i].detach().numpy(), alone_h[:, 0].detach().numpy(),
                                   rtol=1e-5, atol=1e-6)
    out_padded.sum().backward()
    assert padded.grad.shape == padded.shape
    for i, n in enumerate(lengths):
        assert np.all(padded.grad[n:, i].numpy() == 0) and np.any(padded.grad[:n, i].numpy())
    back = unpack_sequence(pack_sequence(seqs, enforce_sorted=False))
    for a, b in zip(back, seqs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_pack_padded_sequence_errors():
    from dualnet_eager.nn.utils.rnn import pack_padded_sequence
    x = torch.randn(4, 2, 3)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        pack_padded_sequence(x, [2, 4])
    with pytest.raises(RuntimeError, match="greater than 0"):
        pack_padded_sequence(x, [4, 0])
