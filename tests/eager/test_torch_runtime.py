"""The runtime modules training scripts touch, in one CPU process: torch.distributed (world
size 1), DDP / DataParallel / SyncBatchNorm, DistributedSampler, activation checkpointing,
the profiler, torch.cuda without a GPU, torch.special and torch.random."""
import json
import math
import operator

import numpy as np
import pytest

import dualnet_eager as torch
import dualnet_eager.distributed as dist
import dualnet_eager.multiprocessing as mp
from dualnet_eager import nn
from dualnet_eager.utils.checkpoint import checkpoint, checkpoint_sequential
from dualnet_eager.utils.data import DataLoader, TensorDataset
from dualnet_eager.utils.data.distributed import DistributedSampler


@pytest.fixture
def group(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delenv("RANK", raising=False)
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:29500", world_size=1, rank=0)
    yield
    dist.destroy_process_group()


# ---------------------------------------------------------------- torch.distributed


def test_uninitialized_errors():
    assert dist.is_available() and not dist.is_initialized()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_world_size()
    with pytest.raises(ValueError, match="not been initialized"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))


def test_init_from_env_and_limits(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.setenv("WORLD_SIZE", "1")
    with pytest.raises(ValueError, match="environment variable RANK expected"):
        dist.init_process_group("gloo")
    monkeypatch.setenv("RANK", "0")
    dist.init_process_group(backend="gloo")
    try:
        assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "gloo")
        with pytest.raises(ValueError, match="twice"):
            dist.init_process_group("gloo")
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(RuntimeError, match="world_size=2.*single process"):
        dist.init_process_group("gloo")
    with pytest.raises(RuntimeError, match="NCCL"):
        dist.init_process_group("nccl", world_size=1, rank=0)


def test_collectives_single_rank(group):
    t = torch.tensor([1.0, 2.0, 3.0])
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX, dist.ReduceOp.PRODUCT):
        assert dist.all_reduce(t, op=op) is None
    assert dist.all_reduce(t, async_op=True).wait()
    dist.broadcast(t, src=0)
    dist.reduce(t, dst=0)
    assert t.tolist() == [1.0, 2.0, 3.0]
    out = [torch.zeros(3)]
    dist.all_gather(out, t)
    assert out[0].tolist() == [1.0, 2.0, 3.0]
    gathered = [torch.zeros(3)]
    dist.gather(t, gathered, dst=0)
    assert gathered[0].tolist() == [1.0, 2.0, 3.0]
    received = torch.zeros(3)
    dist.scatter(received, [torch.ones(3)], src=0)
    dist.reduce_scatter(t, [torch.full((3,), 5.0)])
    assert received.tolist() == [1.0] * 3 and t.tolist() == [5.0] * 3
    objs = [None]
    payload = {"a": [1, 2]}
    dist.all_gather_object(objs, payload)
    assert objs == [payload] and objs[0] is not payload
    dist.barrier()
    sub = dist.new_group([0])
    assert dist.get_world_size(sub) == 1
    with pytest.raises(ValueError, match="not in the world"):
        dist.new_group([0, 1])
    with pytest.raises(ValueError, match="source rank 1"):
        dist.broadcast(t, src=1)
    with pytest.raises(ValueError, match="world_size"):
        dist.all_gather([torch.zeros(3), torch.zeros(3)], t)


# ---------------------------------------------------------------- DDP, DataParallel, SyncBN


def _train(model, steps=3):
    torch.manual_seed(1)
    x, y = torch.randn(8, 4), torch.randn(8, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    return loss.item()


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


def test_ddp_and_data_parallel_train_like_the_module(group):
    plain = _train(_mlp())
    ddp = nn.parallel.DistributedDataParallel(_mlp())
    assert isinstance(ddp.module, nn.Sequential)
    assert list(ddp.state_dict())[0].startswith("module.")
    assert _train(ddp) == pytest.approx(plain, rel=1e-6)
    with ddp.no_sync():
        assert not ddp.require_backward_grad_sync
    assert ddp.require_backward_grad_sync
    dp = nn.DataParallel(_mlp(), device_ids=[0, 1])
    assert dp.device_ids == [] and isinstance(dp.module, nn.Sequential)
    assert _train(dp) == pytest.approx(plain, rel=1e-6)
    with pytest.raises(ValueError, match="device_ids"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2), device_ids=[0])


