"""Core layers: configs, methods against closed forms, models, the training loop, results, CLI."""

import subprocess
import sys
from dataclasses import dataclass

import pytest
import torch

from gsutils import configs, results
from gsutils.methods import METHODS, MethodConfig, Objective, irm_penalty, task_loss
from gsutils.models import BatchedMLP
from gsutils.runtime import InputError, resolve_device, set_seed
from gsutils.train import TrainConfig, train


def tiny_data(n=64, d=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen)
    y = (x[:, 0] + 0.3 * torch.randn(n, generator=gen) > 0).float()
    env = torch.randint(0, 2, (n,), generator=gen)
    return x, y, env


# --------------------------------------------------------------------------- configs
@dataclass(frozen=True)
class Inner:
    lr: float = 0.1
    name: str = "ERM"


@dataclass(frozen=True)
class Outer:
    steps: int = 10
    flag: bool = False
    s1: tuple = (2.0, 4.0)
    inner: Inner = Inner()


def test_overrides_coerce_types_and_reach_nested_fields():
    cfg = configs.apply_overrides(Outer(), ["steps=7", "flag=true", "s1=1,2.5,3", "inner.lr=0.5"])
    assert cfg == Outer(steps=7, flag=True, s1=(1.0, 2.5, 3.0), inner=Inner(lr=0.5))


