"""Plumbing for the chapters: parameter checks, offline plotly output, glue, papermill execution.

Chapters call ``setup_chapter(...)`` right after their ``parameters`` cell. It validates every
parameter (an unknown profile, device or experiment parameter stops with an error naming the bad
value and the accepted ones), seeds everything, and makes plotly figures render both in Jupyter and
on the static website with no network (plotly.js is shipped once by the site, not per figure).
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .runtime import InputError, check_choice, resolve_device, set_seed

BOOK_RENDERER = "gsbook"
GLUE_PREFIX = "application/papermill.record/"
CELL_TIMEOUT_S = 600  # a cell that hangs (e.g. a stuck kernel) fails the run instead of blocking it


@dataclass
class Chapter:
    """What a chapter needs after its parameters cell: the validated config, device and seed."""

    profile: str
    device: Any
    seed: int
    cfg: Any = None


def setup_chapter(profile: str = "quick", device: str = "auto", seed: int = 0,
                  experiment: str | None = None, overrides: dict | None = None) -> Chapter:
    """Validate a chapter's parameters, seed everything and set the offline plotly renderer."""
    from . import configs, experiments

    if experiment is None:
        check_choice("profile", profile, configs.PROFILE_NAMES)
        cfg = None
    else:
        cfg = experiments.get_config(experiment, profile, overrides or {})
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InputError(f"bad seed {seed!r}; accepted: an integer >= 0")
    dev = resolve_device(device)
    set_seed(int(seed))
    use_book_renderer()
    return Chapter(profile=profile, device=dev, seed=int(seed), cfg=cfg)


# --------------------------------------------------------------------------- plotly
FIGURE_CONFIG = {"displaylogo": False, "responsive": True}


def _figure_html(fig_dict: dict) -> str:
    """A <div> that reserves the figure's height, and the figure as JSON beside it.

    The site's ``gsfigures.js`` (``_ext/static``) draws it with the page's own, deferred plotly.js
    when it scrolls into view: no inline script, no CDN. Frames are added for sliders but never
    played on load. ``layout.meta.alt`` (a string), when present, becomes the figure's text
    alternative (``role="figure"`` and ``aria-label`` on the div). plotly's JSON encoder escapes
    ``<`` and ``/``, so the data can never close its ``<script>`` early.
    """
    from html import escape

    from plotly.io.json import to_json_plotly

    payload = json.dumps(fig_dict, sort_keys=True, default=str)
    div_id = "gs-" + hashlib.sha1(payload.encode()).hexdigest()[:12]  # stable across re-runs
    layout = fig_dict.get("layout", {}) or {}
    spec = to_json_plotly({"data": fig_dict.get("data", []), "layout": layout,
                           "frames": fig_dict.get("frames", []), "config": FIGURE_CONFIG})
    height = layout.get("height") or 450
    meta = layout.get("meta")
    alt = meta.get("alt") if isinstance(meta, dict) else None
    label = f' role="figure" aria-label="{escape(alt, quote=True)}"' if isinstance(alt, str) else ""
    return (f'<div id="{div_id}" class="plotly-graph-div gs-figure"{label} '
            f'style="height:{int(height)}px; width:100%;"></div>\n'
            f'<script type="application/json" class="gs-figure-data" data-for="{div_id}">'
            f'{spec}</script>')


def use_book_renderer() -> None:
    """Register and select a renderer emitting plotly JSON (Jupyter) and an offline HTML div (site).

    In Colab, plotly's own 'colab' renderer is used instead.
    """
    import plotly.io as pio
    from plotly.io.base_renderers import MimetypeRenderer

    class BookRenderer(MimetypeRenderer):
        def to_mimebundle(self, fig_dict):
            return {"application/vnd.plotly.v1+json": {"data": fig_dict.get("data", []),
                                                       "layout": fig_dict.get("layout", {}),
                                                       "frames": fig_dict.get("frames", [])},
                    "text/html": _figure_html(fig_dict)}

    if "google.colab" in sys.modules:
        pio.renderers.default = "colab"
        return
    pio.renderers[BOOK_RENDERER] = BookRenderer()
    pio.renderers.default = BOOK_RENDERER


# --------------------------------------------------------------------------- glue
def glue(name: str, value: Any, fmt: str | None = None) -> Any:
    """Store `value` for the prose under `name` (myst-nb's glue format; works without myst-nb).

    NumPy and torch scalars become Python floats/ints (a NumPy 2 scalar renders as empty text);
    `fmt` (e.g. ".1f") preformats the value as a string. The stored text/plain is the value's
    ``repr``, strings included: myst-nb's ``{glue:text}`` reads it back with ``literal_eval``, so
    an unquoted "1,000" would render as the tuple "(1, 0)" and "6.4e-04" as another number.
    """
    from IPython.display import display

    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if fmt is not None:
        value = format(value, fmt)
    display({GLUE_PREFIX + "text/plain": repr(value)},
            raw=True, metadata={"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}})
    return value


# --------------------------------------------------------------------------- papermill
def parameter_defaults(notebook) -> dict[str, Any]:
    """The names and default values of the cell tagged 'parameters'."""
    cells = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise InputError(f"expected exactly one cell tagged 'parameters', found {len(cells)}")
    namespace: dict[str, Any] = {}
    exec(cells[0].source, {}, namespace)  # the parameters cell holds literals only
    return namespace


def execute_chapter(source: str | Path, parameters: dict[str, str] | None = None,
                    output: str | Path | None = None, kernel: str = "python3") -> Path:
    """Execute ``chapters/NN_name.md`` with papermill into ``book/NN_name.ipynb``.

    Parameter names are checked against the chapter's parameters cell and values are parsed as the
    type of their default, so a misspelled name or a bad value stops before anything runs.
    """
    import jupytext
    import nbformat
    import papermill

    from .configs import coerce
    from .timings import machine

    source = Path(source)
    if not source.exists():
        raise InputError(f"no chapter source {source}; accepted: "
                         f"{', '.join(sorted(p.name for p in source.parent.glob('*.md')))}")
    notebook = jupytext.read(source)
    defaults = parameter_defaults(notebook)
    parsed = {}
    for name, text in (parameters or {}).items():
        check_choice("chapter parameter", name, defaults)
        default = defaults[name]
        parsed[name] = text if default is None else coerce(name, text, default)
    book_dir = source.resolve().parent.parent / "book"  # chapters run from book/, as on the site
    output = Path(output) if output else book_dir / (source.stem + ".ipynb")
    output.parent.mkdir(parents=True, exist_ok=True)
    staged = output.with_suffix(".input.ipynb")
    partial = output.with_suffix(".partial.ipynb")  # kept for inspection when a cell fails
    jupytext.write(notebook, staged)
    load_before = os.getloadavg()  # the timings record whether the machine was shared
    try:
        papermill.execute_notebook(str(staged), str(partial), parameters=parsed, kernel_name=kernel,
                                   cwd=str(book_dir), progress_bar=False,
                                   execution_timeout=CELL_TIMEOUT_S)
    finally:
        staged.unlink(missing_ok=True)
    executed = nbformat.read(partial, as_version=4)
    # Saved widget state has random model ids and only matters with a live kernel: drop it, so
    # re-executions give identical files and the site loads no widget manager.
    executed.metadata.pop("widgets", None)
    executed.metadata["gsbook"] = {"run": machine(load_before)}  # with papermill's duration: timings.collect
    nbformat.write(executed, partial)
    os.replace(partial, output)  # the committed notebook is never half-executed
    return output