def test_convert_sync_batchnorm_shares_parameters():
    model = _mlp()
    bn = model[1]
    bn.running_mean.fill_(0.5)
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model and isinstance(model[1], nn.SyncBatchNorm)
    assert model[1].weight is bn.weight and model[1].running_mean.tolist() == [0.5] * 8
    x = torch.randn(6, 8, 3)  # SyncBatchNorm takes any rank >= 2
    ref = nn.functional.batch_norm(x, None, None, model[1].weight, model[1].bias, True)
    np.testing.assert_allclose(model[1](x).detach().numpy(), ref.detach().numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="at least 2D"):
        model[1](torch.randn(8))


# ---------------------------------------------------------------- DistributedSampler


@pytest.mark.parametrize("n, drop_last, want", [
    (5, False, ([0, 2, 4], [1, 3, 0])),  # ceil(5/2) = 3 each: padded with index 0
    (5, True, ([0, 2], [1, 3])),  # ceil((5 - 2) / 2) = 2 each: index 4 dropped
    (4, False, ([0, 2], [1, 3])),
    (1, False, ([0], [0])),  # padding longer than the data repeats it
])
def test_distributed_sampler_partition(n, drop_last, want):
    data = list(range(n))
    got = tuple(list(DistributedSampler(data, num_replicas=2, rank=r, shuffle=False,
                                        drop_last=drop_last)) for r in (0, 1))
    assert got == want
    assert len(DistributedSampler(data, 2, 0, drop_last=drop_last)) == len(want[0])


def test_distributed_sampler_shuffle_and_errors():
    data = list(range(10))
    ranks = [DistributedSampler(data, num_replicas=2, rank=r, seed=3) for r in (0, 1)]
    first = [list(s) for s in ranks]
    assert sorted(first[0] + first[1]) == data
    for s in ranks:
        s.set_epoch(1)
    second = [list(s) for s in ranks]
    assert sorted(second[0] + second[1]) == data and second != first
    with pytest.raises(ValueError, match=r"Invalid rank 2.*\[0, 1\]"):
        DistributedSampler(data, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="not been initialized"):
        DistributedSampler(data)


def test_distributed_sampler_in_dataloader(group):
    ds = TensorDataset(torch.arange(6).float())
    loader = DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, shuffle=False))
    assert [b[0].tolist() for b in loader] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]


# ---------------------------------------------------------------- checkpoint


def _grads(model, x):
    return [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()]


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_matches_plain_backward_with_dropout(use_reentrant):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))
    x = torch.randn(5, 4, requires_grad=True)
    state = torch.get_rng_state()
    model(x).pow(2).sum().backward()
    want = _grads(model, x)
    model.zero_grad()
    x.grad = None
    torch.set_rng_state(state)
    y = checkpoint(model, x, use_reentrant=use_reentrant)
    assert y.grad_fn is not None
    after_forward = torch.rand(1).item()
    y.pow(2).sum().backward()  # the recompute replays the dropout mask
    for a, b in zip(want, _grads(model, x)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    torch.set_rng_state(state)
    model(x)
    assert torch.rand(1).item() == after_forward  # the recompute left the stream alone


def test_checkpoint_closure_params_and_sequential():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 6), nn.Tanh(),
                          nn.Linear(6, 1))
    x = torch.randn(4, 3)  # no grad on the input: parameters still get theirs
    model(x).sum().backward()
    want = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    checkpoint(lambda inp: model(inp), x, use_reentrant=False).sum().backward()
    for a, p in zip(want, model.parameters()):
        np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-6)
    model.zero_grad()
    checkpoint_sequential(model, 2, x, use_reentrant=False).sum().backward()
    for a, p in zip(want, model.parameters()):
        np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-6)
    with pytest.warns(UserWarning, match="use_reentrant"):
        checkpoint(model, x.clone().requires_grad_())
    with pytest.raises(ValueError, match="Unexpected keyword"):
        checkpoint(lambda a, b=1: a, x, use_reentrant=True, b=2)


# ---------------------------------------------------------------- profiler


