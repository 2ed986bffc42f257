"""The experiments registry: one entry point per experiment for chapters, tests and the command line.

Each experiment module exposes ``PROFILES`` ({profile: config}) and
``run(cfg, device, progress=True, workdir=None) -> metrics``; ``workdir`` (when given) holds
checkpoints so that an interrupted run resumes.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable

from .. import configs, results
from ..runtime import check_choice, resolve_device

EXPERIMENTS = {
    "theory": "two-feature linear model: z dynamics and fixed points, with weight decay and with SD",
    "toy": "two moons MLP: decision boundaries with and without SD, ablations, feature responses",
    "colored_mnist": "Colored MNIST (IRM protocol): ERM, SD, IRM, V-REx, grayscale oracle",
    "celeba": "CelebA hair colour with a gender bias: ERM, SD, Group DRO (offline stand-in here)",
    "robustness": "adversarial robustness: PGD accuracy of ERM and SD, minimal perturbations (CIFAR; Fashion-MNIST stand-in)",
}


def module(name: str) -> ModuleType:
    check_choice("experiment", name, EXPERIMENTS)
    return importlib.import_module(f"{__name__}.{name}")


def get_config(name: str, profile: str = "quick", overrides: Iterable[str] | dict = ()) -> Any:
    """The validated config of `name` under `profile`, with `overrides` applied."""
    profiles = module(name).PROFILES
    check_choice("profile", profile, profiles)
    return configs.apply_overrides(profiles[profile], overrides)


def run(name: str, profile: str = "quick", device: str = "auto", overrides: Iterable[str] | dict = (),
        out: str | Path | None = None, workdir: str | Path | None = None, progress: bool = True) -> dict:
    """Run an experiment; return (and, with `out`, atomically save) its results record."""
    cfg = get_config(name, profile, overrides)
    dev = resolve_device(device)
    start = time.perf_counter()
    metrics = module(name).run(cfg, dev, progress=progress, workdir=workdir)
    prov = results.provenance(dev, time.perf_counter() - start)
    record = {"experiment": name, "profile": profile, "config": configs.as_dict(cfg),
              "provenance": prov, "metrics": metrics}
    if out is not None:
        results.save(out, name, profile, record["config"], metrics, prov)
    return record
