"""CIFAR-10 and CIFAR-100 (Krizhevsky 2009) for the robustness chapter's real path (chapter 7).

Read with torchvision's own readers from their layout (``<root>/cifar-10-batches-py/``,
``<root>/cifar-100-python/``: pickled batches), downloaded by them with ``download=True`` (Colab,
GPU machines). Images come back as uint8 tensors; scaling, augmentation and normalisation happen
at training time (``gsutils.experiments.robustness``), so that attacks work in pixel space [0, 1].
"""

from __future__ import annotations

import functools
import os
import pickle

import torch

from ..runtime import check_choice

DATASETS = ("cifar10", "cifar100")
# Per-channel mean and standard deviation of the training images (the authors' table_1/dataloader.py).
CIFAR_STATS = {"cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
               "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762))}
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                   "truck")


@functools.cache
def _reader(name: str, verify_md5: bool):
    from torchvision.datasets import CIFAR10, CIFAR100

    base = CIFAR10 if name == "cifar10" else CIFAR100
    if verify_md5:
        return base

    class Unverified(base):
        """torchvision's reader without its MD5 checks (for test fixtures in CIFAR's format)."""

        def _check_integrity(self) -> bool:
            return True

        def _load_meta(self) -> None:
            with open(os.path.join(self.root, self.base_folder, self.meta["filename"]), "rb") as f:
                self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]
            self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    return Unverified


def load_cifar(root, name: str = "cifar10", split: str = "train", download: bool = False,
               verify_md5: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """One split as (images uint8 (N, 3, 32, 32), labels int64 (N,)) on the CPU.

    With ``download=True`` torchvision fetches the archive (about 170 MB) when it is missing.
    """
    check_choice("CIFAR data set", name, DATASETS)
    check_choice("CIFAR split", split, ("train", "test"))
    try:
        ds = _reader(name, verify_md5)(str(root), train=split == "train", download=download)
    except RuntimeError as err:  # torchvision: "Dataset not found or corrupted"
        folder = "cifar-10-batches-py" if name == "cifar10" else "cifar-100-python"
        raise FileNotFoundError(f"{name} is not in {root}/{folder} ({err}); run with download=True "
                                f"(--set download=true) where the internet is reachable") from err
    images = torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous()  # (N, 32, 32, 3) -> NCHW
    return images, torch.tensor(ds.targets, dtype=torch.int64)
