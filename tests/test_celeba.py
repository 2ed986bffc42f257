"""CelebA (chapter 6): the real reader on a tiny fixture in CelebA's file format, the stand-in's
group structure, the SD penalty against the original's, model selection, the CLI."""

import json
import math
import urllib.error

import pytest
import torch
from PIL import Image

from gsutils import configs, experiments
from gsutils.__main__ import main
from gsutils.data.celeba import (CELEBA_GROUPS, GROUP_NAMES, celeba_standin, check_celeba_files,
                                 load_celeba)
from gsutils.experiments import celeba as E
from gsutils.methods import MethodConfig, Objective
from gsutils.models import resnet50_binary
from gsutils.runtime import InputError

ATTRIBUTES = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose "
    "Black_Hair Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee "
    "Gray_Hair Heavy_Makeup High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard "
    "Oval_Face Pale_Skin Pointy_Nose Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair "
    "Wavy_Hair Wearing_Earrings Wearing_Hat Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young").split()
FIXTURE_GROUPS = {0: (3, 2, 2, 1), 1: (2, 2, 1, 1), 2: (2, 1, 1, 1)}  # split -> images per group


def make_celeba_fixture(root) -> list[tuple[str, int, int, int]]:
    """Write CelebA's files for a few 178 x 218 JPEGs under root/celeba; return (name, split, y, a)."""
    base = root / "celeba"
    (base / "img_align_celeba").mkdir(parents=True)
    rows, gen = [], torch.Generator().manual_seed(0)
    for split, per_group in FIXTURE_GROUPS.items():
        for g, n in enumerate(per_group):
            for _ in range(n):
                rows.append((f"{len(rows) + 1:06d}.jpg", split, *divmod(g, 2)))
    for name, split, y, a in rows:  # hair colour in the top rows, a gender cue in the bottom rows
        pixels = torch.randint(0, 256, (218, 178, 3), generator=gen, dtype=torch.uint8)
        pixels[:60] = torch.tensor([230, 200, 80] if y else [60, 40, 30], dtype=torch.uint8)
        pixels[-60:] = 255 * a
        Image.fromarray(pixels.numpy()).save(base / "img_align_celeba" / name, quality=90)
    n = len(rows)
    attr = [str(n), " ".join(ATTRIBUTES)]
    for name, _, y, a in rows:
        values = ["-1"] * len(ATTRIBUTES)
        values[ATTRIBUTES.index("Blond_Hair")] = "1" if y else "-1"
        values[ATTRIBUTES.index("Male")] = "1" if a else "-1"
        attr.append(" ".join([name, *values]))
    files = {
        "list_attr_celeba.txt": attr,
        "list_eval_partition.txt": [f"{name} {split}" for name, split, _, _ in rows],
        "identity_CelebA.txt": [f"{name} {i + 1}" for i, (name, *_) in enumerate(rows)],
        "list_bbox_celeba.txt": [str(n), "image_id x_1 y_1 width height"]
        + [f"{name} 95 71 226 313" for name, *_ in rows],
        "list_landmarks_align_celeba.txt": [str(n), "lefteye_x lefteye_y righteye_x righteye_y nose_x "
                                            "nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y"]
        + [f"{name} 69 109 106 113 77 142 73 152 108 154" for name, *_ in rows],
    }
    for filename, lines in files.items():
        (base / filename).write_text("\n".join(lines) + "\n")
    return rows


@pytest.fixture
def celeba_root(tmp_path):
    make_celeba_fixture(tmp_path)
    return tmp_path


def fixture_cfg(root, *extra):
    recipes = [f"recipes.{m}.epochs=2" for m in configs.CELEBA_METHODS]
    return experiments.get_config("celeba", "paper", [
        "data=celeba", f"data_root={root}", "verify_md5=false", "arch=mlp", "image_size=16",
        "hidden=8", "batch_size=4", "eval_batch_size=3", "seeds=0,1", *recipes, *extra])


