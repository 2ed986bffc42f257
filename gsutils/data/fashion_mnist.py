"""Fashion-MNIST (Xiao et al. 2017): the offline stand-in of the robustness chapter (chapter 7).

Read from the original IDX files wherever they are: torchvision's layout
``<root>/FashionMNIST/raw/`` (plain or ``.gz``, what ``torchvision.datasets.FashionMNIST(root,
download=True)`` leaves there), else Debian's package ``dataset-fashion-mnist``
(``/usr/share/datasets/fashion-mnist/*.gz``; ``make data`` installs it). Every file is checked
against the SHA-256 of its uncompressed content before use.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import torch

from ..runtime import InputError, check_choice
from .mnist import default_root

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")
# SHA-256 of the uncompressed IDX files (60,000 training and 10,000 test images).
FILES = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
HOW_TO_GET = ("install Debian's package (`apt-get install dataset-fashion-mnist`, which `make data` "
              "does) or run torchvision.datasets.FashionMNIST(ROOT, download=True) where the internet "
              "is reachable and pass data_root=ROOT")


def _candidates(root, name: str) -> list[Path]:
    raw = Path(root if root else default_root()) / "FashionMNIST" / "raw"
    return [raw / name, raw / f"{name}.gz", DEBIAN_DIR / f"{name}.gz"]


def _read(name: str, root) -> np.ndarray:
    """One checked IDX file as an array: images (N, 28, 28) or labels (N,), uint8."""
    tried = _candidates(root, name)
    path = next((p for p in tried if p.exists()), None)
    if path is None:
        raise FileNotFoundError(f"Fashion-MNIST file {name} not found (looked in "
                                f"{', '.join(map(str, tried))}); {HOW_TO_GET}")
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if hashlib.sha256(data).hexdigest() != FILES[name]:
        raise InputError(f"{path} fails its SHA-256 check (a partial or different file); delete it "
                         f"and {HOW_TO_GET}")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion_mnist(root=None, split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """A split as (images uint8 (N, 1, 28, 28), labels int64 (N,)) on the CPU."""
    check_choice("Fashion-MNIST split", split, ("train", "test"))
    prefix = "train" if split == "train" else "t10k"
    images = _read(f"{prefix}-images-idx3-ubyte", root)
    labels = _read(f"{prefix}-labels-idx1-ubyte", root)
    return torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))
