"""Sweeps (chapter 8): seeded draws, batched trials against one-by-one training, model selection,
a 4-trial quick sweep on a local Ray (with resume), and the command line's errors."""

import json
import socket
from pathlib import Path
from dataclasses import replace

import pytest
import torch

from gsutils import configs, sweep
from gsutils.__main__ import main as cli_main
from gsutils.configs.search import Hparam
from gsutils.experiments import colored_mnist as cm
from gsutils.experiments import sweep_batched as sb

# A 4-trial Colored MNIST sweep small enough for the test suite (a few seconds of training).
TINY = [f"recipes.{m}.{k}" for m in ("ERM", "SD", "IRM", "VREx") for k in ("steps=12", "method.warmup_steps=4")] \
    + ["n_per_env=300", "n_test=200"]


# --------------------------------------------------------------------------- draws
def test_draws_are_seeded_reproducible_and_trial_zero_is_the_recipe():
    a = [configs.draw_hparams("colored_mnist", "IRM", t) for t in range(5)]
    assert a == [configs.draw_hparams("colored_mnist", "IRM", t) for t in range(5)]
    assert a[0] == {} and len({json.dumps(d, sort_keys=True) for d in a}) == 5
    assert set(a[1]) == {"hidden_dim", "lr", "l2", "warmup_frac", "irm_lambda"}
    assert a[1]["hidden_dim"] in (64, 128, 256) and 1e2 <= a[1]["irm_lambda"] <= 1e6
    quick = configs.draw_hparams("colored_mnist", "IRM", 1, "quick")
    assert quick == {k: v for k, v in a[1].items() if k != "hidden_dim"}  # the same draws, width fixed
    cfg = configs.COLORED_MNIST_PROFILES["paper"]
    assert sb.trial_recipe(cfg, "IRM", {}) == cfg.recipes["IRM"]
    irm = sb.trial_recipe(cfg, "IRM", a[1])
    assert irm.method.post_warmup_scale == pytest.approx(1 / a[1]["irm_lambda"])
    assert irm.method.warmup_steps == round(a[1]["warmup_frac"] * 500)


def test_draws_do_not_shift_when_a_hyperparameter_is_added(monkeypatch):
    before = [configs.draw_hparams("colored_mnist", "VREx", t) for t in range(1, 6)]
    spaces = {**configs.SEARCH_SPACES["colored_mnist"]}
    spaces["VREx"] = (Hparam("extra", "uniform", 0, 1, "test"),) + spaces["VREx"]
    monkeypatch.setitem(configs.SEARCH_SPACES, "colored_mnist", spaces)
    after = [configs.draw_hparams("colored_mnist", "VREx", t) for t in range(1, 6)]
    assert all(set(b) | {"extra"} == set(a) for a, b in zip(after, before))
    assert [{k: v for k, v in a.items() if k != "extra"} for a in after] == before


# --------------------------------------------------------------------------- batched trials
@pytest.mark.parametrize("method", sb.METHODS)
def test_batched_trials_equal_trials_run_one_by_one(method):
    cfg = sweep.plan("colored_mnist", "quick", 1, TINY)[0]
    recipes = [sb.trial_recipe(cfg, method, configs.draw_hparams("colored_mnist", method, t, "quick"))
               for t in range(3)]
    recipes = [replace(r, method=replace(r.method, warmup_steps=3 + 2 * i)) for i, r in enumerate(recipes)]
    assert len({(r.lr, r.l2, r.method) for r in recipes}) == 3
    x, y, env, _ = sb.fold_data(sb.sweep_data(cfg, "cpu"), "full", 0)
    seeds = cm.restart_seeds(cfg)
    batched = sb.train_trials(recipes, seeds, x, y, env)
    for i, recipe in enumerate(recipes):  # gsutils.train.train with torch.optim.Adam, one trial
        single, _ = cm.train_restarts(recipe, {"x": x, "y": y, "env": env, "x_test": x, "y_test": y},
                                      seeds, recipe.steps)
        for pb, ps in zip(batched.parameters(), single.parameters()):
            torch.testing.assert_close(pb.detach()[i * len(seeds):(i + 1) * len(seeds)], ps.detach(),
                                       atol=2e-5, rtol=1e-4)