TINY_STANDIN = ["standin.scale=0.01", "standin.eval_per_group=20", "seeds=0,1", "hidden=8"] + [
    f"recipes.{m}.epochs=2" for m in (*configs.CELEBA_METHODS, *configs.CELEBA_ABLATIONS)]


# --------------------------------------------------------------------------- the real reader
def test_load_celeba_reads_the_fixture_with_torchvision(tmp_path):
    rows = make_celeba_fixture(tmp_path)
    for split_id, split in enumerate(("train", "valid", "test")):
        data = load_celeba(tmp_path, split, image_size=16, verify_md5=False)
        assert data.counts() == list(FIXTURE_GROUPS[split_id])
        expected = [(y, a) for _, s, y, a in rows if s == split_id]  # in list_eval_partition's order
        assert data.y.tolist() == [float(y) for y, _ in expected]
        assert data.g.tolist() == [2 * y + a for y, a in expected]
        torch.testing.assert_close(data.weights.sum(), torch.tensor(1.0))
        images = data.x[torch.tensor([0, len(data.y) - 1])]
        assert images.shape == (2, 3, 16, 16) and images.dtype == torch.float32
        # ImageNet normalisation: the yellow top rows of a blond image are well above the mean in red
        blond = int(torch.nonzero(data.y == 1)[0])
        assert float(data.x[torch.tensor([blond])][0, 0, :3].mean()) > 1.0


def test_missing_celeba_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_celeba(tmp_path, "train")
    message = str(err.value)
    for needle in ("img_align_celeba", "list_attr_celeba.txt", "download=True", "Google Drive",
                   "data_root", str(tmp_path / "celeba")):
        assert needle in message


def test_md5_check_rejects_files_that_are_not_the_official_ones(celeba_root):
    with pytest.raises(InputError, match="MD5"):
        check_celeba_files(celeba_root, verify_md5=True)
    assert check_celeba_files(celeba_root, verify_md5=False) == celeba_root / "celeba"


def test_bad_split_is_rejected(celeba_root):
    with pytest.raises(InputError, match="accepted: train, valid, test"):
        load_celeba(celeba_root, "validation", verify_md5=False)


def test_real_path_end_to_end_on_the_fixture(celeba_root, tmp_path):
    cfg = fixture_cfg(celeba_root)
    metrics = E.run(cfg, torch.device("cpu"), progress=False, workdir=tmp_path / "work")
    assert metrics["data"] == "celeba" and metrics["group_names"] == list(GROUP_NAMES)
    assert metrics["group_counts"]["train"] == list(FIXTURE_GROUPS[0])
    assert set(metrics["methods"]) == set(configs.CELEBA_METHODS)
    for m in metrics["methods"].values():
        assert m["n_seeds"] == 2 and len(m["selected_epoch"]) == 2
        assert all(1 <= e <= 2 for e in m["selected_epoch"])
        assert 0 <= m["worst_acc_mean"] <= m["avg_acc_mean"] + 1e-9 <= 100 + 1e-9
        assert set(m["group_acc"]) == set(GROUP_NAMES)
        assert len(m["curves"]["epoch"]) == 3  # before training and after each of 2 epochs
    assert len(list((tmp_path / "work").glob("celeba-*.pt"))) == 3
    json.dumps(metrics)  # JSON-ready


def test_resnet50_has_one_logit_and_the_stated_parameter_count():
    cfg = experiments.get_config("celeba", "paper", ["pretrained=false"])
    model = E.build_model(cfg, (0,), d_in=3 * 224 * 224)
    assert sum(p.numel() for p in model.parameters()) == 23_510_081  # 25,557,032 - 999 * 2,049


@pytest.mark.slow
def test_resnet50_path_runs_on_the_fixture(celeba_root):
    cfg = fixture_cfg(celeba_root, "arch=resnet50", "pretrained=false", "seeds=0", "methods=SD",
                      "recipes.SD.epochs=1")
    metrics = E.run(cfg, torch.device("cpu"), progress=False)
    assert metrics["methods"]["SD"]["n_seeds"] == 1
    assert len(metrics["methods"]["SD"]["curves"]["epoch"]) == 2


