"""Colored MNIST (chapter 5): the environments' statistics, the recipes against the original losses,
batched restarts against one-by-one training (CPU and, where present, CUDA), the probe, the CLI."""

import json
import math
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from gsutils import configs, experiments
from gsutils.__main__ import main as cli_main
from gsutils.data import load_mnist
from gsutils.data.colored_mnist import colored_mnist, grayscale, probe_quadrants
from gsutils.experiments import colored_mnist as cm
from gsutils.methods import Objective

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
TINY = ["n_restarts=2", "n_per_env=300", "n_test=200", "eval_every=2"] + [
    f"recipes.{m}.{k}" for m in ("ERM", "SD", "IRM", "VREx", "Oracle")
    for k in ("steps=6", "hidden_dim=16")] + [
    f"recipes.{m}.method.warmup_steps=3" for m in ("SD", "IRM", "VREx")]


@pytest.fixture(scope="module")
def full():
    return colored_mnist(seed=0)


def tiny_cfg(*extra):
    return experiments.get_config("colored_mnist", "paper", TINY + list(extra))


# --------------------------------------------------------------------------- data
def test_environments_follow_the_irm_protocol(full):
    sizes = [int((full.env == e).sum()) for e in range(3)]
    assert sizes == [25_000, 25_000, 10_000] and full.flips == (0.2, 0.1, 0.9)
    assert full.x.shape == (60_000, 2, 14, 14) and full.x.min() == 0 and full.x.max() == 1
    # one channel holds the digit, the other is zero
    per_channel = full.x.flatten(2).sum(-1)
    assert bool(((per_channel > 0).sum(1) == 1).all())
    assert torch.equal(per_channel.argmax(1), full.color)
    # the test environment is the last 10,000 training digits, in MNIST's order, 2x subsampled
    images, digits = load_mnist(split="train")
    test = full.environment(2)
    assert torch.equal(test.digit, digits[50_000:])
    torch.testing.assert_close(test.x.sum(1), images[50_000:, ::2, ::2].float() / 255)


@pytest.mark.parametrize("env", [0, 1, 2])
def test_colour_agreement_and_label_noise_within_binomial_tolerance(full, env):
    part = full.environment(env)
    n = len(part.y)
    for observed, p in (((part.color == part.y.long()).float().mean(), 1 - full.flips[env]),
                        (((part.digit < 5).float() != part.y).float().mean(), 0.25)):
        assert abs(float(observed) - p) < 4 * math.sqrt(p * (1 - p) / n)


def test_data_are_a_pure_function_of_the_seed():
    a, b, c = (colored_mnist(seed=s, n_per_env=200, n_test=100) for s in (3, 3, 4))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.y, c.y)
    with pytest.raises(ValueError, match="n_per_env"):
        colored_mnist(n_per_env=30_000)


def test_grayscale_and_probe_inputs():
    data = colored_mnist(seed=0, n_per_env=10, n_test=50).environment(2)
    x = data.x.reshape(50, 392)
    digit = grayscale(x)
    assert digit.shape == (50, 196)
    torch.testing.assert_close(digit, data.x.sum(1).reshape(50, 196))
    quads = probe_quadrants(x, data.color)
    assert list(quads) == ["digit_gray", "digit_color", "blank_gray", "blank_color"]
    torch.testing.assert_close(quads["digit_color"], x)
    gray = quads["digit_gray"].reshape(50, 2, 196)
    torch.testing.assert_close(gray[:, 0], digit / 2)
    torch.testing.assert_close(gray[:, 1], digit / 2)
    blank = quads["blank_color"].reshape(50, 2, 196)
    assert torch.allclose(blank.sum(1), torch.full((50, 196), float(digit.mean())))
    assert torch.equal(blank.sum(-1).argmax(1), data.color)
    torch.testing.assert_close(grayscale(quads["blank_gray"]), grayscale(quads["blank_color"]))


