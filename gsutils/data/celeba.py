"""CelebA with hair colour as the target and gender as the spurious attribute (PAPER §4), and an
offline stand-in with CelebA's group structure built from real MNIST digits.

Groups follow Sagawa et al. (2020): g = 2 y + a with y = Blond_Hair and a = Male, so
0 non-blond female, 1 non-blond male, 2 blond female, 3 blond male (the minority: 0.85% of training).

The real path reads user-provided files with torchvision's own CelebA reader (official splits);
images are centre-cropped to 178 x 178, resized to 224 and normalised with ImageNet statistics, no
augmentation. The stand-in keeps CelebA's group proportions (scaled down) and replaces the two
attributes by a digit attribute (the target, "blond") and a border drawn around the digit (the easy
spurious attribute, "male").
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..runtime import InputError, check_choice
from .mnist import load_mnist

TARGET, SPURIOUS = "Blond_Hair", "Male"
GROUP_NAMES = ("non-blond female", "non-blond male", "blond female", "blond male")
SPLITS = ("train", "valid", "test")
# Group sizes of the official splits, in GROUP_NAMES order (Sagawa et al. 2020; PAPER §4).
CELEBA_GROUPS = {"train": (71629, 66874, 22880, 1387), "valid": (8535, 8276, 2874, 182),
                 "test": (9767, 7535, 2480, 180)}
CELEBA_FILES = ("img_align_celeba", "list_attr_celeba.txt", "list_eval_partition.txt",
                "identity_CelebA.txt", "list_bbox_celeba.txt", "list_landmarks_align_celeba.txt")
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
HOW_TO_GET = (
    "To get CelebA (about 1.4 GB), on a machine with internet either run "
    "`torchvision.datasets.CelebA(ROOT, split='all', download=True)` (needs `pip install gdown`; "
    "Google Drive may throttle it), or download img_align_celeba.zip and the text files "
    + ", ".join(CELEBA_FILES[1:]) + " from the official Google Drive folder linked at "
    "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html (Align&Cropped Images, Anno, Eval) and unzip "
    "them so that ROOT/celeba/img_align_celeba/000001.jpg and ROOT/celeba/list_attr_celeba.txt "
    "exist. Then pass data_root=ROOT (chapter parameter) or --set data_root=ROOT (command line)")


@dataclass
class GroupSplit:
    """One split: inputs ``x`` (N, ...) (a tensor, or ``CelebAImages``), labels ``y`` (N,) float in
    {0, 1}, groups ``g`` (N,) long, and ``weights`` (4,): the group proportions that define its
    average accuracy (the split's own for CelebA, CelebA's for the stand-in)."""

    x: Any
    y: torch.Tensor
    g: torch.Tensor
    weights: torch.Tensor

    def to(self, device) -> "GroupSplit":
        return GroupSplit(self.x.to(device), self.y.to(device), self.g.to(device), self.weights)

    def counts(self) -> list[int]:
        return torch.bincount(self.g.cpu(), minlength=4).tolist()


def _proportions(counts) -> torch.Tensor:
    counts = torch.as_tensor(counts, dtype=torch.float64)
    return (counts / counts.sum()).float()


# --------------------------------------------------------------------------- the real CelebA
def celeba_transform(image_size: int = 224):
    """Centre crop 178 x 178 (the aligned images are 178 x 218), resize, ImageNet normalisation."""
    from torchvision import transforms as T

    return T.Compose([T.CenterCrop(178), T.Resize((image_size, image_size)), T.ToTensor(),
                      T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


def check_celeba_files(root, verify_md5: bool = True) -> Path:
    """Raise a clear error unless ``root/celeba`` holds CelebA (MD5-checked when `verify_md5`)."""
    from torchvision.datasets import CelebA
    from torchvision.datasets.utils import check_integrity

    base = Path(root) / CelebA.base_folder
    missing = [name for name in CELEBA_FILES if not (base / name).exists()]
    if missing:
        raise FileNotFoundError(f"CelebA is not in {base} (missing: {', '.join(missing)}). {HOW_TO_GET}")
    for _, md5, name in CelebA.file_list:
        if verify_md5 and not name.endswith(".zip") and not check_integrity(str(base / name), md5):
            raise InputError(f"{base / name} fails its MD5 check (a partial or re-encoded copy); "
                             f"replace it with the official file. {HOW_TO_GET}")
    return base


@functools.cache
def _reader_class():
    from torchvision.datasets import CelebA

    class CelebAFiles(CelebA):
        """torchvision's CelebA reader; `check_celeba_files` has already checked the files."""

        def _check_integrity(self) -> bool:
            return True

    return CelebAFiles


class CelebAImages:
    """The images of one split, decoded on demand: ``images[idx]`` -> (B, 3, S, S) on ``device``.

    CelebA does not fit in memory as tensors, so this object stands in for the input tensor of
    ``gsutils.train.train`` (which only indexes it with a LongTensor); JPEGs are decoded by a pool
    of threads (PIL and torch release the GIL while decoding and resizing).
    """

    def __init__(self, reader, device="cpu", workers: int | None = None):
        self.reader, self.device = reader, torch.device(device)
        self.workers = workers or min(16, os.cpu_count() or 1)
        self._pool = None

    def __len__(self) -> int:
        return len(self.reader)

    def _load(self, i: int) -> torch.Tensor:
        return self.reader[i][0]

    def __getitem__(self, idx) -> torch.Tensor:
        idx = torch.as_tensor(idx).reshape(-1).tolist()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers)
        return torch.stack(list(self._pool.map(self._load, idx))).to(self.device)

    def to(self, device) -> "CelebAImages":
        return CelebAImages(self.reader, device, self.workers)


