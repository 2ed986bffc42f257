"""Seeds, devices and input checks shared by every module (nothing here runs at import time)."""

from __future__ import annotations

import random

import numpy as np
import torch

DEVICES = ("auto", "cpu", "cuda")


class InputError(ValueError):
    """Bad user input: names the bad value and what is accepted."""


def check_choice(what: str, value, accepted) -> None:
    """Raise InputError naming `value` and the accepted ones unless `value` is in `accepted`."""
    accepted = list(accepted)
    if value not in accepted:
        raise InputError(f"unknown {what} {value!r}; accepted: {', '.join(map(str, accepted))}")


def require(module: str, extra: str):
    """Import an optional dependency, or say which gsutils extra brings it (e.g. gsutils[sweep])."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(f"{module!r} is not installed; install it with: "
                         f"pip install 'gsutils[{extra}]' (or pip install {module})") from None


def resolve_device(device: str = "auto") -> torch.device:
    """The one place a device is chosen: 'auto' picks CUDA when present, else the CPU."""
    check_choice("device", device, DEVICES)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("device 'cuda' requested but no CUDA GPU is visible; accepted here: auto, cpu")
    return torch.device(device)


def set_seed(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA) in one call; return a CPU generator seeded alike."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