@pytest.mark.parametrize("override, fragment", [
    ("stpes=3", "unknown parameter 'stpes'; accepted: steps, flag, s1, inner"),
    ("steps=ten", "bad value 'ten' for steps: expected int"),
    ("flag=maybe", "bad value 'maybe' for flag: expected bool"),
    ("inner.momentum=1", "unknown parameter 'momentum'; accepted: lr, name"),
    ("steps", "expected KEY=VALUE"),
])
def test_bad_overrides_name_the_value_and_what_is_accepted(override, fragment):
    with pytest.raises(InputError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        configs.apply_overrides(Outer(), [override])


def test_describe_flattens_nested_configs():
    assert configs.describe(Outer()) == {"steps": 10, "flag": False, "s1": (2.0, 4.0),
                                         "inner.lr": 0.1, "inner.name": "ERM"}


# --------------------------------------------------------------------------- methods
def test_unknown_method_lists_the_registry():
    with pytest.raises(InputError, match="unknown method 'SDD'; accepted: ERM, SD, IRM, VREx, GroupDRO"):
        MethodConfig(name="SDD")


def test_sd_penalty_is_the_papers_shifted_form():
    logits = torch.tensor([[1.0, -2.0, 3.0, 0.5]])
    y = torch.tensor([1.0, 0.0, 1.0, 0.0])
    cfg = MethodConfig("SD", sd_lambda=0.2, sd_gamma=(0.44, 2.5))
    obj = Objective(cfg)
    gamma = torch.where(y > 0, 2.5, 0.44)
    expected = task_loss(logits, y).mean() + 0.2 / 2 * ((logits - gamma) ** 2).mean()
    torch.testing.assert_close(obj(logits, y), expected.reshape(1))
    per_class = Objective(MethodConfig("SD", sd_lambda=1.0, sd_gamma=(0.44, 2.5),
                                       sd_lambda_per_class=(0.1, 0.3)))
    lam = torch.where(y > 0, 0.3, 0.1)
    expected = task_loss(logits, y).mean() + (lam / 2 * (logits - gamma) ** 2).mean()
    torch.testing.assert_close(per_class(logits, y), expected.reshape(1))


def test_irm_penalty_equals_autograd_through_a_dummy_scale():
    x, y, env = tiny_data()
    logits = torch.randn(3, len(y))
    expected = []
    for r in range(3):
        per_env = []
        for e in (0, 1):
            scale = torch.tensor(1.0, requires_grad=True)
            loss = task_loss(logits[r, env == e] * scale, y[env == e]).mean()
            (grad,) = torch.autograd.grad(loss, [scale])
            per_env.append(grad ** 2)
        expected.append(torch.stack(per_env).mean())
    torch.testing.assert_close(irm_penalty(logits, y, env, MethodConfig("IRM")), torch.stack(expected))


def test_vrex_is_the_variance_of_environment_risks():
    x, y, env = tiny_data()
    logits = torch.randn(len(y))
    risks = torch.stack([task_loss(logits[env == e], y[env == e]).mean() for e in (0, 1)])
    obj = Objective(MethodConfig("VREx", rex_lambda=3.0))
    expected = risks.mean() + 3.0 * risks.var(unbiased=False)
    torch.testing.assert_close(obj(logits, y, env), expected)


def test_schedule_warms_up_then_rescales():
    obj = Objective(MethodConfig("IRM", irm_lambda=100.0, warmup_steps=5, warmup_weight=1.0,
                                 post_warmup_scale=0.01))
    assert (obj.weight(4), obj.scale(4), obj.weight(5), obj.scale(5)) == (1.0, 1.0, 100.0, 0.01)


def test_group_dro_upweights_the_worst_group():
    y = torch.tensor([0.0, 0.0, 1.0, 1.0])
    group = torch.tensor([0, 0, 1, 1])
    logits = torch.tensor([-5.0, -5.0, -1.0, -1.0])  # group 1 has the larger risk
    obj = Objective(MethodConfig("GroupDRO", groupdro_eta=1.0), n_groups=2)
    obj(logits, y, group)
    assert obj.q[1] > obj.q[0] and torch.isclose(obj.q.sum(), torch.tensor(1.0))


@pytest.mark.parametrize("name", METHODS)
def test_every_method_trains_and_lowers_its_loss(name):
    x, y, env = tiny_data()
    model = BatchedMLP([5, 16, 1], seeds=(0, 1))
    cfg = MethodConfig(name, sd_lambda=0.1, irm_lambda=1.0, rex_lambda=1.0)
    obj = Objective(cfg, n_groups=2 if name == "GroupDRO" else 0)
    hist = train(model, x, y, obj, TrainConfig(steps=60, lr=1e-2), env=env, progress=False)
    assert len(hist.loss[-1]) == 2
    assert all(after < before for before, after in zip(hist.loss[0], hist.loss[-1]))


# --------------------------------------------------------------------------- models
def test_batched_mlp_shapes_and_parameter_count():
    model = BatchedMLP([392, 300, 300, 1], seeds=range(4))
    assert model(torch.zeros(7, 392)).shape == (4, 7)
    per_model = 392 * 300 + 300 + 300 * 300 + 300 + 300 + 1
    assert sum(p.numel() for p in model.parameters()) == 4 * per_model == 4 * 208_501
    assert model.squared_norm().shape == (4,)


def test_batched_init_matches_single_models():
    batched = BatchedMLP([5, 8, 1], seeds=(3, 7))
    for r, seed in enumerate((3, 7)):
        single = BatchedMLP([5, 8, 1], seeds=(seed,))
        for wb, ws in zip(batched.parameters(), single.parameters()):
            torch.testing.assert_close(wb[r], ws[0])


# --------------------------------------------------------------------------- train
def test_training_restarts_at_once_equals_one_by_one():
    x, y, env = tiny_data()
    cfg = TrainConfig(steps=40, lr=1e-2, l2=1e-3)
    method = MethodConfig("SD", sd_lambda=0.5)
    batched = BatchedMLP([5, 16, 1], seeds=(0, 1, 2))
    train(batched, x, y, method, cfg, progress=False)
    for r, seed in enumerate((0, 1, 2)):
        single = BatchedMLP([5, 16, 1], seeds=(seed,))
        train(single, x, y, method, cfg, progress=False)
        for pb, ps in zip(batched.parameters(), single.parameters()):
            torch.testing.assert_close(pb[r], ps[0], rtol=1e-5, atol=1e-6)


def test_training_is_deterministic_and_minibatches_cover_epochs():
    x, y, env = tiny_data()
    cfg = TrainConfig(steps=25, lr=1e-2, batch_size=16, optimizer="sgd", momentum=0.9, seed=3)
    runs = []
    for _ in range(2):
        model = BatchedMLP([5, 8, 1], seeds=(1,))
        runs.append(train(model, x, y, MethodConfig("ERM"), cfg, progress=False).loss)
    assert runs[0] == runs[1]


def test_resume_from_checkpoint_equals_an_uninterrupted_run(tmp_path):
    x, y, env = tiny_data()
    method = MethodConfig("GroupDRO")
    full = BatchedMLP([5, 8, 1], seeds=(1,))
    train(full, x, y, Objective(method, 2), TrainConfig(steps=30, lr=1e-2, batch_size=20), env=env,
          progress=False)
    ckpt = tmp_path / "ckpt.pt"
    part = BatchedMLP([5, 8, 1], seeds=(1,))
    train(part, x, y, Objective(method, 2), TrainConfig(steps=12, lr=1e-2, batch_size=20), env=env,
          checkpoint=ckpt, checkpoint_every=6, progress=False)
    resumed = BatchedMLP([5, 8, 1], seeds=(99,))  # different init: must be replaced by the checkpoint
    train(resumed, x, y, Objective(method, 2), TrainConfig(steps=30, lr=1e-2, batch_size=20), env=env,
          checkpoint=ckpt, progress=False)
    for a, b in zip(full.parameters(), resumed.parameters()):
        torch.testing.assert_close(a, b)


def test_callbacks_see_step_zero_and_every_k_steps():
    x, y, _ = tiny_data()
    seen = []
    train(BatchedMLP([5, 4, 1]), x, y, MethodConfig(), TrainConfig(steps=10, lr=1e-2),
          callbacks=[lambda step, model, hist: seen.append(step)], callback_every=4, progress=False)
    assert seen == [0, 4, 8, 10]


def test_bad_train_config_is_rejected():
    with pytest.raises(InputError, match="unknown optimizer 'adamw'; accepted: adam, sgd"):
        TrainConfig(optimizer="adamw")


# --------------------------------------------------------------------------- runtime, results
def test_device_choice_is_checked():
    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(InputError, match="unknown device 'gpu'; accepted: auto, cpu, cuda"):
        resolve_device("gpu")


def test_set_seed_makes_torch_repeatable():
    set_seed(5)
    a = torch.rand(3)
    set_seed(5)
    assert torch.equal(a, torch.rand(3))


def test_results_roundtrip_and_missing_file_message(tmp_path):
    path = results.save(tmp_path / "r.json", "toy", "quick", {"a": 1}, {"acc": 0.5},
                        results.provenance(torch.device("cpu"), 1.234))
    record = results.load(path)
    assert record["metrics"] == {"acc": 0.5} and record["provenance"]["wall_time_s"] == 1.23
    assert not list(tmp_path.glob(".*tmp"))  # no temporary left behind
    with pytest.raises(FileNotFoundError, match="python -m gsutils run EXPERIMENT"):
        results.load(tmp_path / "absent.json")


# --------------------------------------------------------------------------- command line
def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gsutils", *args], capture_output=True, text=True,
                          cwd=cwd)


@pytest.mark.parametrize("args, message", [
    (["run", "nope"], "unknown experiment 'nope'; accepted: theory, toy, colored_mnist, celeba"),
    (["run", "theory", "--profile", "full"], "unknown profile 'full'; accepted: quick, paper"),
    (["run", "theory", "--device", "tpu"], "unknown device 'tpu'; accepted: auto, cpu, cuda"),
    (["run", "theory", "--set", "dleta=0.3"], "unknown parameter 'dleta'"),
    (["run", "theory", "--set", "delta=1.5"], "delta=1.5 out of range"),
])
def test_cli_rejects_bad_input_in_one_line_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "r.json"
    proc = cli(*args, "--out", str(out))
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: ") and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()
