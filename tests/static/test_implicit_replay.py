"""Step replay (dualnet_static/dygraph/replay.py): a step that repeats the previous one runs
its plan without recording a program; anything different falls back to recording, with the
same results as without replay."""
from __future__ import annotations

import gc

import numpy as np
import pytest

import dualnet_static as paddle
import dualnet_static.nn as nn
import dualnet_static.nn.functional as F
from dualnet_static import static
from dualnet_static.dygraph import SESSION
from tests.static.implicit_helpers import fresh_dynamic_mode


@pytest.fixture(autouse=True)
def _fresh():
    with fresh_dynamic_mode():
        yield


class Net(nn.Layer):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.bn = nn.BatchNorm1D(8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.bn(self.fc1(x))))


def _batches(n=12, size=5, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((size, 6)).astype(np.float32), rng.integers(0, 3, size))
            for _ in range(n)]


def _train(step_fn, batches, lr=0.1):
    """Train a fresh Net (seed 0) with `step_fn(net, opt, x, y) -> loss`; returns the losses
    and the final state."""
    paddle.seed(0)
    net = Net()
    opt = paddle.optimizer.Momentum(learning_rate=lr, momentum=0.9,
                                    parameters=net.parameters())
    losses = [step_fn(net, opt, paddle.to_tensor(x), paddle.to_tensor(y)) for x, y in batches]
    return losses, net.state_dict()


def plain_step(net, opt, x, y):
    opt.clear_grad()
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    return float(loss)


def _net_opt_batch():
    """A fresh Net (seed 0), its Momentum optimizer and one batch as tensors."""
    paddle.seed(0)
    net = Net()
    opt = paddle.optimizer.Momentum(learning_rate=0.1, momentum=0.9,
                                    parameters=net.parameters())
    x, y = (paddle.to_tensor(a) for a in _batches(1)[0])
    return net, opt, x, y


def _forget_templates():
    """Make the coming step record (no template to replay): the reference that replayed
    steps are checked against."""
    SESSION.templates.clear()


def _reference(batches):
    """The same training with replay impossible: every step records its program (and reads
    a value mid-step, so each step runs twice)."""
    def step(net, opt, x, y):
        _forget_templates()
        opt.clear_grad()
        loss = F.cross_entropy(net(x), y)
        value = float(loss)  # a run before backward too
        loss.backward()
        opt.step()
        return value

    return _train(step, batches)


def _replayed_and_recorded(loss_of, batches) -> int:
    """Train with `loss_of(net, x, y, n) -> loss` (n: the step's number from 1) as plain
    steps, then with each step recorded (templates forgotten, and a read before backward),
    and check that both give the same losses and parameters. Returns the replays of the
    first run."""
    def make(read: bool):
        count = [0]

        def step(net, opt, x, y):
            if read:
                _forget_templates()
            opt.clear_grad()
            count[0] += 1
            loss = loss_of(net, x, y, count[0])
            value = float(loss) if read else None
            loss.backward()
            opt.step()
            return float(loss) if value is None else value
        return step

    got = _train(make(False), batches)
    replays = SESSION.replays
    SESSION.reset()
    _same(got, _train(make(True), batches))
    return replays


def _same(a, b):
    np.testing.assert_allclose(a[0], b[0], rtol=1e-6)
    for name in a[1]:
        np.testing.assert_allclose(a[1][name], b[1][name], rtol=1e-5, atol=1e-7,
                                   err_msg=name)


def test_a_training_loop_replays_its_steps_with_the_same_results():
    batches = _batches()
    static.clear_plan_cache()
    replayed = _train(plain_step, batches)
    assert SESSION.replays >= len(batches) - 2  # the first two steps record (then zero grads)
    assert static.plan_cache_info().compiles <= 3
    SESSION.reset()
    _same(replayed, _reference(batches))