def test_missing_imagenet_weights_say_what_and_how(monkeypatch, tmp_path):
    import torchvision.models._api as api

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no internet")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(api, "load_state_dict_from_url", offline)
    with pytest.raises(FileNotFoundError) as err:
        resnet50_binary(pretrained=True)
    message = str(err.value)
    for needle in ("resnet50-0676ba61.pth", str(tmp_path), "IMAGENET1K_V1", "pretrained=False"):
        assert needle in message


# --------------------------------------------------------------------------- the stand-in
@pytest.fixture(scope="module")
def standin():
    return celeba_standin(scale=0.05, eval_per_group=100, seed=0)


def test_standin_keeps_celebas_training_proportions(standin):
    counts = standin["train"].counts()
    assert counts == [round(0.05 * n) for n in CELEBA_GROUPS["train"]]  # 3581, 3344, 1144, 69
    assert 0 < counts[3] / sum(counts) < 0.01  # the minority stays under 1%
    assert standin["valid"].counts() == standin["test"].counts() == [100] * 4
    for split in ("train", "valid", "test"):
        total = sum(CELEBA_GROUPS[split])
        expected = torch.tensor([n / total for n in CELEBA_GROUPS[split]])
        torch.testing.assert_close(standin[split].weights, expected)


def test_standin_attributes_are_digit_and_border(standin):
    from gsutils.data import load_mnist

    data = standin["test"]
    images = data.x.reshape(-1, 14, 14)
    frame = torch.cat([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], 1)  # (N, 56)
    male = data.g % 2 == 1
    assert bool((frame[male] == 1).all()) and bool((frame[~male] < 1).any(1).all())
    assert data.x.min() >= 0 and data.x.max() <= 1 and data.x.shape[1] == 196
    # "blond" digits are 5-9: the inner 12 x 12 pixels are real MNIST test digits of those classes
    mnist, digits = load_mnist(split="test")
    small = mnist.float().div(255).reshape(-1, 14, 2, 14, 2).mean((2, 4))[:, 1:-1, 1:-1].flatten(1)
    some = torch.arange(0, len(data.y), 8)  # 50 digits, every group
    inner = images[some, 1:-1, 1:-1].flatten(1)
    distance, match = torch.cdist(inner, small, compute_mode="donot_use_mm_for_euclid_dist").min(1)
    assert float(distance.max()) < 1e-5
    assert torch.equal((digits[match] >= 5).float(), data.y[some])


def test_standin_is_a_pure_function_of_its_seed(standin):
    again = celeba_standin(scale=0.05, eval_per_group=100, seed=0)
    other = celeba_standin(scale=0.05, eval_per_group=100, seed=1)
    assert torch.equal(again["train"].x, standin["train"].x)
    assert not torch.equal(other["train"].x, standin["train"].x)


def test_standin_rejects_what_it_cannot_draw():
    with pytest.raises(InputError, match="lower standin.scale"):
        celeba_standin(scale=0.5)
    with pytest.raises(InputError, match="blond_digits"):
        celeba_standin(blond_digits=tuple(range(10)))


