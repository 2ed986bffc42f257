"""Robustness (chapter 7): CIFAR's reader and the real path on a tiny fixture in CIFAR's file format,
Fashion-MNIST's files, PGD against foolbox's, the bisection against a closed form, SD's loss
against the authors', augmentation, parameter counts, bad input."""

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gsutils import attacks, configs, experiments
from gsutils.__main__ import main
from gsutils.data.cifar import load_cifar
from gsutils.data.fashion_mnist import DEBIAN_DIR, load_fashion_mnist
from gsutils.experiments import robustness as R
from gsutils.models_vision import LeNet, build_classifier
from gsutils.runtime import InputError


def make_cifar_fixture(root, name="cifar10", per_batch=12, n_test=10, seed=0):
    """CIFAR's pickled batches (torchvision's layout) with random images; labels cycle through
    the classes 0, 7 and others. Returns {file: (data uint8 (N, 3072), labels)}."""
    rng = np.random.default_rng(seed)
    cifar10 = name == "cifar10"
    folder = root / ("cifar-10-batches-py" if cifar10 else "cifar-100-python")
    folder.mkdir(parents=True)
    files = ([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]) if cifar10 else ["train", "test"]
    label_key = "labels" if cifar10 else "fine_labels"
    written = {}
    for f in files:
        n = n_test if "test" in f else (per_batch if cifar10 else 5 * per_batch)
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = [(0, 7, 3)[i % 3] for i in range(n)]
        with open(folder / f, "wb") as out:
            pickle.dump({"data": data, label_key: labels}, out)
        written[f] = (data, labels)
    meta = ("batches.meta", {"label_names": [f"c{i}" for i in range(10)]}) if cifar10 else \
        ("meta", {"fine_label_names": [f"c{i}" for i in range(100)]})
    with open(folder / meta[0], "wb") as out:
        pickle.dump(meta[1], out)
    return written


@pytest.fixture
def cifar_root(tmp_path):
    make_cifar_fixture(tmp_path, "cifar10")
    make_cifar_fixture(tmp_path, "cifar100", seed=1)
    return tmp_path


def test_cifar_reader_keeps_pixels_and_labels(tmp_path):
    written = make_cifar_fixture(tmp_path)
    x, y = load_cifar(tmp_path, "cifar10", "train", verify_md5=False)
    assert x.shape == (60, 3, 32, 32) and x.dtype == torch.uint8 and y.shape == (60,)
    data, labels = written["data_batch_2"]
    # CIFAR's rows hold the red plane, then green, then blue, each 32 x 32 row-major
    assert torch.equal(x[12 + 3, 2, 5, 7], torch.tensor(data[3, 2 * 1024 + 5 * 32 + 7]))
    assert y[12:24].tolist() == labels
    x_test, _ = load_cifar(tmp_path, "cifar10", "test", verify_md5=False)
    assert x_test.shape == (10, 3, 32, 32)


def test_cifar_missing_or_unverified_files_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py.*download=True"):
        load_cifar(tmp_path, "cifar10", "train")
    make_cifar_fixture(tmp_path)  # a fixture fails torchvision's MD5 checks
    with pytest.raises(FileNotFoundError, match="corrupted"):
        load_cifar(tmp_path, "cifar10", "train", verify_md5=True)
    with pytest.raises(InputError, match="'cifar1000'"):
        load_cifar(tmp_path, "cifar1000")


def fixture_cfg(root, **extra):
    tiny = {"data_root": str(root), "download": "false", "verify_md5": "false",
            "two_class.epochs": 1, "two_class.batch_size": 4, "two_class.steps": 2, "two_class.tol": 0.1,
            "two_class.curve_points": 5, "two_class.net_size": 0.5}
    for run in ("cifar10_vgg16", "cifar100_preact_resnet18"):
        tiny.update({f"runs.{run}.epochs": 2, f"runs.{run}.milestones": "1", f"runs.{run}.width": 2,
                     f"runs.{run}.batch_size": 16, f"runs.{run}.n_attack": 6, f"runs.{run}.n_test": 10})
    return experiments.get_config("robustness", "paper", {**tiny, **extra})