def test_a_different_step_falls_back_to_recording():
    batches = _batches()

    def alternating(net, opt, x, y):
        opt.clear_grad()
        out = net(x)
        loss = F.cross_entropy(out, y) if len(alternating.seen) % 3 else \
            F.cross_entropy(out, y) + 0.1 * (out * out).mean()
        alternating.seen.append(1)
        loss.backward()
        opt.step()
        return float(loss)

    alternating.seen = []
    got = _train(alternating, batches)

    def reference(net, opt, x, y):
        _forget_templates()
        opt.clear_grad()
        out = net(x)
        loss = F.cross_entropy(out, y) if len(reference.seen) % 3 else \
            F.cross_entropy(out, y) + 0.1 * (out * out).mean()
        reference.seen.append(1)
        value = float(loss)
        loss.backward()
        opt.step()
        return value

    reference.seen = []
    SESSION.reset()
    _same(got, _train(reference, batches))


def test_a_new_batch_size_and_an_intermediate_kept_fall_back():
    batches = _batches(6) + _batches(3, size=2, seed=1) + _batches(4, seed=2)
    kept = []

    def keeping(net, opt, x, y):
        opt.clear_grad()
        hidden = net.fc1(x)
        loss = F.cross_entropy(net.fc2(F.relu(net.bn(hidden))), y)
        if len(kept) == 8:
            kept.append(hidden)  # referenced from Python: its value is fetched this time
        else:
            kept.append(None)
        loss.backward()
        opt.step()
        return float(loss)

    got = _train(keeping, batches)
    assert kept[8] is not None and kept[8].shape == [2, 8]
    assert np.isfinite(kept[8].numpy()).all()
    SESSION.reset()
    _same(got, _reference(batches))


def test_freezing_a_layer_between_steps_is_honoured():
    batches = _batches(8)
    paddle.seed(0)
    net = Net()
    opt = paddle.optimizer.SGD(learning_rate=0.1, parameters=net.parameters())
    for i, (x, y) in enumerate(batches):
        if i == 4:
            net.fc1.weight.stop_gradient = True
            frozen = net.fc1.weight.numpy()
        plain_step(net, opt, paddle.to_tensor(x), paddle.to_tensor(y))
    np.testing.assert_array_equal(net.fc1.weight.numpy(), frozen)


def test_set_lr_and_gradients_read_between_replayed_steps():
    batches = _batches(8)
    paddle.seed(0)
    net = Net()
    opt = paddle.optimizer.SGD(learning_rate=0.1, parameters=net.parameters())
    for i, (x, y) in enumerate(batches):
        if i == 5:
            opt.set_lr(0.0)
            before = net.fc2.weight.numpy()
        opt.clear_grad()
        loss = F.cross_entropy(net(paddle.to_tensor(x)), paddle.to_tensor(y))
        loss.backward()
        if i == 6:
            assert net.fc2.weight.grad is not None  # read between backward and step
            assert np.abs(net.fc2.weight.grad.numpy()).sum() > 0
        opt.step()
    np.testing.assert_array_equal(net.fc2.weight.numpy(), before)


def test_an_eval_loop_replays_too():
    net = Net()
    net.eval()
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    with paddle.no_grad():
        outs = [net(paddle.to_tensor(x + i)).numpy() for i in range(6)]
    assert SESSION.replays >= 4
    with paddle.no_grad():
        SESSION.reset()
        expected = [net(paddle.to_tensor(x + i)) * 1.0 for i in range(6)]  # recorded steps
        for got, want in zip(outs, expected):
            np.testing.assert_allclose(got, want.numpy(), rtol=1e-6)