# --------------------------------------------------------------------------- maths and selection
def test_sd_recipe_equals_the_original_penalty_at_celebas_class_frequency():
    """loss.py spw3: 0.1 mean_{y=1}(y_hat - 2.5)^2 + 0.1 mean_{y=0}(y_hat - 0.44)^2, on a batch with
    CelebA's class frequency, equals sd_lambda * penalty of the SD recipe (lambda_y = 0.2 / pi_y)."""
    n1, n = 22880 + 1387, sum(CELEBA_GROUPS["train"])
    y = torch.zeros(n)
    y[:n1] = 1
    logits = torch.randn(n, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    original = 0.1 * (logits[y == 1] - 2.5).pow(2).mean() + 0.1 * (logits[y == 0] - 0.44).pow(2).mean()
    recipe = configs.CELEBA_PROFILES["paper"].recipes["SD"].method
    ours = Objective(recipe)(logits, y) - Objective(MethodConfig("ERM"))(logits, y)
    torch.testing.assert_close(ours, original, rtol=1e-10, atol=0)


def test_group_accuracy_against_a_direct_count():
    x = torch.tensor([[1.0], [-1.0], [2.0], [-3.0], [0.5], [-0.5]])
    y = torch.tensor([1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    g = torch.tensor([0, 0, 1, 1, 2, 3])
    model = torch.nn.Sequential(torch.nn.Flatten(0))  # logit = the input
    split = E.GroupSplit(x, y, g, torch.full((4,), 0.25))
    acc = E.group_accuracy(model, split, batch_size=4)
    torch.testing.assert_close(acc, torch.tensor([[50.0, 50.0, 100.0, 100.0]]))


def test_selection_skips_epoch_zero_and_follows_the_rule():
    valid = torch.tensor([  # (epochs 0..2, 2 models, 4 groups)
        [[99, 99, 99, 99], [99, 99, 99, 99]],
        [[90, 90, 90, 10], [80, 80, 80, 80]],
        [[80, 80, 80, 60], [90, 90, 90, 10]]], dtype=torch.float)
    weights = torch.tensor([0.4, 0.4, 0.15, 0.05])
    assert E.select_epochs(valid, weights, "avg").tolist() == [1, 2]
    assert E.select_epochs(valid, weights, "worst").tolist() == [2, 1]
    test = valid + 1
    m = E.summarize({"valid": valid, "test": test}, {"valid": E.GroupSplit(None, None, None, weights),
                                                     "test": E.GroupSplit(None, None, None, weights)}, "avg")
    chosen = torch.stack([test[1, 0], test[2, 1]])
    assert m["avg_acc_mean"] == pytest.approx(float((chosen * weights).sum(-1).mean()), abs=1e-4)
    assert m["worst_acc_mean"] == pytest.approx(11.0) and m["worst_acc_std"] == pytest.approx(0.0)
    assert m["group_acc"]["blond male"] == pytest.approx(11.0)


def test_mlp_has_the_stated_parameter_count():
    cfg = experiments.get_config("celeba", "quick")
    model = E.build_model(cfg, cfg.seeds, d_in=196)
    per_model = 196 * 64 + 64 + 64 * 64 + 64 + 64 + 1
    assert sum(p.numel() for p in model.parameters()) == len(cfg.seeds) * per_model
    assert model(torch.zeros(7, 196)).shape == (len(cfg.seeds), 7)


# --------------------------------------------------------------------------- configs and CLI
@pytest.mark.parametrize("override, message", [
    ("arch=vgg", "unknown arch 'vgg'"), ("data=imagenet", "unknown data 'imagenet'"),
    ("methods=ERM,IRM", "unknown CelebA method 'IRM'"),
    ("recipes.SD.select_by=best", "unknown select_by 'best'"), ("standin.scale=0.5", "scale"),
    ("recipes.ERM.lr=-1", "bad recipe")])
def test_bad_config_values_are_rejected(override, message):
    with pytest.raises(InputError, match=message):
        experiments.get_config("celeba", "quick", [override])


def test_cli_writes_the_schema_and_is_deterministic(tmp_path):
    outs = [tmp_path / f"run{i}.json" for i in range(2)]
    for out in outs:
        args = ["run", "celeba", "--device", "cpu", "--no-progress", "--out", str(out)]
        assert main(args + [a for o in TINY_STANDIN for a in ("--set", o)]) == 0
    records = [json.loads(out.read_text()) for out in outs]
    metrics = records[0]["metrics"]
    assert metrics["data"] == "standin" and records[0]["profile"] == "quick"
    assert set(metrics["methods"]) == {*configs.CELEBA_METHODS, *configs.CELEBA_ABLATIONS}
    for m in metrics["methods"].values():
        assert {"avg_acc_mean", "avg_acc_std", "worst_acc_mean", "worst_acc_std", "group_acc",
                "n_seeds"} <= set(m) and m["n_seeds"] == 2
    assert metrics == records[1]["metrics"]


@pytest.mark.parametrize("args, needle", [
    (["--set", "bad_key=1"], "unknown parameter 'bad_key'"),
    (["--profile", "fast"], "unknown profile 'fast'"),
    (["--profile", "paper", "--device", "cpu"], "CelebA is not in"),
])
def test_cli_rejects_bad_input_with_status_2_and_writes_nothing(tmp_path, capsys, args, needle):
    out = tmp_path / "out.json"
    extra = ["--set", f"data_root={tmp_path / 'nothing'}"] if "paper" in args else []
    assert main(["run", "celeba", "--out", str(out), "--no-progress", *args, *extra]) == 2
    assert needle in capsys.readouterr().err and not out.exists()


@pytest.mark.slow
def test_quick_profile_shows_the_papers_ordering():
    """The stand-in's ordering with every learning rate chosen by average validation accuracy: ERM's
    worst group below SD's (by less than two standard errors over 5 seeds, as chapter 6 says), Group
    DRO's the highest; the averages in the opposite order."""
    metrics = E.run(experiments.get_config("celeba", "quick"), torch.device("cpu"), progress=False)
    worst = {m: v["worst_acc_mean"] for m, v in metrics["methods"].items()}
    avg = {m: v["avg_acc_mean"] for m, v in metrics["methods"].items()}
    assert worst["ERM"] + 5 < worst["SD"] < worst["GroupDRO"]
    assert avg["ERM"] > avg["SD"] > avg["GroupDRO"]


def test_shifted_sd_lambdas_come_from_the_class_shares():
    from gsutils.methods import per_class_sd_lambdas
    from gsutils.data.celeba import CELEBA_GROUPS
    lam0, lam1 = configs.CELEBA_SD.sd_lambda_per_class
    n = sum(CELEBA_GROUPS["train"])
    assert math.isclose(lam1, 0.2 * n / (22880 + 1387)) and math.isclose(lam0, 0.2 * n / (71629 + 66874))
    assert round(lam1, 3) == 1.341 and round(lam0, 3) == 0.235
    assert configs.TheoryConfig().sd_lam_shift == (lam0, lam1)  # chapters 3 and 6 share them
    # the per-class means of the script equal the batch mean of (lambda_y / 2)(y_hat - gamma_y)^2
    y = torch.tensor([0, 0, 0, 1.0])
    logits = torch.tensor([0.3, -1.0, 2.0, 1.5])
    lam = per_class_sd_lambdas(0.1, (3, 1))
    script = 0.1 * (logits[y == 1] - 2.5).pow(2).mean() + 0.1 * (logits[y == 0] - 0.44).pow(2).mean()
    ours = Objective(MethodConfig("SD", sd_lambda=0.2, sd_gamma=(0.44, 2.5), sd_lambda_per_class=lam))
    assert torch.isclose(ours(logits, y) - Objective(MethodConfig("ERM"))(logits, y), script)
    with pytest.raises(ValueError):
        per_class_sd_lambdas(0.1, (3, 0))


def test_difference_has_the_welch_standard_error():
    a = {"n_seeds": 5, "worst_acc_mean": 60.0, "worst_acc_std": 2.0}
    b = {"n_seeds": 5, "worst_acc_mean": 64.0, "worst_acc_std": 2.0}
    d = E.difference(a, b)
    se = math.sqrt(2 * 4.0 * 5 / 4 / 5)
    assert d["diff"] == 4.0 and math.isclose(d["se"], se, rel_tol=1e-4) and d["beyond_2se"] == (4.0 > 2 * se)