# --------------------------------------------------------------------------- recipes = original losses
def _nll(logits, y):
    return F.binary_cross_entropy_with_logits(logits, y)


def _original_losses():
    """The three scripts' loss at a warm-up step and after it, written out independently."""
    gen = torch.Generator().manual_seed(0)
    logits, y = 3 * torch.randn(40, generator=gen), (torch.rand(40, generator=gen) < 0.5).float()
    env = torch.arange(40) % 2
    r = [_nll(logits[env == e], y[env == e]) for e in (0, 1)]

    def irm_grad(e):
        return ((torch.sigmoid(logits[env == e]) - y[env == e]) * logits[env == e]).mean()

    irm_pen = (irm_grad(0) ** 2 + irm_grad(1) ** 2) / 2
    pw_irm, pw_rex = 91257.18613115903, 10000.0
    return logits, y, env, {
        "SD": (_nll(logits, y) + 2e-5 * (logits ** 2).mean(),
               2e-5 * (_nll(logits, y) + (logits ** 2).mean())),
        "IRM": ((r[0] + r[1]) / 2 + irm_pen, ((r[0] + r[1]) / 2 + pw_irm * irm_pen) / pw_irm),
        # ours is half the original during V-REx's warm-up (see configs), exact after it
        "VREx": ((r[0] + r[1] + (r[0] - r[1]) ** 2) / 2,
                 (r[0] + r[1] + pw_rex * (r[0] - r[1]) ** 2) / pw_rex),
        "ERM": (_nll(logits, y), _nll(logits, y)),
    }


@pytest.mark.parametrize("name", ["ERM", "SD", "IRM", "VREx"])
def test_paper_recipes_reproduce_the_original_losses(name):
    logits, y, env, expected = _original_losses()
    recipe = configs.COLORED_MNIST_RECIPES[name]
    objective = Objective(recipe.method)
    after = max(recipe.method.warmup_steps, 1)
    for step, target in zip((0, after), expected[name]):
        torch.testing.assert_close(objective(logits[None], y, env, step), target.reshape(1))


def test_irm_l2_term_is_divided_by_the_penalty_weight_after_warm_up():
    recipe = configs.COLORED_MNIST_RECIPES["IRM"]
    objective = Objective(recipe.method)
    assert recipe.l2 * objective.scale(0) == 0.00110794568
    assert recipe.l2 * objective.scale(190) == pytest.approx(0.00110794568 / 91257.18613115903)


def test_parameter_counts_match_the_paper_architecture():
    for name, per_restart in (("ERM", 392 * 300 + 300 + 300 * 300 + 300 + 301),  # 208,501
                              ("IRM", 392 * 390 + 390 + 390 * 390 + 390 + 391),  # 306,151
                              ("Oracle", 196 * 83 + 83 + 83 * 83 + 83 + 84)):  # 23,407
        recipe = configs.COLORED_MNIST_RECIPES[name]
        d_in = 196 if recipe.grayscale else 392
        model = cm.BatchedMLP((d_in, recipe.hidden_dim, recipe.hidden_dim, 1), seeds=(0, 1, 2))
        assert sum(p.numel() for p in model.parameters()) == 3 * per_restart


# --------------------------------------------------------------------------- maths
def test_entropy_and_accuracy_against_direct_formulas():
    logits = torch.tensor([[-30.0, -2.0, 0.0, 0.5, 4.0]])
    p = torch.sigmoid(logits.double())
    direct = -(p * p.log() + (1 - p) * (1 - p).log()).nan_to_num(0.0).mean(-1)
    torch.testing.assert_close(cm.binary_entropy(logits).double(), direct, atol=1e-6, rtol=1e-5)
    assert cm.binary_entropy(torch.zeros(1, 3)).item() == pytest.approx(math.log(2))
    y = torch.tensor([0.0, 0.0, 1.0, 1.0, 0.0])
    assert cm.accuracy(logits, y).tolist() == [60.0]