def test_a_learning_rate_scheduler_steps_under_replay():
    lin = nn.Linear(2, 1, bias_attr=False)
    sched = paddle.optimizer.lr.StepDecay(learning_rate=1.0, step_size=1, gamma=0.5)
    opt = paddle.optimizer.SGD(learning_rate=sched, parameters=lin.parameters())
    x = np.ones((1, 2), np.float32)
    w0 = lin.weight.numpy()
    for _ in range(6):
        opt.clear_grad()
        lin(paddle.to_tensor(x)).sum().backward()
        opt.step()
        sched.step()
    assert SESSION.replays >= 4
    np.testing.assert_allclose(lin.weight.numpy(), w0 - sum(0.5 ** k for k in range(6)),
                               rtol=1e-6)


# ---------------------------------------------------------------- the fast path
# registry.apply hands a replayed step's ops to Replayer.fast, which matches apply()'s own
# arguments (parameters by identity, no twins) and leaves anything else to the binder.

def test_the_fast_path_matches_ops_and_a_divergence_still_records_them():
    def loss_of(net, x, y, n):
        out = net(x)
        if n == 7:  # fast-matched parameter ops, then an op the template lacks
            out = F.relu(out)
        return F.cross_entropy(out, y)

    assert _replayed_and_recorded(loss_of, _batches(10)) >= 6


# A Python int or float where the recorded step had a floating scalar constant (x * 0.5, an
# added 1) is matched by the bytes of the constant it becomes (template._scalar_spec).

def test_python_scalars_replay_on_the_fast_path(monkeypatch):
    from dualnet_static.dygraph.replay import Replayer

    slow = []
    op = Replayer._op

    def counted(self, opdef, inputs, attrs, block):
        slow.append(opdef.name)
        return op(self, opdef, inputs, attrs, block)

    net, opt, x, y = _net_opt_batch()
    for k in range(6):
        if k == 3:  # steps 1-3 recorded the template; from here on every step replays it
            monkeypatch.setattr(Replayer, "_op", counted)
            replays = SESSION.replays
        opt.clear_grad()
        loss = F.cross_entropy(net(x) * 0.5 + 1, y)
        loss.backward()
        opt.step()
    assert SESSION.replays - replays == 3
    assert slow == []  # no op went the binder's way


def test_a_changed_scalar_and_a_divergence_after_a_scalar_record_the_right_values():
    def loss_of(net, x, y, n):
        out = net(x) * (0.5 if n < 5 else 0.25) - 2  # a new constant from step 5 on
        if n == 8:  # a divergence after the scalar ops matched: materialize makes their
            out = F.relu(out)  # constants again
        return F.cross_entropy(out, y)

    assert _replayed_and_recorded(loss_of, _batches(10)) >= 6


def test_an_explicit_program_built_during_a_replayed_step_gets_its_own_ops():
    batches = _batches(6)
    paddle.seed(0)
    net = Net()
    opt = paddle.optimizer.SGD(learning_rate=0.1, parameters=net.parameters())
    for i, (x, y) in enumerate(batches):
        opt.clear_grad()
        ce = F.cross_entropy(net(paddle.to_tensor(x)), paddle.to_tensor(y))
        if i == 4:  # the step's next op is this very sum: it must go to the guarded program
            main, startup = static.Program(), static.Program()
            with static.program_guard(main, startup):
                total = paddle.sum(net.fc2.weight)
            assert [op.type for op in main.global_block().ops] == ["sum"]
            value, = static.Executor().run(main, fetch_list=[total])
            np.testing.assert_allclose(value, net.fc2.weight.numpy().sum(), rtol=1e-6)
        loss = ce + paddle.sum(net.fc2.weight)
        loss.backward()
        opt.step()
    assert SESSION.replays >= 3


def _train_keeping_losses(batches) -> list:
    """Train with plain steps that keep each step's loss tensor (carried into the next step's
    block while that one replays); returns the losses."""
    kept = []

    def keeping(net, opt, x, y):
        opt.clear_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        kept.append(loss)
        return 0.0

    _train(keeping, batches)
    return kept


