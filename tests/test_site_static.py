"""The built website read as files: every glued value as the chapter formatted it, and page weight.

* Glue: myst-nb's ``{glue:text}`` re-reads the stored text/plain as a Python literal, which once
  turned "1,000" into "(1, 0)". Every ``{glue:text}`` of every page is compared, in page order,
  with the text its notebook stored (a stored string literal: its value; anything else: as stored).
* Weight: the bytes of everything a page references (its HTML, scripts, stylesheets and what they
  import, fonts, images, plotly.js and the figures' JSON where gsfigures.js will load them, and
  every MathJax font on a page with typeset math) stay within the budget: 4 MB on a page with a figure, 2 MB on one without.

Marked ``site``: run after the site build (``make test`` does); skipped without ``_build/html``.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
PAGES = sorted(p for p in SITE.rglob("*.html")
               if "_static" not in p.parts and "_sources" not in p.parts) if SITE.is_dir() else []
NOTEBOOK_PAGES = [p for p in PAGES if (ROOT / p.relative_to(SITE)).with_suffix(".ipynb").exists()]
GLUE_ROLE = re.compile(r"\{glue:text\}`([^`]+)`")
GLUE_PREFIX = "application/papermill.record/"
FIGURE_BUDGET, PAGE_BUDGET = 4_000_000, 2_000_000
MATHJAX_FONTS = SITE / "_static" / "mathjax" / "output" / "chtml" / "fonts"  # named by typeset math
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


def _skip_without_site():
    if not SITE.is_dir():
        pytest.skip(f"no built site at {SITE}: run `make site` first")


# --------------------------------------------------------------------------- glue
class _PastedText(HTMLParser):
    """The text of every <span class="pasted-text"> (myst-nb's rendered glue), in order."""

    def __init__(self):
        super().__init__()
        self.values: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if self._depth:
            self._depth += tag == "span"
        elif tag == "span" and "pasted-text" in (dict(attrs).get("class") or "").split():
            self._depth = 1
            self.values.append("")

    def handle_endtag(self, tag):
        if self._depth and tag == "span":
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.values[-1] += data


SMART = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _plain(text: str) -> str:
    """Whitespace collapsed, and Sphinx's smart quotes and dashes undone (as it does to prose)."""
    text = text.translate(SMART).replace("\u2014", "---").replace("\u2013", "--")
    return " ".join(text.replace("\u2026", "...").split())


def stored_glue(notebook) -> dict[str, str]:
    """{name: the text the chapter meant} of every glue output of a notebook."""
    glued = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get(GLUE_PREFIX + "text/plain")
            if name is not None and text is not None:
                try:
                    value = ast.literal_eval(text)
                except (SyntaxError, ValueError):
                    value = None
                glued[name] = value if isinstance(value, str) else text
    return glued


@pytest.mark.parametrize("page", NOTEBOOK_PAGES or ["<no site>"], ids=str)
def test_every_glued_value_renders_as_stored(page):
    _skip_without_site()
    notebook = nbformat.read((ROOT / page.relative_to(SITE)).with_suffix(".ipynb"), as_version=4)
    glued = stored_glue(notebook)
    expected = []
    for cell in notebook.cells:  # prose, and figure captions (code-cell metadata), in page order
        text = (cell.source if cell.cell_type == "markdown"
                else str(cell.metadata.get("mystnb", {}).get("figure", {}).get("caption", "")))
        if text:
            for ref in GLUE_ROLE.findall(text):
                name, _, spec = ref.partition(":")
                assert name in glued, f"{page.name}: {{glue:text}}`{ref}` has no stored glue"
                expected.append((name, format(ast.literal_eval(glued[name]), spec) if spec
                                 else glued[name]))
    parser = _PastedText()
    parser.feed(page.read_text(encoding="utf8"))
    rendered = [_plain(v) for v in parser.values]
    assert len(rendered) == len(expected), (
        f"{page.name}: {len(expected)} glue references in the notebook, {len(rendered)} on the page")
    wrong = [f"{name}: stored {want!r}, shown {got!r}"
             for (name, want), got in zip(expected, rendered) if _plain(want) != got]
    assert not wrong, f"{page.name}:\n  " + "\n  ".join(wrong)


# --------------------------------------------------------------------------- weight
class _References(HTMLParser):
    """Local files a page makes the browser fetch: scripts, stylesheets, preloads, icons, images."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.has_math = self.has_figure = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        self.has_math |= "math" in classes
        self.has_figure |= "gs-figure" in classes
        if tag == "script" and a.get("data-src"):  # a figure's JSON, fetched by gsfigures.js
            self.urls.append(a["data-src"])
        if tag == "script" and a.get("src") and a.get("data-plotly"):  # loaded by gsfigures.js
            self.urls.append(a["src"].split("?")[0].rsplit("/", 1)[0] + "/" + a["data-plotly"])
        if tag in ("script", "img", "source", "iframe") and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "link" and a.get("href") and set((a.get("rel") or "").split()) & {
                "stylesheet", "preload", "icon", "modulepreload"}:
            self.urls.append(a["href"])


def _local(base: Path, url: str) -> Path | None:
    parsed = urlparse(url)
    if parsed.scheme or parsed.netloc or url.startswith("data:") or not parsed.path:
        return None
    return (base.parent / parsed.path).resolve()


def _css_closure(css: Path, seen: set[Path]) -> None:
    text = css.read_text(encoding="utf8", errors="replace")
    # In an @font-face the browser fetches only the first source it supports (woff2 comes first).
    text = re.sub(r"(@font-face\s*\{[^}]*?src:\s*url\([^)]*\))[^;}]*", r"\1", text)
    for match in CSS_URL.finditer(text):
        url = match.group(1) or match.group(2)
        path = _local(css, url)
        if path is None or path in seen:
            continue
        seen.add(path)
        if path.suffix == ".css" and path.is_file():
            _css_closure(path, seen)


def page_weight(page: Path) -> tuple[int, dict[str, int], bool]:
    """(total bytes, {file: bytes}, has a figure) of everything the page makes the browser load."""
    parser = _References()
    parser.feed(page.read_text(encoding="utf8"))
    files = {page.resolve()}
    for url in parser.urls:
        path = _local(page, url)
        if path is not None and path not in files:
            files.add(path)
            if path.suffix == ".css" and path.is_file():
                _css_closure(path, files)
    if parser.has_math and MATHJAX_FONTS.is_dir():  # loaded as glyphs need them: count all
        files.update(p.resolve() for p in MATHJAX_FONTS.rglob("*") if p.is_file())
    missing = [str(p) for p in files if not p.is_file()]
    assert not missing, f"{page.name} references missing files: {missing}"
    sizes = {str(p.relative_to(SITE.resolve())): p.stat().st_size for p in files}
    return sum(sizes.values()), sizes, parser.has_figure


@pytest.mark.parametrize("page", PAGES or ["<no site>"], ids=str)
def test_page_weight_within_budget(page):
    _skip_without_site()
    total, sizes, has_figure = page_weight(page)
    budget = FIGURE_BUDGET if has_figure else PAGE_BUDGET
    biggest = sorted(sizes.items(), key=lambda kv: -kv[1])[:6]
    assert total <= budget, (f"{page.relative_to(SITE)} loads {total / 1e6:.2f} MB "
                             f"(budget {budget / 1e6:.0f} MB); largest: {biggest}")


@pytest.mark.parametrize("page", PAGES or ["<no site>"], ids=str)
def test_page_has_title_description_and_favicon(page):
    _skip_without_site()
    html = page.read_text(encoding="utf8")
    assert re.search(r"<title>[^<]+</title>", html), f"{page.name}: no <title>"
    assert re.search(r'<meta name="description" content="[^"]{40,}"', html), (
        f"{page.name}: no meta description")
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert icon and _local(page, icon.group(1)).is_file(), f"{page.name}: no favicon"