def test_flop_count_is_the_analytic_formula():
    cfg = experiments.get_config("colored_mnist", "paper", ["methods=ERM", "eval_every=1000"])
    per_forward = 2 * 50_000 * (392 * 300 + 300 * 300 + 300)
    evals = 2 * 60_000 * (392 * 300 + 300 * 300 + 300) * 2  # before step 0 and after step 1000
    assert cm.protocol_flops(cfg) == 10 * (1000 * 3 * per_forward + evals)


# --------------------------------------------------------------------------- batched == one by one
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["SD", "IRM", "Oracle"])
def test_batched_restarts_equal_one_by_one(device, name):
    cfg = tiny_cfg()
    data, _ = cm.build_data(cfg, torch.device(device))
    recipe, seeds = cfg.recipes[name], (0, 1, 2)
    batched, hist = cm.train_restarts(recipe, data, seeds, eval_every=3)
    for r, seed in enumerate(seeds):
        single, single_hist = cm.train_restarts(recipe, data, (seed,), eval_every=3)
        for pb, ps in zip(batched.parameters(), single.parameters()):
            torch.testing.assert_close(pb[r], ps[0], atol=1e-5, rtol=1e-4)
        assert [row[r] for row in hist.extra["test_acc"]] == pytest.approx(
            [row[0] for row in single_hist.extra["test_acc"]], abs=0.51)  # at most one flip in 200


# --------------------------------------------------------------------------- run, resume, CLI
def test_run_writes_every_method_and_resumes_from_workdir(tmp_path):
    cfg = tiny_cfg()
    first = cm.run(cfg, torch.device("cpu"), progress=False, workdir=tmp_path)
    assert set(first["methods"]) == set(cfg.methods) == set(first["quadrants"]) == set(first["curves"])
    for row in first["methods"].values():
        assert set(row) >= {"train_acc_mean", "train_acc_std", "test_acc_mean", "test_acc_std", "n_restarts"}
        assert row["n_restarts"] == 2
        assert all(isinstance(row[k], float) for k in ("train_acc_mean", "test_acc_std"))
    for quads in first["quadrants"].values():
        assert list(quads) == ["digit_gray", "digit_color", "blank_gray", "blank_color"]
        assert all(0 <= q["acc"] <= 100 and 0 <= q["entropy"] <= math.log(2) + 1e-6 for q in quads.values())
    assert first["curves"]["SD"]["step"] == [0, 2, 4, 6]
    assert len(list(tmp_path.glob("colored_mnist-*.pt"))) == len(cfg.methods)
    again = cm.run(cfg, torch.device("cpu"), progress=False, workdir=tmp_path)  # resumes: nothing to train
    assert again == first
    assert cm.run(cfg, torch.device("cpu"), progress=False) == first  # deterministic without a workdir too


def test_cli_writes_the_schema_and_rejects_bad_input(tmp_path, capsys):
    out = tmp_path / "cm.json"
    sets = [a for s in TINY + ["methods=ERM,SD"] for a in ("--set", s)]
    base = [sys.executable, "-m", "gsutils", "run", "colored_mnist", "--device", "cpu", "--no-progress"]
    ok = subprocess.run(base + ["--profile", "paper", "--out", str(out)] + sets, capture_output=True,
                        text=True)
    assert ok.returncode == 0, ok.stderr
    record = json.loads(out.read_text())
    assert record["experiment"] == "colored_mnist" and record["profile"] == "paper"
    assert set(record["metrics"]["methods"]) == {"ERM", "SD"} and record["provenance"]["wall_time_s"] > 0
    for bad, fragment in (("methods=ERM,GroupDRO", "unknown Colored MNIST method 'GroupDRO'"),
                          ("n_per_env=30000", "accepted 1..25000"),
                          ("recipes.SD.lr=-1", "need hidden_dim, lr, steps > 0"),
                          ("recipes.SDD.lr=1", "unknown key 'SDD'"),
                          ("recipes.IRM.n_per_env=20000", "exceeds n_per_env=10000")):
        bad_out = tmp_path / "bad.json"
        argv = ["run", "colored_mnist", "--out", str(bad_out), "--set", bad]  # in-process: same main()
        assert cli_main(argv) == 2, bad
        assert fragment in capsys.readouterr().err and not bad_out.exists(), bad


