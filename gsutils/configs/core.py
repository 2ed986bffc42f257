"""Shared machinery of the configs: profile names, typed "key=value" overrides, flattening."""

from __future__ import annotations

import dataclasses
from dataclasses import fields, is_dataclass, replace
from typing import Any, Iterable, Mapping

from ..runtime import InputError, check_choice

PROFILE_NAMES = ("quick", "paper")


def coerce(key: str, text: str, current: Any) -> Any:
    """Parse `text` as the type of `current` (bool, int, float, str, or a tuple of those)."""
    if isinstance(current, tuple):
        items = [t for t in text.split(",") if t.strip()]
        proto = current[0] if current else ""
        return tuple(coerce(key, t.strip(), proto) for t in items)
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
        new = _set_path(current, rest, text, full_key) if rest else coerce(full_key, text, current)
        return replace(cfg, **{head: new})
    if isinstance(cfg, Mapping):
        check_choice("key", head, list(cfg))
        current = cfg[head]
        new = _set_path(current, rest, text, full_key) if rest else coerce(full_key, text, current)
        return {**cfg, head: new}
    raise InputError(f"parameter {full_key!r} goes below a plain value; accepted: the names above it")


def apply_overrides(cfg: Any, overrides: Iterable[str] | Mapping[str, Any] = ()) -> Any:
    """Apply ``"key=value"`` strings (or a {key: value} mapping) to a config; re-validate it."""
    items = overrides.items() if isinstance(overrides, Mapping) else (split_override(o) for o in overrides)
    for key, value in items:
        cfg = _set_path(cfg, key.split("."), str(value) if not isinstance(value, (list, tuple))
                        else ",".join(map(str, value)), key)
    return cfg


def split_override(item: str) -> tuple[str, str]:
    if "=" not in item:
        raise InputError(f"bad override {item!r}: expected KEY=VALUE")
    key, value = item.split("=", 1)
    return key.strip(), value.strip()


def check(condition: bool, message: str) -> None:
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