def load_celeba(root, split: str = "train", image_size: int = 224, verify_md5: bool = True) -> GroupSplit:
    """One official split of CelebA as a ``GroupSplit`` (y = Blond_Hair, a = Male, g = 2 y + a)."""
    check_choice("CelebA split", split, SPLITS)
    check_celeba_files(root, verify_md5)
    reader = _reader_class()(str(root), split=split, target_type="attr",
                             transform=celeba_transform(image_size), download=False)
    names = list(reader.attr_names)
    for name in (TARGET, SPURIOUS):
        if name not in names:
            raise InputError(f"list_attr_celeba.txt has no attribute {name!r}. {HOW_TO_GET}")
    y = reader.attr[:, names.index(TARGET)].long()
    a = reader.attr[:, names.index(SPURIOUS)].long()
    g = 2 * y + a
    return GroupSplit(CelebAImages(reader), y.float(), g, _proportions(torch.bincount(g, minlength=4)))


# --------------------------------------------------------------------------- the offline stand-in
def _draw(images, labels, order, used, counts, blond_digits, border) -> GroupSplit:
    """Draw `counts[g]` digits for each group g = 2 y + a from `order` (a shuffled index pool)."""
    blond = torch.isin(labels, torch.tensor(blond_digits))
    pools = {y: order[(blond[order] == bool(y))] for y in (0, 1)}
    xs, ys, gs = [], [], []
    for g, n in enumerate(counts):
        y, a = divmod(g, 2)
        take = pools[y][used[y]: used[y] + n]
        if len(take) < n:
            raise InputError(f"the stand-in needs {n} digits for group '{GROUP_NAMES[g]}' but only "
                             f"{len(take)} are left; lower standin.scale or standin.eval_per_group")
        used[y] += n
        # images 2x subsampled to 14 x 14 (as IRM's Colored MNIST) and scaled to [0, 1]
        x = images[take].float().div(255).reshape(n, 14, 2, 14, 2).mean((2, 4))
        if a:  # the spurious attribute "male": a white border of `border` pixels around the digit
            x[:, :border, :] = x[:, -border:, :] = 1.0
            x[:, :, :border] = x[:, :, -border:] = 1.0
        xs.append(x.flatten(1))
        ys.append(torch.full((n,), float(y)))
        gs.append(torch.full((n,), g, dtype=torch.long))
    return GroupSplit(torch.cat(xs), torch.cat(ys), torch.cat(gs), torch.zeros(4))


def celeba_standin(root=None, scale: float = 0.05, eval_per_group: int = 500,
                   blond_digits: tuple = (5, 6, 7, 8, 9), border: int = 1, seed: int = 0,
                   n_valid_pool: int = 10_000) -> dict[str, GroupSplit]:
    """CelebA's group structure on real MNIST digits: {"train", "valid", "test"} -> GroupSplit.

    Target "blond" = the digit is in `blond_digits`; spurious "male" = a border around the image, a
    feature that is far easier to learn than the digit's identity. Training groups are CelebA's
    scaled by `scale` (proportions kept, the minority included); validation and test hold
    `eval_per_group` digits per group so every group's accuracy is measured on as many digits,
    and their average accuracy weighs the groups with CelebA's validation and test proportions.
    """
    if not 0 < scale or eval_per_group < 1 or not 0 < border < 7:
        raise InputError(f"bad stand-in: scale={scale}, eval_per_group={eval_per_group}, "
                         f"border={border}; need scale > 0, eval_per_group >= 1, 1 <= border <= 6")
    if not blond_digits or not set(blond_digits) < set(range(10)):
        raise InputError(f"blond_digits={blond_digits}: need a non-empty proper subset of 0-9")
    gen = torch.Generator().manual_seed(seed)
    train_images, train_labels = load_mnist(root, "train")
    test_images, test_labels = load_mnist(root, "test")
    order = torch.randperm(len(train_labels), generator=gen)  # MNIST training digits, shuffled
    fit_pool, valid_pool = order[:-n_valid_pool], order[-n_valid_pool:]  # disjoint pools
    test_pool = torch.randperm(len(test_labels), generator=gen)  # MNIST test digits, for testing
    train_counts = [max(1, round(scale * n)) for n in CELEBA_GROUPS["train"]]
    args = (blond_digits, border)
    splits = {"train": _draw(train_images, train_labels, fit_pool, [0, 0], train_counts, *args),
              "valid": _draw(train_images, train_labels, valid_pool, [0, 0], [eval_per_group] * 4, *args),
              "test": _draw(test_images, test_labels, test_pool, [0, 0], [eval_per_group] * 4, *args)}
    for name, split in splits.items():
        split.weights = _proportions(CELEBA_GROUPS[name])
    return splits
