"""Colab editions: ``colab/NN_name.ipynb``, made from the executed ``book/NN_name.ipynb``.

Colab shows a notebook's Markdown as plain Jupyter Markdown, so an edition is the executed
notebook with its MyST rendered (``myst.convert``: glue values, citations, admonitions, references,
figure captions). Its install cell installs gsutils at the commit it was made from (``pinned_commit``:
HEAD, refused while gsutils/ or pyproject.toml has uncommitted changes). Its plotly outputs load
plotly.js themselves when the page has none (Colab sandboxes each output); the website reads
book/, never these files, and so still loads nothing from outside. Write them with ``make colab``
(``python -m gsutils.colab``); tests/test_colab_editions.py checks that they are in step.
"""

from __future__ import annotations

import copy
import re
import subprocess
from ast import literal_eval
from pathlib import Path
from urllib.parse import urlparse

import nbformat

from .. import REPO_URL
from . import cite as citations
from . import myst

ROOT = Path(__file__).resolve().parents[2]
EDITIONS = "colab"
GLUE_PREFIX = "application/papermill.record/"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
TQDM_STUB = re.compile(r"\d+%\|.*\| *[\d.]+\w?/[\d.?]+\w? \[")
FIGURE_DATA = re.compile(r'<script type="application/json" class="gs-figure-data" data-for="([\w-]+)">.*?</script>', re.S)
PLOTLY_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>(?:(?!</script>).)*?Plotly\.newPlot.*?)</script>", re.S)
INSTALL = f'git+{REPO_URL}"'
PINNED_FILES = ("gsutils", "pyproject.toml")


def colab_url(stem: str, branch: str = "main") -> str:
    """The Colab address of the edition of chapter `stem` on GitHub."""
    return f"https://colab.research.google.com/github/{urlparse(REPO_URL).path.strip('/')}/blob/{branch}/{EDITIONS}/{stem}.ipynb"


