"""The toy 2-D task of chapter 4 (paper §2): data, batch norm / dropout in BatchedMLP, the NTK feature
responses, the boundary numbers against closed forms, every setting end to end on tiny sizes, the
static demo figure's controls, and the live widget driven through its buttons."""

import json
import math
import time
from dataclasses import replace

import numpy as np
import pytest
import torch

from gsutils import configs, plots
from gsutils.__main__ import main
from gsutils.data import two_moons
from gsutils.experiments import toy, toy_demo
from gsutils.methods import MethodConfig
from gsutils.models import BatchedMLP
from gsutils.runtime import set_seed
from gsutils.train import TrainConfig, make_optimizer, train

TINY = replace(configs.TOY_PROFILES["quick"], n=40, seeds=2, hidden=8, deep_hidden=4, epochs=4,
               ablation_epochs=2, longer_factor=2, z_every=2, grid=7, boundary_rows=9)
TINY_DEMO = configs.ToyDemoConfig(n=40, hidden=8, separability=(-0.4, 0.0), iterations=4, frame_every=2,
                                  switch_at=2, z_features=(1, 3), grid=5)


# --------------------------------------------------------------------------- data
def original_two_moons(seed, margin, rotation, n=300):
    """The authors' two_moons_dataset (Figure_3/moon_fig_3.py), on scikit-learn's make_moons."""
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.make_moons(n_samples=n, noise=0.1, random_state=seed)
    y_pm1 = (2.0 * y - 1.0)[:, None]
    X = X - np.concatenate([0.5 * np.ones((n, 1)), y_pm1 * 0.3], 1)
    X[:, 1] = X[:, 1] - X[:, 1].mean()
    X[:, 1] = X[:, 1] * np.sign(-X[:, 1] * y_pm1[:, 0])
    X[:, 1] = X[:, 1] - y_pm1[:, 0] * margin
    X = X[:, ::-1].copy()
    if rotation:
        t = np.radians(rotation)
        X = X @ np.array(((np.cos(t), -np.sin(t)), (np.sin(t), np.cos(t))))
    return X, y


@pytest.mark.parametrize("seed, margin, rotation", [(0, 0.1, 0.0), (3, -0.1, 0.0), (7, 0.1, 45.0)])
def test_two_moons_is_the_authors_data(seed, margin, rotation):
    X, y = original_two_moons(seed, margin, rotation)
    x, labels = two_moons(300, 0.1, margin, rotation, seed)
    assert x.shape == (300, 2) and x.dtype == torch.float32 and labels.shape == (300,)
    np.testing.assert_allclose(x.numpy(), X, atol=1e-6)
    assert np.array_equal(labels.numpy(), y)


@pytest.mark.parametrize("margin", [0.1, 0.3, -0.1])
def test_two_moons_gap_is_two_margins_along_x(margin):
    x, y = two_moons(200, 0.1, margin, 0.0, seed=1)
    assert set(y.unique().tolist()) == {0.0, 1.0}
    assert x[y == 1, 0].max() <= -margin + 1e-6 and x[y == 0, 0].min() >= margin - 1e-6
    if margin > 0:  # the paper's gap 2 * Delta is attained (up to the sample)
        assert x[y == 0, 0].min() - x[y == 1, 0].max() < 2 * margin + 0.05


def test_two_moons_is_a_pure_function_of_its_seed():
    assert torch.equal(two_moons(seed=5)[0], two_moons(seed=5)[0])
    assert not torch.equal(two_moons(seed=5)[0], two_moons(seed=6)[0])
    with pytest.raises(ValueError):
        two_moons(n=1)


