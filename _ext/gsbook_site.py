"""Sphinx glue for the website: offline plotly figures, local scripts, fail-fast checks.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.

* ``read_notebook`` is the site's ``.ipynb`` reader (``nb_custom_formats``). gsutils' plotly renderer
  writes each figure twice: the plotly JSON mimetype (for Jupyter) and a ``text/html`` div drawn by
  the page's own, locally served plotly.js (for this site). myst-nb parses every mimetype of a
  bundle and warns about the JSON one (``mystnb.unknown_mime_type``), although it would show the
  HTML. The reader drops the JSON only where that HTML div sits beside it, so a figure that has
  nothing but JSON, i.e. a figure that would be blank on the site, still fails the ``-W`` build.
  It also drops ipywidgets views that have no saved state (they would be blank boxes).
* At start-up it adds ``.vendor/static`` (filled by ``make assets``) to ``html_static_path``, or
  stops the build when those scripts are missing, instead of letting the pages fall back to a CDN.
  It is added here rather than in ``_config.yml`` because Jupyter Book puts every ``.js`` file of
  the configured static paths on every page.
* It loads plotly.js on the pages that have figures, once, and removes duplicated script tags
  (one of them, from sphinx-thebe, is a JavaScript error).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from sphinx.errors import ConfigError

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
TQDM_STUB = re.compile(r"\d+%\|.*\| *[\d.]+\w?/[\d.?]+\w? \[")  # "  0%|   | 0/500 [00:00<?, ?it/s]"
VENDOR = Path(".vendor") / "static"
PLOTLY_JS = "plotly.min.js"
REQUIRED_ASSETS = ("plotly.min.js", "mathjax/tex-svg-full.js", "html-manager/embed.js")


def read_notebook(text: str) -> nbformat.NotebookNode:
    """Read an .ipynb as the site shows it (the file itself is not changed).

    * plotly: drop the JSON of bundles that also carry gsutils' offline HTML div;
    * ipywidgets: a view whose model is not in the saved widget state cannot be drawn without a
      kernel. Drop the view so the bundle's text/plain shows instead (e.g. the live demo's "needs a
      running kernel" line), and drop closed progress bars (tqdm with leave=False) altogether, as
      Jupyter does.
    """
    nb = nbformat.reads(text, as_version=4)
    saved = nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})
    for cell in nb.cells:
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PLOTLY_MIME in data and "plotly-graph-div" in str(data.get("text/html", "")):
                del data[PLOTLY_MIME]
            view = data.get(WIDGET_VIEW_MIME)
            if view is not None and view.get("model_id") not in saved:
                del data[WIDGET_VIEW_MIME]
                if not data or TQDM_STUB.search(str(data.get("text/plain", ""))):
                    continue
            kept.append(output)
        if "outputs" in cell:
            cell.outputs = kept
    return nb


def _add_assets(app, config) -> None:
    """Serve .vendor/static as _static; stop when `make assets` has not filled it."""
    root = Path(app.confdir)
    missing = [name for name in REQUIRED_ASSETS if not (root / VENDOR / name).is_file()]
    if missing:
        raise ConfigError(f"site scripts missing from {VENDOR}: {', '.join(missing)}; "
                          "run `make assets` (scripts/fetch_assets.sh) first")
    config.html_static_path = [*config.html_static_path, str(VENDOR)]


def _page_scripts(app, pagename, templatename, context, doctree) -> None:
    """Load plotly.js (4.8 MB) only on pages that draw a figure, before the figures' inline
    scripts; drop repeated <script> entries (sphinx-thebe registers its `const THEBE_JS_URL = ...`
    inline script twice under Jupyter Book 1.0.4, and the second copy is a JavaScript error)."""
    if "plotly-graph-div" in context.get("body", ""):
        app.builder.add_js_file(PLOTLY_JS)
    seen, unique = set(), []
    for js in context.get("script_files", []):
        key = (getattr(js, "filename", str(js)) or "",  # inline scripts: None or ""
               tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def setup(app):
    app.connect("config-inited", _add_assets)
    app.connect("html-page-context", _page_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