def _git(*args: str, root: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()


def pinned_commit(root: Path = ROOT) -> str:
    """HEAD, when gsutils/ and pyproject.toml there are exactly as committed (else an error)."""
    dirty = _git("status", "--porcelain", "--", *PINNED_FILES, root=root)
    if dirty:
        raise RuntimeError("the Colab editions pin gsutils to a commit: commit these changes first\n" + dirty)
    return _git("rev-parse", "HEAD", root=root)


def glue_text(text: str, spec: str = "") -> str:
    """A glued text/plain as the site shows it (myst-nb's format_plain_text) once strings are stored
    as their repr; an older bare string (e.g. '1,000') is shown as written, not literal-evaluated."""
    try:
        value = literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not isinstance(value, str) and not (isinstance(value, (bool, int, float)) and repr(value) == text):
        value = text
    if spec == "":
        return str(value)
    if spec[-1] in "bcdoxX":
        value = int(value)
    elif spec[-1] in "eEfFgGn%":
        value = float(value)
    elif spec[-1] == "s":
        value = str(value)
    return format(value, spec)


def _glued(nb) -> dict[str, dict]:
    """name -> mime bundle (prefix removed) of every value a notebook glued."""
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if meta:
                prefix = meta.get("mime_prefix", GLUE_PREFIX)
                values[meta["name"]] = {k[len(prefix):]: v for k, v in out.get("data", {}).items()
                                        if k.startswith(prefix)}
    return values


def _figure_caption(cell) -> dict | None:
    figure = cell.get("metadata", {}).get("mystnb", {}).get("figure")
    return figure if isinstance(figure, dict) and figure.get("caption") else None


class Book:
    """Everything an edition refers to: the chapters' notebooks, labels, titles and citations."""

    def __init__(self, root: Path = ROOT):
        self.root = Path(root)
        self.notebooks = {p.stem: nbformat.read(p, as_version=4) for p in sorted((self.root / "book").glob("*.ipynb"))
                          if not p.name.endswith((".input.ipynb", ".partial.ipynb"))}
        self.chapters = [s for s in self.notebooks if (self.root / "chapters" / f"{s}.md").exists()]
        self.bib = citations.read_bib(self.root / "references.bib")
        self.labels: dict[str, dict] = {}
        self.titles = {}
        # The toc is not numbered, so the site numbers figures, tables, proofs and exercises
        # book-wide, in toc order (= sorted order, tests/test_book_config.py); equations per page.
        self.numbered_before: dict[str, dict[str, int]] = {}
        counters: dict[str, int] = {}
        for stem, nb in self.notebooks.items():
            counters.pop("equation", None)
            self.numbered_before[stem] = dict(counters)
            for cell in nb.cells:
                if cell.cell_type == "markdown":
                    title = next((h[2:].strip() for h in cell.source.splitlines() if h.startswith("# ")), None)
                    if title and stem not in self.titles:
                        self.titles[stem] = title
                    myst.collect_labels(cell.source, stem, counters, self.labels)
                elif _figure_caption(cell):
                    counters["figure"] = counters.get("figure", 0) + 1
                    name = _figure_caption(cell).get("name")
                    if name:
                        self.labels[name] = {"kind": "figure", "doc": stem, "number": counters["figure"],
                                             "title": f"Fig. {counters['figure']}"}

    def doc_link(self, target: str) -> tuple[str, str]:
        stem = Path(target).name.rsplit(".", 1)[0] if target.endswith((".md", ".ipynb")) else Path(target).name
        if stem not in self.notebooks:  # a plain page of book/ (e.g. notation.md): GitHub shows it
            page = self.root / "book" / f"{stem}.md"
            if not page.exists():
                raise KeyError(f"no page {target!r} in book/")
            title = next((h[2:].strip() for h in page.read_text().splitlines() if h.startswith("# ")), stem)
            return title, f"{REPO_URL}/blob/main/book/{stem}.md"
        title = self.titles.get(stem) or stem
        return title, colab_url(stem) if stem in self.chapters else f"{REPO_URL}/blob/main/book/{stem}.ipynb"

    def edition(self, stem: str, pin: str) -> nbformat.NotebookNode:
        """The Colab edition of book/<stem>.ipynb, installing gsutils at commit `pin`."""
        nb = copy.deepcopy(self.notebooks[stem])
        values = _glued(nb)

        def glue(role: str, key: str, spec: str) -> str:
            if key not in values:
                raise KeyError(f"book/{stem}.ipynb: {{{role}}}`{key}` was never glued")
            data = values[key]
            if role == "glue:md" and "text/markdown" in data:
                return myst.convert(data["text/markdown"], ctx)
            return glue_text(data["text/plain"], spec)

        def file_url(path: str) -> str:
            if re.match(r"^[a-z]+://", path):
                return path
            rel = (self.root / "book" / path).resolve().relative_to(self.root.resolve()).as_posix()
            return f"{REPO_URL}/raw/{pin}/{rel}"

        before = self.numbered_before.get(stem, {})
        ctx = myst.Context(glue=glue, cite=lambda role, keys: citations.cite(self.bib, role, keys),
                           labels=self.labels, doc_link=self.doc_link, file_url=file_url, page=stem,
                           exercises=before.get("exercise", 0), figures_before=before.get("figure", 0))
        cells = []
        for cell in nb.cells:
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
            tags = cell.metadata.get("tags", [])
            if cell.cell_type == "markdown":
                cell.source = myst.convert(cell.source, ctx)
                cells.append(cell)
                continue
            if cell.cell_type != "code":
                cells.append(cell)
                continue
            if {"remove-cell", "remove-input", "hide-input", "hide-cell"} & set(tags):
                cell.metadata["jupyter"] = {"source_hidden": True}
            hidden = {"remove-output", "remove-cell"} & set(tags)  # the site shows none of these outputs
            cell.outputs = [] if hidden else _outputs(cell.outputs, lambda md: myst.convert(md, ctx))
            cells.append(cell)
            figure = _figure_caption(cell)
            if figure:
                ctx.figures.append(figure.get("name"))
                anchor = f'<a id="{figure["name"]}"></a>\n' if figure.get("name") else ""
                caption = myst.convert(str(figure["caption"]), ctx)
                number = ctx.figures_before + len(ctx.figures)
                cells.append(nbformat.v4.new_markdown_cell(f"{anchor}*Fig. {number}: {caption}*"))
        nb.cells = cells + [licence_cell(stem)]
        pin_install_cell(nb, stem, pin)
        for i, cell in enumerate(nb.cells):  # stable ids: the file changes only when content does
            cell["id"] = f"{stem[:2]}-{i:03d}"
        nb.metadata.pop("papermill", None)
        nb.metadata["gsbook"] = {"edition": "colab", "source": f"book/{stem}.ipynb", "gsutils_commit": pin}
        return nb


def _outputs(outputs: list, markdown) -> list:
    """Outputs as Colab should show them before anything runs: Markdown through `markdown`; plotly
    divs that load plotly.js when the page has none; widget views without saved state and closed
    progress bars dropped."""
    kept = []
    for out in outputs:
        data = out.get("data", {})
        if out.get("metadata", {}).get("scrapbook"):
            continue  # a glue record: its value is written into the prose
        if "text/markdown" in data:
            data["text/markdown"] = markdown(str(data["text/markdown"]))
        if WIDGET_VIEW_MIME in data:
            del data[WIDGET_VIEW_MIME]  # no saved widget state: it would be a broken box
            if not data or TQDM_STUB.search(str(data.get("text/plain", ""))):
                continue
        if "text/html" in data and "gs-figure-data" in str(data["text/html"]):
            data["text/html"] = self_drawing(str(data["text/html"]))
        if "text/html" in data and "Plotly.newPlot" in str(data["text/html"]):
            data["text/html"] = plotly_loading(str(data["text/html"]))
        kept.append(out)
    return kept


def self_drawing(html: str) -> str:
    """A figure div with its JSON beside it (drawn by the site's gsfigures.js, which Colab does not
    have) given a script that draws it with Plotly.newPlot; `plotly_loading` then loads plotly.js."""
    def draw(m: re.Match) -> str:
        return (m.group(0) + f"\n<script>var gsFig = JSON.parse(document.querySelector("
                f"'script.gs-figure-data[data-for=\"{m.group(1)}\"]').textContent); "
                f"Plotly.newPlot('{m.group(1)}', gsFig.data, gsFig.layout, gsFig.config);</script>")

    return FIGURE_DATA.sub(draw, html)


def plotly_loading(html: str) -> str:
    """Each figure script of `html` wrapped so that it first loads plotly.js (the version this
    figure was written for, from plotly's CDN) when ``window.Plotly`` is undefined."""
    from plotly.offline import get_plotlyjs_version

    src = f"https://cdn.plot.ly/plotly-{get_plotlyjs_version()}.min.js"

    def wrap(m: re.Match) -> str:
        return (f"<script{m.group('attrs')}>(function () {{\n"
                f"var draw = function () {{ {m.group('body').strip()} }};\n"
                "if (window.Plotly) { draw(); return; }\n"
                "var amd = window.define; window.define = undefined;  // no require.js module: window.Plotly\n"
                f"var s = document.createElement('script'); s.src = '{src}';\n"
                "s.onload = function () { window.define = amd; draw(); };\n"
                "document.head.appendChild(s);\n"
                "})();</script>")

    return PLOTLY_SCRIPT.sub(wrap, html)


def licence_cell(stem: str) -> nbformat.NotebookNode:
    """The last cell of every edition: the licences that let it be reused, and how to cite it."""
    return nbformat.v4.new_markdown_cell(
        f"---\n*Gradient Starvation: an executable edition* ({REPO_URL}). Code: MIT licence "
        f"({REPO_URL}/blob/main/LICENSE); text and figures: CC BY 4.0 "
        f"(https://creativecommons.org/licenses/by/4.0/). Cite it with {REPO_URL}/blob/main/CITATION.cff.",
        id=f"{stem[:2]}-licence")


def pin_install_cell(nb, stem: str, pin: str) -> None:
    """Make the first code cell of `nb` (the install cell) install gsutils at commit `pin`."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or code[0].source.count(INSTALL) != 1:
        raise ValueError(f"book/{stem}.ipynb: the first code cell is not the install cell ({INSTALL})")
    code[0].source = (f"# Installs gsutils at commit {pin[:12]}, the code this notebook was built and tested with.\n"
                      + code[0].source.replace(INSTALL, f'git+{REPO_URL}@{pin}"'))


def write_editions(root: Path = ROOT, pin: str | None = None) -> list[Path]:
    """Write colab/<stem>.ipynb for every chapter and delete editions of chapters that are gone."""
    book = Book(root)
    pin = pin or pinned_commit(root)
    out = Path(root) / EDITIONS
    out.mkdir(exist_ok=True)
    written = []
    for stem in book.chapters:
        path = out / f"{stem}.ipynb"
        nbformat.write(book.edition(stem, pin), path)
        written.append(path)
    for stale in set(out.glob("*.ipynb")) - set(written):
        stale.unlink()
    return written