def test_real_path_runs_on_the_cifar_fixture_deterministically(cifar_root):
    cfg = fixture_cfg(cifar_root)
    first = R.run(cfg, progress=False)
    assert set(first["runs"]) == {"cifar10_vgg16", "cifar100_preact_resnet18"}
    assert first["methods"] == first["runs"]["cifar10_vgg16"]["methods"]
    for m in ("ERM", "SD"):
        row = first["methods"][m]
        assert 0 <= row["robust_acc"] <= row["clean_acc"] + 1e-9 <= 100
        assert len(row["robust_curve"]["acc"]) == len(cfg.eps_grid)
        mp = first["min_perturbation"][m]
        assert len(mp["curve"]["flipped"]) == 5 and mp["curve"]["flipped"] == sorted(mp["curve"]["flipped"])
    assert first["runs"]["cifar10_vgg16"]["n_train"] == 60
    assert first["two_class"]["n_train"] == 40 and first["two_class"]["n_test"] == 7  # classes 0 and 7
    assert R.run(cfg, progress=False) == first


def test_fashion_mnist_from_debian_or_torchvision_layout(tmp_path):
    bad = tmp_path / "FashionMNIST" / "raw"
    bad.mkdir(parents=True)
    (bad / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + (3).to_bytes(4, "big") + b"\x01\x02\x03")
    with pytest.raises(InputError, match="FashionMNIST/raw/t10k-labels-idx1-ubyte fails its SHA-256"):
        load_fashion_mnist(tmp_path, "test")  # torchvision's layout is read first
    if not (DEBIAN_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("Debian's dataset-fashion-mnist is not installed (make data installs it)")
    x, y = load_fashion_mnist(tmp_path / "elsewhere", "test")
    assert x.shape == (10000, 1, 28, 28) and x.dtype == torch.uint8
    assert torch.bincount(y).tolist() == [1000] * 10


def small_model(seed=0):
    torch.manual_seed(seed)
    return build_classifier("lenet", 1, 28, 3, 0.5, (0.3,), (0.4,)).eval()


def test_our_pgd_matches_foolbox_on_the_same_model_and_inputs():
    import foolbox as fb

    model, gen = small_model(), torch.Generator().manual_seed(1)
    x, y = torch.rand(16, 1, 28, 28, generator=gen), torch.randint(0, 3, (16,), generator=gen)
    eps, steps, rel = 0.03, 7, 0.3
    ours = attacks.pgd_linf(model, x, y, eps, steps, rel)
    attack = fb.attacks.LinfPGD(abs_stepsize=rel * eps, steps=steps, random_start=False)
    _, theirs, success = attack(fb.PyTorchModel(model, bounds=(0, 1)), x, y, epsilons=eps)
    assert torch.allclose(ours, theirs, atol=1e-6)
    assert (ours - x).abs().max() <= eps + 1e-6 and ours.min() >= 0 and ours.max() <= 1
    robust = attacks.robust_accuracy(model, x, y, eps, steps, rel * eps, random_start=False)
    assert robust == pytest.approx(100 * (1 - success.float().mean().item()))
    per_image = torch.tensor([0.01, 0.05] * 8)  # one radius per image = one run per radius
    both = attacks.pgd_linf(model, x, y, per_image, steps, rel)
    for e in (0.01, 0.05):
        rows = per_image == e
        assert torch.allclose(both[rows], attacks.pgd_linf(model, x[rows], y[rows], e, steps, rel), atol=1e-6)


def test_bisection_finds_the_closed_form_minimal_perturbation_of_a_linear_model():
    """Two logits w_k . x + b_k: the smallest L-inf perturbation that flips x is its margin
    divided by ||w_1 - w_0||_1 (inside the box [0, 1])."""
    gen = torch.Generator().manual_seed(0)
    linear = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(20, 2))
    x = 0.5 + 0.05 * torch.randn(50, 1, 4, 5, generator=gen)
    y = linear(x).argmax(1).detach()
    with torch.no_grad():
        w = linear[1].weight[1] - linear[1].weight[0]
        margin = (linear(x)[:, 1] - linear(x)[:, 0]).abs()
    exact = margin / w.abs().sum()
    tol = 0.002
    found = attacks.minimal_linf(linear, x, y, eps_max=0.4, tol=tol, steps=10, rel_step=0.25,
                                 progress=False)
    inside = exact < 0.35  # the box [0, 1] is not reached
    assert inside.sum() > 20
    assert ((found[inside] - exact[inside]) >= -1e-5).all() and ((found[inside] - exact[inside]) <= tol + 1e-5).all()
    assert attacks.flip_curve(torch.tensor([0.0, 0.1, float("inf")]), [0.0, 0.1, 1.0]) == [33.333, 66.667, 66.667]
    with pytest.raises(ValueError, match="tol=0.5"):
        attacks.minimal_linf(linear, x, y, eps_max=0.4, tol=0.5, steps=1, rel_step=1.0)