def test_kept_losses_of_replayed_steps_keep_their_own_values_and_names():
    batches = _batches(8)
    kept = _train_keeping_losses(batches)
    assert SESSION.replays >= 5
    values = [float(v) for v in kept]
    assert len({v.name for v in kept}) == len(kept)
    SESSION.reset()
    assert values == pytest.approx(_reference(batches)[0], rel=1e-6)


def test_an_epoch_with_a_short_last_batch_replays_both_shapes():
    batches = (_batches(5) + _batches(1, size=2, seed=1)) * 3  # three "epochs"
    _train(plain_step, batches)
    # per epoch, the full batches and the short one each replay their own template
    assert SESSION.replays >= len(batches) - 5


def test_backward_on_the_loss_of_a_finished_replayed_step_is_refused():
    kept = _train_keeping_losses(_batches(6))
    assert SESSION.replays >= 3
    for loss in (kept[0], kept[-1]):  # a recorded step's and a replayed step's
        with pytest.raises(RuntimeError, match="its graph was"):
            loss.backward()


def test_steps_whose_backward_drops_dead_gradient_ops_replay():
    """backward() drops the gradient ops nothing needs (here: the constant bias's); dropped ops
    must not keep gradients alive (they would count as referenced from Python, be fetched, and
    spoil the step's template: no step would replay)."""
    batches = _batches(8)
    bias = np.random.default_rng(2).random((3,)).astype(np.float32)

    def step(net, opt, x, y, read_first):
        if read_first:
            _forget_templates()
        opt.clear_grad()
        h = net(x)
        loss = F.cross_entropy((h + paddle.to_tensor(bias)) * 2.0, y)
        value = float(loss) if read_first else None  # and a read before backward
        loss.backward()
        opt.step()
        return float(loss) if value is None else value

    gc.disable()  # the dropped ops' references must go by refcount, not at a collection
    try:
        got = _train(lambda *a: step(*a, read_first=False), batches)
    finally:
        gc.enable()
    assert SESSION.replays >= len(batches) - 3
    SESSION.reset()
    _same(got, _train(lambda *a: step(*a, read_first=True), batches))


# ---------------------------------------------------------------- several templates
# Steps that begin alike (the same first op on the same shapes) but differ later each keep
# a template; Replayer._switch moves a step to the one it turns out to repeat.

def _two_nets_alternating(read_mid_step: bool):
    """Two models trained in alternate steps on the same batches (as a GAN's two players,
    or a model and its EMA copy): their steps begin with the same op on the same shape."""
    batches = _batches(12)
    paddle.seed(0)
    nets = [Net(), Net()]
    opts = [paddle.optimizer.Momentum(learning_rate=0.1, momentum=0.9,
                                      parameters=n.parameters()) for n in nets]
    losses = []
    for i, (x, y) in enumerate(batches):
        net, opt = nets[i % 2], opts[i % 2]
        if read_mid_step:
            _forget_templates()
        opt.clear_grad()
        out = net(paddle.to_tensor(x))
        if i % 2:  # the second model's loss has one more term: the steps differ late
            out = out * 0.5
        loss = F.cross_entropy(out, paddle.to_tensor(y))
        value = float(loss) if read_mid_step else None  # and a read before backward
        loss.backward()
        opt.step()
        losses.append(float(loss) if value is None else value)
    return losses, {f"{k}/{name}": v for k, n in enumerate(nets)
                    for name, v in n.state_dict().items()}


def test_two_models_trained_in_alternate_steps_both_replay():
    got = _two_nets_alternating(read_mid_step=False)
    # the first two steps of each model record (the second one: the gradients start at
    # zero instead of None); every later step replays its own model's template
    assert SESSION.replays >= 12 - 4
    SESSION.reset()
    _same(got, _two_nets_alternating(read_mid_step=True))