# --------------------------------------------------------------------------- models: batch norm, dropout
def test_batched_batchnorm_matches_torch_batchnorm():
    torch.manual_seed(0)
    x = torch.randn(3, 16, 2)  # three restarts, each its own batch
    model = BatchedMLP([2, 6, 1], seeds=(0, 1, 2), init="kaiming", batchnorm=True)
    assert sum(p.numel() for p in model.parameters()) == 3 * (2 * 6 + 6 + 6 + 1 + 2 * 6)
    with torch.no_grad():
        model.bn_weights[0].uniform_(0.5, 1.5)
        model.bn_biases[0].uniform_(-0.5, 0.5)
    for r in range(3):
        bn = torch.nn.BatchNorm1d(6)
        with torch.no_grad():
            bn.weight.copy_(model.bn_weights[0][r, 0])
            bn.bias.copy_(model.bn_biases[0][r, 0])
        ref = lambda inp, bn=bn, r=r: torch.relu(bn(inp @ model.weights[0][r] + model.biases[0][r])) \
            @ model.weights[1][r] + model.biases[1][r]  # noqa: E731
        for _ in range(2):  # two training passes update the running statistics alike
            expected = ref(x[r]).squeeze(-1)
        model.train()
        model(x)
        got = model(x)[r]
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(model.bn_mean0[r, 0], bn.running_mean)
        torch.testing.assert_close(model.bn_var0[r, 0], bn.running_var)
        model.eval()
        bn.eval()
        torch.testing.assert_close(model(x)[r], ref(x[r]).squeeze(-1), rtol=1e-5, atol=1e-6)
        model.bn_mean0.zero_(), model.bn_var0.fill_(1.0)  # reset for the next restart


def test_dropout_is_off_in_eval_and_drops_in_training():
    x = torch.randn(50, 2)
    plain = BatchedMLP([2, 64, 1], seeds=(0,), init="kaiming")
    drop = BatchedMLP([2, 64, 1], seeds=(0,), init="kaiming", dropout=0.7)
    drop.eval()
    torch.testing.assert_close(drop(x), plain(x))
    drop.train()
    set_seed(0)
    assert not torch.allclose(drop(x), plain(x))
    with pytest.raises(ValueError):
        BatchedMLP([2, 4, 1], dropout=1.0)


def test_train_with_a_shared_optimizer_continues_exactly():
    x, y = two_moons(30, 0.1, 0.1, 0.0, seed=0)
    cfg = TrainConfig(steps=6, optimizer="adam", lr=1e-2)
    whole = BatchedMLP([2, 8, 1], seeds=(0, 1), activation="tanh", init="kaiming")
    train(whole, x, y, MethodConfig("SD", sd_lambda=0.1), cfg, progress=False)
    chunked = BatchedMLP([2, 8, 1], seeds=(0, 1), activation="tanh", init="kaiming")
    opt = make_optimizer(chunked.parameters(), cfg)
    for _ in range(3):
        train(chunked, x, y, MethodConfig("SD", sd_lambda=0.1), replace(cfg, steps=2), optimizer=opt,
              progress=False)
    for a, b in zip(whole.parameters(), chunked.parameters()):
        torch.testing.assert_close(a, b)


# --------------------------------------------------------------------------- NTK feature responses
def test_ntk_vectors_match_an_independent_per_sample_jacobian():
    xs, ys = zip(*[two_moons(12, 0.1, 0.1, 0.0, seed=s) for s in (0, 1)])
    x = torch.stack(xs)
    model = BatchedMLP([2, 5, 1], seeds=(0, 1), init="kaiming")
    U, s = toy.ntk_left_singular_vectors(model, x)
    assert U.shape == (2, 12, 12) and s.shape == (2, 12)
    for r in range(2):  # one backward pass per sample, restart r's parameters only
        rows = []
        for n in range(12):
            model.zero_grad()
            model(x)[r, n].backward()
            rows.append(torch.cat([p.grad[r].flatten() for p in model.parameters()]))
        phi = torch.stack(rows).double()
        U_ref, s_ref, _ = torch.linalg.svd(phi, full_matrices=False)
        top = 5  # the leading directions (distinct, well above float32 round-off): equal up to sign
        torch.testing.assert_close(s[r, :top].double(), s_ref[:top], rtol=1e-4, atol=1e-5)
        logits = torch.randn(12, dtype=torch.float64)
        torch.testing.assert_close((U[r, :, :top].double().T @ logits).abs(), (U_ref[:, :top].T @ logits).abs(),
                                   rtol=1e-3, atol=1e-4)
        z = toy.feature_responses(U[:, :, :top], torch.stack([logits.float()] * 2))
        assert z.shape == (2, top)