# --------------------------------------------------------------------------- selection
def _trial(method, t, test_out, train_out, loo, test_in):
    full = {"env0": {"in": [80.0], "out": [train_out]}, "env1": {"in": [80.0], "out": [train_out]},
            "env2": {"in": [test_in], "out": [test_out]}}
    return {"method": method, "trial": t, "hparams": {}, "config": {}, "metrics": {
        "full": full, "loo_0": {"env0": {"in": [loo], "out": [0.0]}}, "loo_1": {"env1": {"in": [loo], "out": [0.0]}}}}


def test_each_rule_picks_by_its_own_validation_set():
    trials = [_trial(m, t, *vals) for m in sb.METHODS for t, vals in
              enumerate([(10, 90, 50, 11), (70, 60, 40, 69), (20, 70, 80, 21)])]
    chosen = sweep.select("colored_mnist", trials)
    assert set(chosen) == {"test_domain", "train_domain", "leave_one_out"}
    assert [chosen[r]["IRM"]["trial"] for r in chosen] == [1, 0, 2]
    assert chosen["test_domain"]["SD"]["test_acc_mean"] == 69.0


# --------------------------------------------------------------------------- end to end
def test_quick_sweep_on_local_ray_resumes_and_writes_the_schema(tmp_path):
    out, workdir = tmp_path / "sweep.json", tmp_path / "trials"
    record = sweep.sweep("colored_mnist", "quick", 4, "cpu", out=out, workdir=workdir, progress=False,
                         overrides=TINY)
    saved = json.loads(out.read_text())
    assert {"experiment", "backend", "trials", "selection", "provenance"} <= set(saved)
    assert saved["backend"]["name"] == "ray" and saved["backend"]["address"] == "local"
    assert len(saved["trials"]) == 16 and len(list(workdir.glob("*.json"))) == 48
    assert set(saved["trials"][0]["metrics"]["full"]) == {"env0", "env1", "env2"}
    for rule in ("test_domain", "train_domain", "leave_one_out"):
        for method in sb.METHODS:
            row = saved["selection"][rule][method]
            assert 0 <= row["test_acc_mean"] <= 100 and "config" in row
    (workdir / "SD-0002-loo_1.json").unlink()  # an interrupted sweep: one trial-fold missing
    again = sweep.sweep("colored_mnist", "quick", 4, "cpu", workdir=workdir, progress=False, overrides=TINY)
    assert again["selection"] == record["selection"] and len(list(workdir.glob("*.json"))) == 48


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args, fragment", [
    (["nope"], "unknown sweep experiment 'nope'"),
    (["colored_mnist", "--trials", "0"], "bad --trials '0'"),
    (["colored_mnist", "--address", "127.0.0.1:{port}"], "unreachable Ray address '127.0.0.1:"),
    (["colored_mnist", "--address", "nowhere"], "bad Ray address 'nowhere'"),
])
def test_bad_sweep_arguments_stop_in_one_line_and_write_nothing(tmp_path, capsys, args, fragment):
    args = [a.format(port=_closed_port()) for a in args]
    code = cli_main(["sweep", *args, "--out", str(tmp_path / "out.json"), "--workdir", str(tmp_path / "w")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and fragment in err
    assert list(tmp_path.iterdir()) == []


def test_local_ray_workers_get_the_data_folder_as_an_absolute_path(tmp_path, monkeypatch):
    """On Colab the data folder is ./data; Ray's workers start elsewhere, so they get its absolute path."""
    from gsutils import sweep as sw
    from gsutils.data import mnist

    monkeypatch.delenv("GSUTILS_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(mnist, "default_root", lambda: Path("data"))
    assert sw.worker_env(None)["GSUTILS_DATA"] == str(tmp_path / "data")
    assert "GSUTILS_DATA" not in sw.worker_env("10.0.0.1:6379")  # a cluster's workers have their own