def test_profiler_table_and_chrome_trace(tmp_path):
    from dualnet_eager.profiler import ProfilerActivity, profile, record_function

    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    x = torch.randn(3, 4)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True,
                 profile_memory=True) as prof:
        with record_function("model_inference"):
            y = model(x)
        y.sum().backward()
    avg = {e.key: e for e in prof.key_averages()}
    assert avg["dualnet::linear"].count == 2 and "dualnet::relu_grad" in avg
    outer = avg["model_inference"]
    assert outer.cpu_time_total >= avg["dualnet::linear"].cpu_time_total
    assert outer.self_cpu_time_total < outer.cpu_time_total
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=3)
    lines = table.splitlines()
    assert "Self CPU %" in lines[1] and "# of Calls" in lines[1] and "CPU Mem" in lines[1]
    assert len([ln for ln in lines if "dualnet::" in ln or "model_inference" in ln]) == 3
    assert lines[-1].startswith("Self CPU time total:")
    shapes = prof.key_averages(group_by_input_shape=True).table(sort_by="count")
    assert "[[3, 4], [8, 4], [8]]" in shapes
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    events = json.loads(path.read_text())["traceEvents"]
    assert {e["ph"] for e in events} == {"X"}
    assert {"name", "ts", "dur", "pid", "tid"} <= set(events[0])
    assert any(e["name"] == "model_inference" and e["cat"] == "user_annotation"
               for e in events)


def test_profiler_schedule_and_autograd_alias():
    from dualnet_eager.profiler import ProfilerAction, profile, schedule

    sched = schedule(wait=1, warmup=1, active=2, repeat=1)
    assert [sched(i) for i in range(5)] == [
        ProfilerAction.NONE, ProfilerAction.WARMUP, ProfilerAction.RECORD,
        ProfilerAction.RECORD_AND_SAVE, ProfilerAction.NONE]
    ready = []
    x = torch.randn(2, 2)
    with profile(schedule=sched, on_trace_ready=lambda p: ready.append(
            sum(e.count for e in p.key_averages()))) as prof:
        for _ in range(6):
            torch.exp(x)  # one op per step: only the 2 active steps are recorded
            prof.step()
    assert ready == [2]
    with torch.autograd.profiler.profile() as legacy:
        with torch.autograd.profiler.record_function("block"):
            torch.exp(x)
    assert {e.key for e in legacy.key_averages()} == {"block", "dualnet::exp"}
    assert "dualnet::exp" in legacy.table()


# ---------------------------------------------------------------- cuda, random, mp


def test_cuda_without_gpu():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert torch.cuda.memory_allocated() == 0 and torch.cuda.max_memory_allocated() == 0
    assert torch.cuda.memory_reserved() == 0
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    for call in (torch.cuda.current_device, torch.cuda.get_device_name,
                 torch.cuda.synchronize, lambda: torch.cuda.set_device(0)):
        with pytest.raises((AssertionError, RuntimeError),
                           match="not compiled with CUDA|No CUDA GPUs"):
            call()
    with torch.cuda.device(None):
        pass
    torch.cuda.set_device(-1)  # a negative index is a no-op


def test_random_fork_rng_and_state():
    torch.random.manual_seed(7)
    assert torch.random.initial_seed() == 7
    state = torch.random.get_rng_state()
    a = torch.rand(3).tolist()
    torch.random.set_rng_state(state)
    with torch.random.fork_rng():
        torch.rand(5)
        torch.manual_seed(99)
    assert torch.rand(3).tolist() == a
    s = torch.random.seed()
    assert torch.initial_seed() == s


def test_multiprocessing_reexport_and_spawn_error():
    assert mp.get_start_method(allow_none=True) in (None, "fork", "spawn", "forkserver")
    assert mp.Queue is not None and mp.cpu_count() >= 1
    mp.spawn(operator.add, args=(1,), nprocs=2, start_method="fork")
    with pytest.raises(mp.ProcessRaisedException, match="ZeroDivisionError"):
        mp.spawn(operator.truediv, args=(0,), nprocs=1, start_method="fork")


# ---------------------------------------------------------------- torch.special


def _bessel_series(x, order):
    """I_order(x) by its power series, in Python floats."""
    return sum((x / 2) ** (2 * k + order) / (math.factorial(k) * math.factorial(k + order))
               for k in range(80))