# --------------------------------------------------------------------------- the boundary numbers
class Field(torch.nn.Module):
    """A fixed logit field f(x) (one 'restart') to test the boundary numbers in closed form."""

    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)[None]


def test_crossings_interpolate_the_sign_change_nearest_the_middle():
    u = np.linspace(-2, 2, 401)
    rows = np.stack([u - 0.3, -(u + 0.55), (u - 1.5) * (u + 0.2), np.ones_like(u)])
    pos = toy.crossings(rows, u)
    np.testing.assert_allclose(pos[:3], [0.3, -0.55, -0.2], atol=1e-9)
    assert np.isnan(pos[3])


def test_boundary_numbers_in_closed_form():
    x = torch.stack([torch.tensor([[0.5, -1.0], [-0.2, 1.0], [0.8, 0.0]])])
    vertical = toy.boundary_metrics(Field(lambda p: p[:, 0] - 0.1), x, 0.0, 2.0, rows=21)
    assert vertical["boundary_spread"] < 1e-6 and vertical["boundary_bend"] < 1e-6
    assert math.isclose(vertical["boundary_margin"], 0.3, abs_tol=1e-6)  # |-0.2 - 0.1|
    tilted = toy.boundary_metrics(Field(lambda p: p[:, 0] - 0.4 * p[:, 1]), x, 0.0, 2.0, rows=21)
    v = np.linspace(-1, 1, 21)
    assert math.isclose(tilted["boundary_spread"], 0.4 * v.std(), rel_tol=1e-4)
    assert tilted["boundary_bend"] < 1e-6
    bent = toy.boundary_metrics(Field(lambda p: p[:, 0] - 0.5 * p[:, 1] ** 2), x, 0.0, 2.0, rows=21)
    w = 0.5 * v ** 2
    assert math.isclose(bent["boundary_bend"], np.std(w - np.polyval(np.polyfit(v, w, 1), v)), rel_tol=1e-3)
    # a data set rotated by 45 degrees with its vertical boundary rotated alike: still straight
    R = torch.tensor([[math.cos(math.pi / 4), -math.sin(math.pi / 4)], [math.sin(math.pi / 4), math.cos(math.pi / 4)]])
    rotated = toy.boundary_metrics(Field(lambda p: (p @ R.T)[:, 0] - 0.1), x @ R, 45.0, 2.0, rows=21)
    assert rotated["boundary_spread"] < 1e-5 and math.isclose(rotated["boundary_margin"], 0.3, abs_tol=1e-5)
    per = toy.boundary_metrics(Field(lambda p: p[:, 0] - 0.1), x, 0.0, 2.0, rows=21, per_restart=True)
    assert len(per) == 1 and per[0]["boundary_spread"] < 1e-6


# --------------------------------------------------------------------------- settings and runs
def test_settings_carry_the_paper_protocol():
    cfg = configs.TOY_PROFILES["paper"]
    s = {name: toy.setting(cfg, name) for name in cfg.settings}
    assert [s[n].margin for n in configs.TOY_FIGURE2] == [-0.1, 0.1, 0.1]
    assert all(s[n].train.steps == 10_000 and s[n].train.weight_decay == 2e-4 for n in configs.TOY_FIGURE2)
    assert s["separable_sd"].method.name == "SD" and s["separable_sd"].method.sd_lambda == 0.006
    assert s["longer"].train.steps == 100_000 and s["no_reg"].train.steps == 10_000  # authors HEAD Figure_3
    assert s["weight_decay"].train.weight_decay == 0.01 and s["no_reg"].train.weight_decay == 0.0
    assert (s["adam_small_lr"].train.optimizer, s["adam_small_lr"].train.lr) == ("adam", 1e-4)
    assert s["adam_large_lr"].train.lr == 3e-3 and s["rotation"].rotation == 45.0
    assert s["dropout"].dropout == 0.7 and s["batchnorm"].batchnorm and s["deeper"].sizes == (2, 500, 500, 500, 500, 1)
    assert all(s[n].train.lr == 1e-2 and s[n].train.momentum == 0.9 for n in cfg.settings if "adam" not in n)
    assert sum(p.numel() for p in BatchedMLP(s["separable"].sizes).parameters()) == 2 * 500 + 500 + 500 + 1
    assert toy.setting(replace(cfg, method="ERM"), "sd").method.name == "ERM"


