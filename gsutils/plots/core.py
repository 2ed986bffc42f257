"""Shared helpers of the figure builders: Markdown tables and byte-stable rounding."""

from __future__ import annotations

import numpy as np


def format_cell(key, value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def markdown_table(rows: list[dict], columns: dict, fmt=format_cell) -> str:
    """A Markdown table of `rows` (dicts); columns {key: header}; fmt(key, value) -> cell text
    (default: "–" for None, floats with 3 decimals, anything else as str)."""
    head = "| " + " | ".join(columns.values()) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "".join("| " + " | ".join(fmt(k, r.get(k)) for k in columns) + " |\n" for r in rows)


def sig(values, digits: int = 5) -> list:
    """Round to `digits` significant digits (byte-stable figure JSON)."""
    return [float(f"{v:.{digits}g}") for v in np.ravel(np.asarray(values, float))]