def test_special_values():
    sp = torch.special
    xs = [-3.0, -0.5, 0.0, 0.7, 2.5, 6.0]
    x = torch.tensor(xs, dtype=torch.float64)

    def check(got, want, rtol=1e-9):
        np.testing.assert_allclose(got.detach().numpy(), want, rtol=rtol, atol=1e-300)

    check(sp.erf(x), [math.erf(v) for v in xs])
    check(sp.erfc(x), [math.erfc(v) for v in xs])
    check(sp.erfc(torch.tensor([10.0], dtype=torch.float64)), [math.erfc(10.0)])
    check(sp.ndtr(x), [0.5 * math.erfc(-v / math.sqrt(2)) for v in xs])
    far = torch.tensor([-30.0, -10.0, 5.0], dtype=torch.float64)
    check(sp.log_ndtr(far), [math.log(0.5 * math.erfc(v / math.sqrt(2))) for v in (30, 10)]
          + [math.log1p(-0.5 * math.erfc(5 / math.sqrt(2)))])
    p = torch.tensor([0.025, 0.5, 0.975], dtype=torch.float64)
    check(sp.ndtri(p), [-1.959963984540054, 0.0, 1.959963984540054], rtol=1e-8)
    check(sp.expit(x), [1 / (1 + math.exp(-v)) for v in xs])
    check(sp.logit(sp.expit(x)), xs)
    pos = torch.tensor([0.5, 1.5, 4.0], dtype=torch.float64)
    check(sp.gammaln(pos), [math.lgamma(v) for v in (0.5, 1.5, 4.0)])
    check(sp.psi(torch.tensor([1.0], dtype=torch.float64)), [-0.5772156649015329])
    check(sp.polygamma(1, torch.tensor([1.0], dtype=torch.float64)), [math.pi ** 2 / 6])
    check(sp.multigammaln(pos + 1, 2), [math.lgamma(v + 1) + math.lgamma(v + 0.5)
                                        + 0.5 * math.log(math.pi) for v in (0.5, 1.5, 4.0)])
    with pytest.raises(RuntimeError, match=r"greater than \(p-1\)/2"):
        sp.multigammaln(pos, 3)
    check(sp.xlogy(torch.tensor([0.0, 2.0]), torch.tensor([0.0, 3.0])), [0.0, 2 * math.log(3)],
          rtol=1e-6)
    check(sp.xlog1py(torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 3.0])),
          [0.0, 2 * math.log(4)], rtol=1e-6)
    check(sp.entr(torch.tensor([-1.0, 0.0, 0.5])), [-math.inf, 0.0, 0.5 * math.log(2)],
          rtol=1e-6)
    check(sp.sinc(torch.tensor([0.0, 0.5])), [1.0, 2 / math.pi], rtol=1e-6)
    check(sp.exp2(torch.tensor([3.0])), [8.0], rtol=1e-6)
    check(sp.round(torch.tensor([1.2345, 2.5]), decimals=2), [1.23, 2.5], rtol=1e-6)
    bx = [-20.0, -1.0, 0.0, 0.5, 3.0, 14.0, 16.0, 40.0]
    b = torch.tensor(bx, dtype=torch.float64)
    check(sp.i0(b), [_bessel_series(v, 0) for v in bx], rtol=1e-9)
    check(sp.i1(b), [_bessel_series(v, 1) for v in bx], rtol=1e-9)
    check(sp.i0e(b), [_bessel_series(v, 0) * math.exp(-abs(v)) for v in bx], rtol=1e-9)
    check(sp.i1e(b), [_bessel_series(v, 1) * math.exp(-abs(v)) for v in bx], rtol=1e-9)
    check(sp.logsumexp(x, 0), [math.log(sum(math.exp(v) for v in xs))])
    sm = sp.softmax(x, 0).numpy()
    np.testing.assert_allclose(sm, np.exp(xs) / np.exp(xs).sum(), rtol=1e-9)


def test_special_gradients():
    x = torch.tensor([-2.0, 0.3, 1.7], dtype=torch.float64, requires_grad=True)
    torch.special.ndtr(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(-x.detach().numpy() ** 2 / 2)
                               / math.sqrt(2 * math.pi), rtol=1e-9)
    x.grad = None
    torch.special.i0(x).sum().backward()  # I0' = I1
    np.testing.assert_allclose(x.grad.numpy(), torch.special.i1(x).detach().numpy(),
                               rtol=1e-9)