@pytest.mark.slow
def test_quick_profile_shows_the_papers_ordering():
    cfg = experiments.get_config("colored_mnist", "quick")
    methods = cm.run(cfg, torch.device("cpu"), progress=False)["methods"]
    assert methods["ERM"]["test_acc_mean"] < 35
    assert methods["SD"]["test_acc_mean"] > 60 and methods["IRM"]["test_acc_mean"] > 60


# --------------------------------------------------------------------------- per-restart data, update sizes
def test_redraw_per_restart_gives_each_restart_its_own_draw_and_trains_as_one_by_one():
    cfg = tiny_cfg("redraw_per_restart=true", "methods=SD,IRM")
    data, _ = cm.build_data(cfg, "cpu")
    assert cm.data_seeds(cfg) == (0, 1) and data["x"].shape == (2, 600, 392) and data["env"].shape == (600,)
    for r, seed in enumerate(cm.data_seeds(cfg)):
        own, _ = cm.build_data(experiments.get_config("colored_mnist", "paper", TINY + [f"data_seed={seed}"]), "cpu")
        assert torch.equal(data["x"][r], own["x"]) and torch.equal(data["y_test"][r], own["y_test"])
    assert not torch.equal(data["y"][0], data["y"][1])  # different label noise
    seeds = cm.restart_seeds(cfg)
    for name in cfg.methods:
        recipe = cfg.recipes[name]
        both, _ = cm.train_restarts(recipe, data, seeds, cfg.eval_every)
        for r in range(2):
            alone_data = {k: v if k == "env" else v[r] for k, v in data.items()}
            alone, _ = cm.train_restarts(recipe, alone_data, seeds[r:r + 1], cfg.eval_every)
            x = cm.inputs(alone_data["x_test"], recipe)
            torch.testing.assert_close(both(x)[r], alone(x)[0], rtol=1e-4, atol=1e-5)
    metrics = cm.run(cfg, "cpu", progress=False)
    assert metrics["data_seeds"] == [0, 1] and set(metrics["quadrants"]["SD"]) == set(cm.QUADRANTS)


def test_update_sizes_are_the_parameter_change_of_each_step():
    cfg = tiny_cfg()
    data, _ = cm.build_data(cfg, "cpu")
    recipe = cfg.recipes["SD"]
    seeds = cm.restart_seeds(cfg)
    sizes = cm.update_sizes(recipe, data, seeds, steps=4)
    assert sizes["step"] == [0, 1, 2, 3] and len(sizes["update_size"][0]) == 2
    # the first update by hand: train one step and diff the parameters of restart 1
    model = cm._model(recipe, data["x"], seeds)
    before = [p.detach()[1].clone() for p in model.parameters()]
    cm.train(model, data["x"], data["y"], recipe.method, cm.TrainConfig(steps=1, lr=recipe.lr), env=data["env"],
             progress=False)
    change = sum((p.detach()[1] - b).pow(2).sum() for p, b in zip(model.parameters(), before)).sqrt()
    assert math.isclose(sizes["update_size"][0][1], float(change), rel_tol=1e-5)
    # Adam's first step moves every weight by about lr: the size is ~ lr * sqrt(#parameters)
    n_params = sum(p[0].numel() for p in model.parameters())
    assert 0.5 < sizes["update_size"][0][0] / (recipe.lr * math.sqrt(n_params)) <= 1.0 + 1e-6