def test_sd_loss_is_the_authors():
    gen = torch.Generator().manual_seed(0)
    logits, y = torch.randn(8, 10, generator=gen), torch.randint(0, 10, (8,), generator=gen)
    # table_1/main.py: loss = CE + (outputs ** 2).mean() * SD
    assert torch.allclose(R.SoftmaxObjective(0.05)(logits, y),
                          F.cross_entropy(logits, y) + 0.05 * (logits ** 2).mean())
    assert torch.allclose(R.SoftmaxObjective(0.0)(logits, y), F.cross_entropy(logits, y))
    # Figure_2/main.py: CE + 0.1 * sum(logits^2) with batch 1 and two logits = sd_coef 0.2 on the mean
    one, label = logits[:1, :2], y[:1] % 2
    study = configs.ROBUSTNESS_PROFILES["paper"].two_class
    assert torch.allclose(R.SoftmaxObjective(study.sd_coef)(one, label),
                          F.cross_entropy(one, label) + 0.1 * (one ** 2).sum())


def test_augmentation_crops_and_flips_copies_of_the_image():
    images = torch.randint(0, 256, (6, 3, 8, 8), dtype=torch.uint8)
    batch = R.ImageBatches(images, augment=True, seed=0)[torch.arange(6)]
    assert batch.shape == (6, 3, 8, 8) and batch.min() >= 0 and batch.max() <= 1
    for out, image in zip(batch, images.float() / 255):
        padded = [F.pad(v, (4, 4, 4, 4)) for v in (image, image.flip(-1))]
        crops = [p[:, i:i + 8, j:j + 8] for p in padded for i in range(9) for j in range(9)]
        assert any(torch.equal(out, c) for c in crops)
    assert torch.equal(R.ImageBatches(images)[torch.tensor([2])], images[2:3].float() / 255)


def test_parameter_counts():
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(build_classifier("vgg16", 3, 32, 10, 0, (0,) * 3, (1,) * 3)) == 14_728_266  # VGG-16-BN, CIFAR
    # PreAct ResNet-18 as commonly counted for CIFAR-10 (11,171,146) plus the final BN (2 x 512)
    assert count(build_classifier("preact_resnet18", 3, 32, 10, 0, (0,) * 3, (1,) * 3)) == 11_172_170
    # the authors' Net(output_dim=2, net_size=2): 912 + 9,632 + 192,240 + 46,272 + 386
    assert count(LeNet(3, 32, 2, 2)) == 249_442


def test_bad_input_names_the_value():
    with pytest.raises(InputError, match="'svhn'"):
        experiments.get_config("robustness", "quick", {"runs.fashion_mnist_small_cnn.data": "svhn"})
    with pytest.raises(InputError, match=r"classes=\(3, 3\)"):
        experiments.get_config("robustness", "quick", {"two_class.classes": "3,3"})
    with pytest.raises(InputError, match="'resnet'"):
        build_classifier("resnet", 1, 28, 10, 0, (0,), (1,))
    assert main(["run", "robustness", "--set", "eps=2"]) == 2


def test_figures_and_tables_take_results():
    from gsutils import plots

    row = {"clean_acc": 80.0, "robust_acc": 50.0, "robust_curve": {"eps": [0.02, 0.1], "acc": [70.0, 20.0]}}
    fig = plots.robustness_accuracy_figure({"ERM": row, "SD": row}, 0.05)
    assert [list(t.x) for t in fig.data][0] == [0.0, 0.02, 0.05, 0.1]
    assert fig.layout.legend.orientation == "h"
    mp = {"ERM": {"median": 0.03, "curve": {"eps": [0, 0.1], "flipped": [10.0, 90.0]}},
          "SD": {"median": None, "curve": {"eps": [0, 0.1], "flipped": [5.0, 40.0]}}}
    assert len(plots.robustness_flip_figure(mp).data) == 3  # no median marker where there is none
    table = plots.robustness_results_table({"r": {"data": "cifar100", "methods": {"SD": row}}},
                                           configs.ROBUSTNESS_PAPER)
    assert "| r | SD | 80.0 | 50.0 | 25 |" in table