def test_a_step_that_diverges_from_the_last_template_switches_to_a_matching_one():
    def loss_of(net, x, y, n):  # every third step adds a penalty after the forward
        out = net(x)
        loss = F.cross_entropy(out, y)
        return loss + 0.01 * (out * out).mean() if n % 3 == 0 else loss

    assert _replayed_and_recorded(loss_of, _batches(9)) >= 9 - 4  # two of each kind record


def test_the_fast_path_is_not_consulted_for_other_front_ends_tensors():
    # a process that ran implicit steps keeps a replayer (and its fast path) installed for
    # the next step: an eager op must not pay for trying it
    import dualnet_eager as torch
    from dualnet.ops import registry

    _train(plain_step, _batches(4))
    assert registry._fast is not None
    calls = []
    inner = registry._fast

    def counting(op, args, attrs):
        calls.append(op.name)
        return inner(op, args, attrs)

    registry._fast = counting
    try:
        out = torch.ones(3) + torch.ones(3)
        assert calls == []
        np.testing.assert_allclose(out.numpy(), 2.0)
        paddle.to_tensor(np.ones(3, np.float32)) * 2.0
        assert calls  # implicit mode's own tensors still go through it
    finally:
        registry._fast = inner


def _gan(read_mid_step: bool, steps: int = 12):
    """A GAN's loop: the discriminator's step on a detached fake and a real batch, then the
    generator's step through the discriminator. Both steps begin with the generator's forward
    on the same noise shape, so they share a first key and part of their events."""
    rng = np.random.default_rng(1)
    paddle.seed(0)
    gen, disc = nn.Linear(4, 6), nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 1))
    opt_g = paddle.optimizer.Adam(learning_rate=0.01, parameters=gen.parameters())
    opt_d = paddle.optimizer.Adam(learning_rate=0.01, parameters=disc.parameters())
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = np.ones((5, 1), np.float32), np.zeros((5, 1), np.float32)
    losses = []

    def finish(loss, opt):
        value = float(loss) if read_mid_step else None
        loss.backward()
        opt.step()
        losses.append(float(loss) if value is None else value)

    for _ in range(steps // 2):
        if read_mid_step:
            _forget_templates()
        z = paddle.to_tensor(rng.standard_normal((5, 4)).astype(np.float32))
        real = paddle.to_tensor(rng.standard_normal((5, 6)).astype(np.float32))
        opt_d.clear_grad()
        fake = gen(z)
        finish(bce(disc(fake.detach()), paddle.to_tensor(zeros))
               + bce(disc(real), paddle.to_tensor(ones)), opt_d)
        opt_g.clear_grad()
        finish(bce(disc(gen(z)), paddle.to_tensor(ones)), opt_g)
    state = {f"g/{k}": v for k, v in gen.state_dict().items()}
    state.update({f"d/{k}": v for k, v in disc.state_dict().items()})
    return losses, state


def test_a_gan_loop_replays_both_players_steps():
    got = _gan(read_mid_step=False)
    assert SESSION.replays >= 12 - 4  # each player's first two steps record
    SESSION.reset()
    _same(got, _gan(read_mid_step=True))


class ConvNet(nn.Layer):
    def __init__(self):
        super().__init__()
        # no conv bias before the batch norm: its gradient is zero up to rounding, which
        # Adam's normalized step would amplify into a difference of plans' summation orders
        self.conv = nn.Conv2D(1, 4, 3, padding=1, bias_attr=False)
        self.bn = nn.BatchNorm2D(4)
        self.pool = nn.MaxPool2D(2)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        h = self.pool(F.relu(self.bn(self.conv(x))))
        return self.fc(paddle.flatten(h, 1))


@pytest.mark.parametrize("make_opt", [
    lambda ps: paddle.optimizer.Adam(learning_rate=0.01, parameters=ps,
                                     grad_clip=nn.ClipGradByGlobalNorm(0.5)),
    lambda ps: paddle.optimizer.AdamW(learning_rate=0.01, parameters=ps, weight_decay=0.1),
    lambda ps: paddle.optimizer.RMSProp(learning_rate=0.01, parameters=ps),
], ids=["adam+clip", "adamw", "rmsprop"])
def test_a_conv_net_replays_with_each_optimizer_as_it_records(make_opt):
    rng = np.random.default_rng(3)
    batches = [(rng.standard_normal((5, 1, 8, 8)).astype(np.float32), rng.integers(0, 3, 5))
               for _ in range(8)]

    def train(read_mid_step: bool):
        paddle.seed(0)
        net = ConvNet()
        opt = make_opt(net.parameters())
        losses = []
        for x, y in batches:
            if read_mid_step:
                _forget_templates()
            loss = F.cross_entropy(net(paddle.to_tensor(x)), paddle.to_tensor(y))
            value = float(loss) if read_mid_step else None
            loss.backward()
            opt.step()
            opt.clear_grad()
            losses.append(float(loss) if value is None else value)
        return losses, net.state_dict()

    got = train(read_mid_step=False)
    assert SESSION.replays >= len(batches) - 2
    SESSION.reset()
    _same(got, train(read_mid_step=True))



# ---------------------------------------------------------------- values read mid-step
# A value asked for before backward() (a logged loss, a NaN guard, a branch on a value) runs
# the step in two: the template keeps the earlier run as a Segment, replayed at the read.

def _train_reading(batches, read_every: int = 1, record: bool = False, extra_at=None):
    """Plain steps that read the loss before backward() every `read_every` steps (and
    branch on it); `record`: every step records; `extra_at`: a step that adds an op after
    the read (the replay of its first run is then materialized)."""
    paddle.seed(0)
    net = Net()
    opt = paddle.optimizer.Momentum(learning_rate=0.1, momentum=0.9,
                                    parameters=net.parameters())
    losses = []
    for i, (x, y) in enumerate(batches):
        if record:
            _forget_templates()
        opt.clear_grad()
        loss = F.cross_entropy(net(paddle.to_tensor(x)), paddle.to_tensor(y))
        if i % read_every == 0:
            value = float(loss)
            if not np.isfinite(value):  # a NaN guard: a Python branch on a value
                continue
            if i == extra_at:
                loss = loss * 0.5
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return losses, net.state_dict()


def test_a_value_read_before_backward_in_every_step_replays():
    batches = _batches(10)
    got = _train_reading(batches)
    assert SESSION.replays >= 10 - 2  # the first two steps record (then zero grads)
    SESSION.reset()
    _same(got, _train_reading(batches, record=True))


def test_a_read_every_other_step_replays_both_kinds_of_step():
    batches = _batches(12)
    got = _train_reading(batches, read_every=2)
    assert SESSION.replays >= 12 - 4
    SESSION.reset()
    _same(got, _train_reading(batches, read_every=2, record=True))


def test_a_step_that_diverges_after_its_replayed_read_records_the_rest():
    batches = _batches(10)
    got = _train_reading(batches, extra_at=6)  # its first run replays, then it differs
    assert SESSION.replays >= 10 - 3
    SESSION.reset()
    _same(got, _train_reading(batches, extra_at=6, record=True))


def test_a_dropped_template_goes_by_reference_counting():
    """A template's generated matchers hold it weakly, so a template the session drops
    (reset here) goes at once, with its plan and that plan's buffers."""
    import weakref

    net, opt, x, y = _net_opt_batch()
    for _ in range(5):
        plain_step(net, opt, x, y)
    assert SESSION.replays >= 2
    templates = [t for bucket in SESSION.templates.values() for t in bucket]
    assert any(getattr(m, "__name__", "") == "match" for t in templates for m in t.matchers)
    refs = [weakref.ref(t) for t in templates]
    del templates
    gc.disable()
    try:
        SESSION.reset()
        static.clear_plan_cache()
        assert [r for r in refs if r() is not None] == []
    finally:
        gc.enable()
