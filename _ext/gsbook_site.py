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
* It loads ``static/gsfigures.js`` on the pages that have figures: it loads plotly.js (the
  cartesian partial bundle) when the first figure comes near the viewport and draws each figure
  as it comes into view, from its JSON, which the extension moves out of the page into
  ``_figures/``. No page loads MathJax (``gsbook_math`` typesets the math when the pages are
  written). Every script file is deferred, and duplicated script tags (one of them,
  from sphinx-thebe, is a JavaScript error) are removed.
* It registers the pybtex style ``gsbook`` (``bibtex_default_style``): the bibliography's labels
  are author-year ("Pezeshki et al., 2021"), as the citations in the text, not alpha ("PKB+21").
* It writes the site's ``index.html`` (before sphinx-external-toc would write a bare redirect): a
  titled page with a description and favicon that forwards to the landing page, the toc's root.
* axe fixes: the bibliography's entries are marked ``role="listitem"`` (docutils writes
  ``doc-biblioentry`` inside ``role="list"``: aria-required-children), and a collapsed cell's
  ``<summary>`` loses myst-nb's aria-label, so its name is its visible text (label-in-name);
  ``gsbook.js`` gives every box that scrolls sideways a tab stop.
* It serves ``_ext/static`` (the book's CSS and script, figure drawer, favicon) and gives every page a
  ``<meta name="description">`` taken from its first paragraph.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
from docutils import nodes
from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.builders.html._assets import _JavaScript
from sphinx.errors import ConfigError

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
FIGURE_DATA = re.compile(r'<script type="application/json" class="gs-figure-data" '
                         r'data-for="(gs-[0-9a-f]+)">(.*?)</script>', re.S)
FIGURES_DIR = "_figures"
TQDM_STUB = re.compile(r"\d+%\|.*\| *[\d.]+\w?/[\d.?]+\w? \[")  # "  0%|   | 0/500 [00:00<?, ?it/s]"
VENDOR = Path(".vendor") / "static"
OWN_STATIC = Path("_ext") / "static"
PLOTLY_JS = "plotly-cartesian.min.js"
FIGURES_JS = "gsfigures.js"
BOOK_JS = "gsbook.js"
REQUIRED_ASSETS = (PLOTLY_JS, "mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
                   "html-manager/embed.js",
                   "vendor/fontawesome/webfonts/fa-solid-900.woff2")  # icon subset, overrides the theme's
# Kept synchronous: the theme's inline scripts read DOCUMENTATION_OPTIONS, and its (template-loaded,
# synchronous) searchtools.js calls doctools.js's _ready.
SYNC_JS = ("documentation_options.js", "doctools.js")
DESCRIPTION_CHARS = 160
BOOK_DESCRIPTION = ("An executable edition of the NeurIPS 2021 paper Gradient Starvation: why networks "
                    "trained with cross-entropy learn only the strongest features, and a fix.")


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


class AuthorYearLabels(BaseLabelStyle):
    """'Surname, 2021', 'A and B, 2021', 'A et al., 2021'; 'a', 'b', ... where two would be equal."""

    def format_labels(self, sorted_entries):
        labels = [self._label(entry) for entry in sorted_entries]
        for i, label in enumerate(labels):
            same = [j for j, other in enumerate(labels) if other == label]
            yield label if len(same) == 1 else label + "abcdefghij"[same.index(i)]

    @staticmethod
    def _label(entry) -> str:
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [" ".join(p.prelast_names + p.last_names) for p in people]
        names = [n.replace("{", "").replace("}", "") for n in names]
        who = (names[0] if len(names) == 1 else " and ".join(names) if len(names) == 2
               else f"{names[0]} et al." if names else entry.fields.get("title", "?"))
        return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    """unsrt formatting, sorted by author and year, with author-year labels."""

    default_label_style = AuthorYearLabels
    default_sorting_style = "author_year_title"


register_plugin("pybtex.style.formatting", "gsbook", AuthorYearStyle)


def _add_assets(app, config) -> None:
    """Serve .vendor/static as _static; stop when `make assets` has not filled it."""
    root = Path(app.confdir)
    missing = [name for name in REQUIRED_ASSETS if not (root / VENDOR / name).is_file()]
    if missing:
        raise ConfigError(f"site scripts missing from {VENDOR}: {', '.join(missing)}; "
                          "run `make assets` (scripts/fetch_assets.sh) first")
    config.html_static_path = [*config.html_static_path, str(VENDOR), str(OWN_STATIC)]


def _description(doctree) -> str:
    """The page's first paragraph of prose (not a cell's output), cut to DESCRIPTION_CHARS."""
    for para in (doctree.findall(nodes.paragraph) if doctree is not None else ()):
        if any(isinstance(p, (nodes.container, nodes.footnote, nodes.citation, nodes.table))
               for p in _ancestors(para)):
            continue
        text = " ".join(para.astext().split())
        if len(text) >= 40:
            if len(text) > DESCRIPTION_CHARS:
                text = text[:DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0] + "\u2026"
            return text
    return BOOK_DESCRIPTION


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


def _external_figures(app, pagename, context) -> None:
    """Move each figure's JSON out of the page into _figures/<div id>.json, fetched by
    gsfigures.js when the figure comes into view: the page's HTML, the first thing a phone must
    download and parse, stays small however large its figures are."""
    body = context.get("body", "")
    if "gs-figure-data" not in body:
        return
    folder = Path(app.outdir) / FIGURES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    # singlehtml (the PDF's source) writes every link as seen from the output's root
    up = "" if app.builder.name == "singlehtml" else "../" * pagename.count("/")

    def external(match):
        (folder / f"{match.group(1)}.json").write_text(match.group(2), encoding="utf8")
        return (f'<script type="application/json" class="gs-figure-data" data-for="{match.group(1)}" '
                f'data-src="{up}{FIGURES_DIR}/{match.group(1)}.json"></script>')

    context["body"] = FIGURE_DATA.sub(external, body)


def _page_scripts(app, pagename, templatename, context, doctree) -> None:
    """Load the figure drawer only on pages that draw a figure (it loads plotly.js when the first
    figure comes near the viewport); load MathJax nowhere (gsbook_math typesets at build time);
    defer every script file (none blocks the first paint); add the meta description; drop repeated
    <script> entries (sphinx-thebe registers its `const THEBE_JS_URL = ...` inline script twice under
    Jupyter Book 1.0.4, and the second copy is a JavaScript error)."""
    _external_figures(app, pagename, context)
    if "plotly-graph-div" in context.get("body", ""):  # gsfigures.js loads plotly when needed
        app.builder.add_js_file(FIGURES_JS, defer="defer", **{"data-plotly": PLOTLY_JS})
    description = html.escape(_description(doctree), quote=True)
    context["metatags"] = (context.get("metatags", "")
                           + f'\n    <meta name="description" content="{description}" />')
    seen, unique = set(), []
    for js in context.get("script_files", []):
        key = (getattr(js, "filename", str(js)) or "",  # inline scripts: None or ""
               tuple(sorted(getattr(js, "attributes", {}).items())))
        if "mathjax/" in key[0] or "window.MathJax" in str(dict(key[1]).get("body")):
            continue  # Sphinx and myst-nb add MathJax; the pages carry typeset math instead
        if key not in seen:
            seen.add(key)
            attrs = dict(key[1])
            if key[0] and not {"defer", "async"} & set(attrs) and not key[0].endswith(SYNC_JS):
                js = _JavaScript(js.filename, priority=js.priority, **attrs, defer="defer")
            unique.append(js)
    context["script_files"] = unique


def _index_page(app, exception) -> None:
    """index.html: the landing page's address, with a title, description and a link."""
    if exception is not None or app.builder.format != "html" or app.config.root_doc == "index":
        return
    target = f"{app.config.root_doc}.html"
    title, about = html.escape(app.config.html_title or app.config.project), html.escape(BOOK_DESCRIPTION, quote=True)
    (Path(app.outdir) / "index.html").write_text(
        f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>{title}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <meta name="description" content="{about}" />
  <link rel="icon" href="_static/{Path(app.config.html_favicon or 'favicon.svg').name}" />
  <link rel="canonical" href="{target}" />
  <meta http-equiv="refresh" content="0; url={target}" />
</head>
<body>
  <p><a href="{target}">{title}</a></p>
</body>
</html>
""", encoding="utf8")


def _aria_fixes(app, pagename, templatename, context, doctree) -> None:
    """Bibliography entries as list items; a collapsed cell's toggle named by its visible text."""
    body = context.get("body", "")
    body = body.replace('role="doc-biblioentry"', 'role="listitem"')
    context["body"] = body.replace('<summary aria-label="Toggle hidden content">', "<summary>")


def setup(app):
    app.connect("config-inited", _add_assets)
    app.add_css_file("gsbook.css")
    app.add_js_file(BOOK_JS, defer="defer")
    app.connect("html-page-context", _page_scripts, priority=900)
    app.connect("html-page-context", _aria_fixes)
    app.connect("build-finished", _index_page, priority=400)  # before sphinx-external-toc's
    return {"parallel_read_safe": True, "parallel_write_safe": True}
