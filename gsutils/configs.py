"""Hyperparameters of every experiment and profile, mirroring the paper's tables.

Each experiment has a frozen dataclass and two profiles: ``paper`` (the paper's protocol, each value
citing its source) and ``quick`` (reduced so that the book executes in minutes on 2 CPU cores).
``get_config(experiment, profile, overrides)`` is the one entry point used by the chapters, the tests
and the command line; overrides are ``"key=value"`` strings (dotted keys reach nested configs) checked
against the dataclass fields and coerced to their types.

Notation: the paper's SD penalty is (sd_lambda / 2) * mean((y_hat - sd_gamma_y)^2); the original code
writes ``coef * mean(y_hat^2)``, so sd_lambda = 2 * coef throughout.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Iterable, Mapping

from .runtime import InputError, check_choice

PROFILE_NAMES = ("quick", "paper")


# --------------------------------------------------------------------------- overrides
def _coerce(key: str, text: str, current: Any) -> Any:
    """Parse `text` as the type of `current` (bool, int, float, str, or a tuple of those)."""
    if isinstance(current, tuple):
        items = [t for t in text.split(",") if t.strip()]
        proto = current[0] if current else ""
        return tuple(_coerce(key, t.strip(), proto) for t in items)
    try:
        if isinstance(current, bool):
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return lowered in ("true", "1", "yes")
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
    except ValueError:
        raise InputError(f"bad value {text!r} for {key}: expected {type(current).__name__}") from None
    return text


def _set_path(cfg: Any, path: list[str], text: str, full_key: str) -> Any:
    """Return a copy of `cfg` with the field at `path` parsed from `text`."""
    head, rest = path[0], path[1:]
    if is_dataclass(cfg):
        names = [f.name for f in fields(cfg)]
        check_choice("parameter", head, names)
        current = getattr(cfg, head)
        new = _set_path(current, rest, text, full_key) if rest else _coerce(full_key, text, current)
        return replace(cfg, **{head: new})
    if isinstance(cfg, Mapping):
        check_choice("key", head, list(cfg))
        current = cfg[head]
        new = _set_path(current, rest, text, full_key) if rest else _coerce(full_key, text, current)
        return {**cfg, head: new}
    raise InputError(f"parameter {full_key!r} goes below a plain value; accepted: the names above it")


def apply_overrides(cfg: Any, overrides: Iterable[str] | Mapping[str, Any] = ()) -> Any:
    """Apply ``"key=value"`` strings (or a {key: value} mapping) to a config; re-validate it."""
    items = overrides.items() if isinstance(overrides, Mapping) else (_split(o) for o in overrides)
    for key, value in items:
        cfg = _set_path(cfg, key.split("."), str(value) if not isinstance(value, (list, tuple))
                        else ",".join(map(str, value)), key)
    return cfg


def _split(item: str) -> tuple[str, str]:
    if "=" not in item:
        raise InputError(f"bad override {item!r}: expected KEY=VALUE")
    key, value = item.split("=", 1)
    return key.strip(), value.strip()


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise InputError(message)


def describe(cfg: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten a config into {dotted key: value}, for listings and results files."""
    out: dict[str, Any] = {}
    items = ((f.name, getattr(cfg, f.name)) for f in fields(cfg)) if is_dataclass(cfg) else cfg.items()
    for name, value in items:
        key = f"{prefix}{name}"
        if is_dataclass(value) or isinstance(value, Mapping):
            out.update(describe(value, key + "."))
        else:
            out[key] = value
    return out


def as_dict(cfg: Any) -> dict[str, Any]:
    """A JSON-ready nested dict of a config."""
    return dataclasses.asdict(cfg) if is_dataclass(cfg) else dict(cfg)


# --------------------------------------------------------------------------- theory (chapters 2-3)
@dataclass(frozen=True)
class TheoryConfig:
    """Two-feature linear model of PAPER §1 (the blog's z-trajectory figure)."""

    delta: float = 0.5  # coupling of U(delta); blog and paper example
    lam: float = 0.01  # weight decay lambda of the cross-entropy panel (blog)
    sd_lam: float = 0.002  # SD lambda of the SD panel: blog penalty 0.001 * sum(y_hat^2)
    s2: float = 2.0  # strength of feature 2 (blog)
    s1: tuple = (2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5, 8.0)  # slider values
    lr: float = 0.1  # blog: full-batch gradient descent, lr 0.1
    steps: int = 990  # blog: 990 steps, recorded every 10
    record_every: int = 10

    def __post_init__(self):
        _check(0.0 <= self.delta < 1.0, f"delta={self.delta} out of range; accepted: 0 <= delta < 1")
        _check(self.lam > 0 and self.sd_lam > 0, "lam and sd_lam must be > 0")
        _check(self.s2 > 0 and len(self.s1) > 0 and all(s > 0 for s in self.s1),
               f"s1={self.s1}, s2={self.s2}: strengths must be > 0")
        _check(self.steps > 0 and self.record_every > 0, "steps and record_every must be > 0")


THEORY_PROFILES = {"quick": TheoryConfig(), "paper": TheoryConfig()}