def test_every_setting_runs_and_writes_the_schema():
    set_seed(0)
    metrics = toy.run(TINY, progress=False)
    json.dumps(metrics)  # JSON-ready
    names = [r["setting"] for r in metrics["runs"]]
    assert names == list(configs.TOY_FIGURE2 + configs.TOY_FIGURE3)
    for row in metrics["runs"]:
        assert {"setting", "margin", "method", "train_acc", "boundary_spread", "boundary_bend",
                "boundary_margin"} <= set(row)
        assert 0.0 <= row["train_acc"] <= 1.0
        assert np.asarray(metrics["heatmaps"][row["setting"]]).shape == (7, 7)
    assert set(metrics["z"]) == set(configs.TOY_FIGURE2)
    z = metrics["z"]["separable"]
    assert z["step"] == [0, 2, 4] and np.asarray(z["mean"]).shape == (3, 2)
    set_seed(0)
    assert toy.run(TINY, progress=False) == metrics  # deterministic, dropout included


def test_cli_writes_runs_and_rejects_bad_input(tmp_path):
    out = tmp_path / "toy.json"
    rc = main(["run", "toy", "--set", "settings=separable,sd", "--set", "seeds=1", "--set", "epochs=2",
               "--set", "ablation_epochs=2", "--set", "hidden=4", "--set", "grid=5", "--set", "margin=0.2",
               "--set", "method=ERM", "--out", str(out), "--no-progress"])
    assert rc == 0
    runs = json.loads(out.read_text())["metrics"]["runs"]
    assert [(r["setting"], r["margin"], r["method"]) for r in runs] == [("separable", 0.2, "ERM"), ("sd", 0.2, "ERM")]
    for bad in ("margin=abc", "method=IRM", "settings=foo", "seeds=0", "nope=1"):
        bad_out = tmp_path / "bad.json"
        assert main(["run", "toy", "--set", bad, "--out", str(bad_out)]) == 2
        assert not bad_out.exists()


# --------------------------------------------------------------------------- the demo: stepping and frames
def test_demo_steps_in_chunks_and_switches_regulariser_without_restarting():
    demo = toy_demo.ToyDemo(TINY_DEMO)
    demo.step(3)
    assert demo.optimizer.param_groups[0]["t"] == 3 and demo.optimizer.param_groups[0]["decay"] == 1e-4
    before = [p.detach().clone() for p in demo.model.parameters()]
    demo.set_regularizer("Weight decay")
    assert demo.optimizer.param_groups[0]["decay"] == TINY_DEMO.weight_decay  # weights
    assert demo.optimizer.param_groups[1]["decay"] == 0.0  # biases
    assert all(g["t"] == 0 for g in demo.optimizer.param_groups)  # the step-size ramp restarts
    assert all(torch.equal(a, b) for a, b in zip(before, demo.model.parameters()))  # same weights
    demo.set_regularizer("Spectral Decoupling")
    assert demo.method().name == "SD" and demo.optimizer.param_groups[0]["decay"] == 0.0
    demo.step(2)
    assert demo.log["iteration"] == [0, 3, 5] and demo.optimizer.param_groups[0]["t"] == 2
    prob = demo.probability()
    assert prob.shape == (2, 5, 5) and prob.dtype == np.uint8
    with pytest.raises(ValueError):
        demo.set_regularizer("dropout")
    adam = toy_demo.ToyDemo(replace(TINY_DEMO, optimizer="adam"))  # ours, not the blog's
    adam.step(3)
    assert all(int(s["step"]) == 3 for s in adam.optimizer.state.values())


