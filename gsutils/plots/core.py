"""Shared helpers of the figure builders: Markdown tables, byte-stable rounding, number formats,
and the book's figure layout (legible from a 390 px phone to a desktop column)."""

from __future__ import annotations

import numpy as np

# Plotly cannot reflow subplots, so every figure is laid out for the narrowest page: a 390 px phone
# leaves PHONE_WIDTH px for the figure. Controls, legend and titles get fixed pixel strips at the
# top, below the toolbar (modebar), so nothing overprints at any width.
PHONE_WIDTH = 358
MODEBAR_PX = 30  # the toolbar's strip at the top right
LEGEND_ROW_PX, LEGEND_PAD_PX = 19, 14  # plotly's legend box: 19 px a row plus 10 px, and a gap
TITLE_PX = 24  # one line of subplot titles
MODEBAR = dict(orientation="h", remove=["select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d"])


def format_cell(key, value) -> str:
    if value is None:
        return "–"
    return fixed(value, 3) if isinstance(value, float) else str(value)


def fixed(value: float, decimals: int = 3) -> str:
    """`value` with `decimals` decimals; a non-zero value that would print as zero keeps two
    significant digits instead (0.00041 -> "0.00041", not "0.000"); an exact zero stays "0.000"."""
    value = float(value)
    text = f"{value:.{decimals}f}"
    if float(text) != 0.0:
        return text
    return text if value == 0.0 else f"{value:.2g}"


def markdown_table(rows: list[dict], columns: dict, fmt=format_cell) -> str:
    """A Markdown table of `rows` (dicts); columns {key: header}; fmt(key, value) -> cell text
    (default: "–" for None, floats with 3 decimals, anything else as str)."""
    head = "| " + " | ".join(columns.values()) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "".join("| " + " | ".join(fmt(k, r.get(k)) for k in columns) + " |\n" for r in rows)


def sig(values, digits: int = 5) -> list:
    """Round to `digits` significant digits (byte-stable figure JSON)."""
    return [float(f"{v:.{digits}g}") for v in np.ravel(np.asarray(values, float))]


def text_px(text: str, size: int = 12) -> int:
    """Rough width of `text` in pixels (plotly's default sans-serif font)."""
    return int(0.6 * size * len(text)) + 1


def legend_rows(names, width: int = PHONE_WIDTH, size: int = 12) -> int:
    """How many rows a horizontal legend of `names` needs in `width` px (on a phone, the plot area:
    plotly wraps the legend there): one if all fit, else at most columns as wide as the widest."""
    items = [40 + text_px(name, size) for name in names]  # line sample + gap + text
    if sum(items) <= width:
        return 1
    per_row = max(1, width // max(items))
    return -(-len(items) // per_row)


def book_layout(fig, height: int | None, alt: str, top: int = 0, bottom: int = 45, left: int = 50,
                right: int = 15, legend: bool = True, titles: bool = False, plot_px: int | None = None):
    """The layout every figure shares: white template, the toolbar trimmed and given its own strip,
    a horizontal legend below it (rows counted for a phone), then `top` px for controls, then one
    line of subplot titles when `titles`; `alt` is the figure's text alternative (layout.meta.alt,
    written by gsutils.book as the aria-label of the figure's div). With `plot_px`, the height is
    that of the plot area plus the margins."""
    names = list(dict.fromkeys(t.name for t in fig.data if t.name and _in_legend(t))) if legend else []
    rows = legend_rows(names, PHONE_WIDTH - left - right)
    legend_px = LEGEND_ROW_PX * rows + LEGEND_PAD_PX if names else 0
    margin_top = MODEBAR_PX + legend_px + top + (TITLE_PX if titles else 6)
    height = plot_px + margin_top + bottom if plot_px is not None else height
    fig.update_layout(
        template="plotly_white", height=height, meta=dict(alt=alt), modebar=MODEBAR,
        margin=dict(l=left, r=right, t=margin_top, b=bottom),
        showlegend=bool(legend_px),
        legend=dict(orientation="h", xref="container", yref="container", x=0.0, xanchor="left",
                    y=1 - MODEBAR_PX / height, yanchor="top", font=dict(size=12),
                    itemwidth=30, tracegroupgap=0),
    )
    return MODEBAR_PX + legend_px  # where the controls' strip starts, in px from the top


def _in_legend(trace) -> bool:
    if trace.showlegend is not None:
        return bool(trace.showlegend)
    return trace.type not in ("contour", "heatmap", "image")  # plotly's default for these is off


def px_to_paper(fig, px_from_top: float) -> float:
    """The paper y coordinate of a point `px_from_top` pixels below the figure's top edge."""
    m, h = fig.layout.margin, fig.layout.height
    return 1 + (m.t - px_from_top) / (h - m.t - m.b)