# --------------------------------------------------------------------------- the demo against bundle.js
def blog_points():
    """The first points of the blog's classifyCircleData (bundle.js), x before the +-noise shift."""
    return np.array([[-2.717835893494339, 0.6793610085529345, 1], [-2.0025756608302556, -0.7764598781122054, 1],
                     [1.2605697631874289, 1.0458976448210704, -1], [-2.568929506049188, 1.3030331041149927, 1],
                     [-2.270602886384911, 1.696103804129755, 1], [0.4428841761287988, -3.9067277248882855, -1]])


def test_demo_data_are_the_blogs_points_and_the_slider_moves_them():
    pts = blog_points()
    cfg = configs.ToyDemoConfig()
    x, y = toy_demo.demo_data(cfg, 0.0)
    assert x.shape == (300, 2) and np.allclose(x[:6].numpy(), pts[:, :2], atol=1e-6)
    assert np.array_equal(2 * y[:6].numpy() - 1, pts[:, 2])
    x2, _ = toy_demo.demo_data(cfg, -0.4)  # label +1: x - noise; label -1: x + noise
    assert np.allclose((x2 - x)[:, 0].numpy(), 0.4 * (2 * y.numpy() - 1), atol=1e-6)
    assert float(x[y == 1, 0].max()) < 0 < float(x[y == 0, 0].min())  # 0: the base data, separable


def js_lcg_weights(seed, count):
    """bundle.js's Link init, written out: state = (a * state + c) % m in doubles (JavaScript's
    numbers, so a * state rounds past 2**53); weight = 0.7 * nextRange(0, 100) / 100 - 0.35."""
    state, m, out = np.float64(seed), np.float64(2 ** 31), []
    for _ in range(count):
        state = np.fmod(np.float64(1103515245) * state + np.float64(12345), m)
        out.append(0.7 * np.floor(state / m * 100) / 100 - 0.35)
    return np.array(out)


def test_demo_init_follows_the_blogs_generator():
    w1, w2 = toy_demo.blog_init(1379, 8)
    assert w1.shape == (2, 8) and w2.shape == (8,)
    drawn = torch.cat([w1.T.reshape(-1), w2]).double().numpy()  # bundle.js order: unit by unit, then output
    assert np.allclose(drawn, js_lcg_weights(1379, 24), atol=1e-7)
    k = (drawn + 0.35) / 0.007
    assert np.allclose(k, np.round(k), atol=1e-4) and k.min() >= 0 and k.max() < 100


def blog_step(w1, b1, w2, b2, x, t, lr_iter, regularization):
    """One oneStep() of bundle.js for 2 -> H tanh -> 1, written out as its backProp/updateWeights do."""
    h = np.tanh(x @ w1 + b1)  # (N, H)
    o = h @ w2 + b2  # (N,)
    der = -t / (1.0 + np.exp(o * t)) + (0.0016 * o if regularization == "SD" else 0.0)
    dh = (der[:, None] * w2[None, :]) * (1 - h ** 2)
    g_w2, g_b2, g_w1, g_b1 = h.T @ der / len(x), der.mean(), x.T @ dh / len(x), dh.mean(0)
    step = min(0.01 + lr_iter * 0.04, 4.0)
    w1, w2 = w1 - step * g_w1, w2 - step * g_w2
    decay = {"WD": 0.02, None: 0.0001}.get(regularization, 0.0)
    return w1 - step * decay * w1, b1 - step * g_b1, w2 - step * decay * w2, b2 - step * g_b2


@pytest.mark.parametrize("regularizer", ["None", "Weight decay", "Spectral Decoupling"])
def test_demo_steps_as_bundle_js(regularizer):
    cfg = replace(TINY_DEMO, separability=(-0.2,))
    demo = toy_demo.ToyDemo(cfg)
    demo.set_regularizer(regularizer)
    x, y = (t.double().numpy() for t in toy_demo.demo_data(cfg, -0.2))
    w1, w2 = (t.double().numpy() for t in toy_demo.blog_init(cfg.seed, cfg.hidden))
    b1, b2 = np.full(cfg.hidden, 0.1), 0.1
    code = {"None": None, "Weight decay": "WD", "Spectral Decoupling": "SD"}[regularizer]
    for it in range(1, 6):
        w1, b1, w2, b2 = blog_step(w1, b1, w2, b2, x, 2 * y - 1, it, code)
    demo.step(5)
    assert np.allclose(demo.model.weights[0][0].detach().numpy(), w1, atol=1e-5)
    assert np.allclose(demo.model.weights[1][0, :, 0].detach().numpy(), w2, atol=1e-5)
    assert np.allclose(demo.model.biases[0][0, 0].detach().numpy(), b1, atol=1e-5)


def test_static_demo_figure_has_working_controls():
    study = toy_demo.demo_study(TINY_DEMO, progress=False)
    S, O, T = 2, 4, 3
    assert study["prob"].shape == (O, T, S, 5, 5) and study["regularizers"][3] == "None, then SD at 2"
    assert set(study["boundary"]["None"]) == {4} and set(study["boundary"]["None, then SD at 2"]) == {2, 4}
    fig = plots.toy_demo_figure(study)
    frames = {f.name: f for f in fig.frames}
    assert len(frames) == S * O * T and len(fig.data) == 8
    sliders, menus = fig.layout.sliders, fig.layout.updatemenus
    assert len(sliders) == S * O and sum(bool(s.visible) for s in sliders) == 1
    assert len(menus) == O + S and sum(bool(m.visible) for m in menus[:O]) == 1
    for slider in sliders:
        assert [st.args[0][0] in frames for st in slider.steps] == [True] * T
    for m, menu in enumerate(menus):  # every button shows its state: slider and rows switch with it
        for b, button in enumerate(menu.buttons):
            i, j = (b, m) if m < O else (m - O, b)
            target = frames[button.args[0][0]]
            assert button.method == "animate" and target.name == f"{i}-{j}-{T - 1}"
            assert [bool(s.visible) for s in target.layout.sliders].index(True) == i * O + j
            assert [bool(u.visible) for u in target.layout.updatemenus] == \
                [k == j for k in range(O)] + [k == i for k in range(S)]
    first, last = frames["0-0-0"], frames["1-2-2"]
    assert not np.array_equal(first.data[0].z, last.data[0].z)


def test_live_widget_trains_in_the_background_and_switches_regulariser():
    from gsutils.book import use_book_renderer
    from gsutils.widgets import toy_demo as live_demo

    use_book_renderer()
    w = live_demo(separability=-0.4, chunk=2, cfg=TINY_DEMO)
    c = w.controls
    c["initialize"].click()
    assert w.demo.iteration == 0 and c["iteration"].value == "iteration 0"
    c["train"].value = True
    assert c["train"].description == "Pause"

    def wait_for(iteration):
        deadline = time.time() + 15
        while w.demo.iteration < iteration and time.time() < deadline:
            time.sleep(0.01)
        assert w.demo.iteration >= iteration
    wait_for(6)
    c["regularization"].value = "Spectral Decoupling"
    switched = w.demo.iteration
    wait_for(switched + 6)
    c["train"].value = False
    w.join()
    its = w.demo.log["iteration"]
    assert its == list(range(0, its[-1] + 1, 2))  # one run, never restarted
    assert w.demo.regularizer == "Spectral Decoupling" and w.demo.method().name == "SD"
    fig = w.figure
    assert int(fig.data[3].x[-1]) == w.demo.iteration == int(c["iteration"].value.split()[1])
    assert np.array_equal(np.asarray(fig.data[0].z), w.demo.probability()[0])
    assert "application/vnd.plotly.v1+json" in w.out.outputs[0]["data"]
    c["separability"].value = 0.0  # a new data set: start again
    assert w.demo.iteration == 0 and w.demo.separability == (0.0,)
