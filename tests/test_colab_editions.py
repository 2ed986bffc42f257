"""The Colab editions (colab/*.ipynb) are what `make colab` makes from book/*.ipynb, read as plain
Markdown (no MyST left), pin the gsutils they were built with, and draw their figures unaided."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest

import gsutils
from gsutils import colab
from gsutils.colab import myst

ROOT = Path(__file__).resolve().parent.parent
EDITIONS = {p.stem: p for p in sorted((ROOT / "colab").glob("*.ipynb"))}
CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))
REGENERATE = "regenerate them with `make colab` (after committing gsutils) and commit colab/"


@pytest.fixture(scope="module")
def book():
    return colab.Book(ROOT)


def test_every_chapter_has_an_edition_and_back():
    assert sorted(EDITIONS) == CHAPTERS, f"colab/ holds {sorted(EDITIONS)}, chapters are {CHAPTERS}; {REGENERATE}"


@pytest.mark.parametrize("stem", sorted(EDITIONS))
def test_edition_is_what_the_generator_makes(book, stem):
    committed = nbformat.read(EDITIONS[stem], as_version=4)
    pin = committed.metadata["gsbook"]["gsutils_commit"]
    assert nbformat.writes(book.edition(stem, pin)) == nbformat.writes(committed), (
        f"colab/{stem}.ipynb is not what book/{stem}.ipynb gives; {REGENERATE}")


@pytest.mark.parametrize("stem", sorted(EDITIONS))
def test_edition_has_no_myst_left_and_draws_its_figures(stem):
    nb = nbformat.read(EDITIONS[stem], as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            left = myst.leftovers(cell.source)
            assert not left, f"colab/{stem}.ipynb cell {i} still has MyST: {left}"
        for out in cell.get("outputs", []):
            left = myst.leftovers(str(out.get("data", {}).get("text/markdown", "")))
            assert not left, f"colab/{stem}.ipynb cell {i} prints Markdown with MyST: {left}"
            html = str(out.get("data", {}).get("text/html", ""))
            if "Plotly.newPlot" in html:
                assert html.count("if (window.Plotly)") == html.count("Plotly.newPlot"), (
                    f"colab/{stem}.ipynb cell {i}: a figure that does not load plotly.js")


def test_editions_pin_the_gsutils_of_this_commit():
    """The install cell pins a commit whose gsutils/ and pyproject.toml equal HEAD's: the code that
    nbval checks the notebooks against is the code Colab installs."""
    pins = set()
    for stem, path in EDITIONS.items():
        nb = nbformat.read(path, as_version=4)
        pin = nb.metadata["gsbook"]["gsutils_commit"]
        install = next(c for c in nb.cells if c.cell_type == "code").source
        assert f"git+{gsutils.REPO_URL}@{pin}" in install and install.startswith("# Installs gsutils at commit"), (
            f"colab/{stem}.ipynb: the install cell does not pin {pin}")
        pins.add(pin)
    assert len(pins) == 1, f"the editions pin different commits {sorted(pins)}; {REGENERATE}"
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    (pin,) = pins
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True)  # noqa: E731
    assert git("merge-base", "--is-ancestor", pin, "HEAD").returncode == 0, (
        f"the pinned commit {pin} is not an ancestor of HEAD (rebased away?); {REGENERATE}")
    diff = git("diff", "--stat", pin, "HEAD", "--", *colab.PINNED_FILES)
    assert diff.returncode == 0 and not diff.stdout.strip(), (
        f"gsutils changed since the pinned commit {pin[:12]}:\n{diff.stdout}{diff.stderr}{REGENERATE}")


# --------------------------------------------------------------------------- the converter
def convert(text: str, **glue) -> str:
    ctx = myst.Context(glue=lambda role, key, spec: colab.glue_text(glue[key], spec),
                       cite=lambda role, keys: f"CITE[{role}:{','.join(keys)}]",
                       labels={"fig-a": {"kind": "figure", "doc": "p", "number": 2, "title": "Fig. 2"},
                               "sec-b": {"kind": "section", "doc": "q", "number": "", "title": "Beta"},
                               "thm-c": {"kind": "prf:theorem", "doc": "p", "number": 1, "title": "Main"}},
                       doc_link=lambda d: ("Q", "https://colab/q"), page="p")
    out = myst.convert(text, ctx)
    assert not myst.leftovers(out), out
    return out


@pytest.mark.parametrize("stored, spec", [("'1,000'", ""), ("'6.4e-04'", ""), ("0.25", ".1f"),
                                          ("3", "d"), ("'12.5'", ".0f"), ("1000", ",d")])
def test_glue_text_is_what_the_site_shows(stored, spec):
    from myst_nb.core.variables import format_plain_text

    assert colab.glue_text(stored, spec) == format_plain_text(stored, spec)


def test_glue_text_of_a_bare_string_is_the_string():
    assert colab.glue_text("1,000") == "1,000" and colab.glue_text("6.4e-04") == "6.4e-04"


def test_roles_become_text_and_links():
    out = convert("{glue:text}`n:,d` digits, {cite:t}`a,b` and {cite}`c`; see {numref}`fig-a`, "
                  "{ref}`sec-b`, {ref}`that <sec-b>`, {prf:ref}`thm-c`, {doc}`../book/q`, "
                  "{math}`x^2`, {abbr}`SD (Spectral Decoupling)`, {weird}`text` and `{code}`.", n="1000")
    assert out == ("1,000 digits, CITE[cite:t:a,b] and CITE[cite:c]; see [Fig. 2](#fig-a), "
                   "[Beta](https://colab/q), [that](https://colab/q), [Main](#thm-c), [Q](https://colab/q), "
                   "$x^2$, SD (Spectral Decoupling), text and `{code}`.")


def test_directives_become_markdown():
    src = "\n".join([
        "(sec-x)=", "## X", "% a comment", "",
        "```{admonition} Learning objectives", ":class: note", "", "You can {glue:text}`k`.", "```", "",
        "````{prf:theorem} Starvation", ":label: thm-c", "", "Body", "```{math}", "a = b", "```", "````", "",
        ":::{note}", "Careful", ":::", "",
        "```{brand-new} Title", ":opt: 1", "", "New body", "```", "",
        "```python", "{cite}`not_a_role`", "```"])
    out = convert(src, k="'2'")
    assert out.splitlines()[:3] == ['<a id="sec-x"></a>', "## X", ""]
    assert "> **Learning objectives**\n>\n> You can 2." in out
    assert '<a id="thm-c"></a>\n> **Theorem (Starvation)**\n>\n> Body\n> $$\n> a = b\n> $$' in out
    assert "> **Note**\n>\n> Careful" in out
    assert "> **Brand new (Title)**\n>\n> New body" in out
    assert out.endswith("```python\n{cite}`not_a_role`\n```")


def test_leftovers_are_found():
    assert myst.leftovers("a {glue:text}`x` b") == ["{glue:text}`"]
    assert myst.leftovers("```{note}\nx\n```") == ["```{note}"]
    assert myst.leftovers("(lab)=\n# T") == ["(lab)="]
    assert myst.leftovers("```python\n{cite}`x`\n```\n`{cite}` in code") == []


def test_figure_caption_from_cell_metadata(book):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(f'"gsutils @ git+{gsutils.REPO_URL}"'),
        nbformat.v4.new_code_cell("fig", metadata={"mystnb": {"figure": {"caption": "A {cite:t}`pezeshki2021gradient` plot",
                                                                          "name": "fig-z"}}}),
        nbformat.v4.new_markdown_cell("See {numref}`fig-z`.")])
    book.notebooks["zz_test"] = nb
    try:
        book.labels["fig-z"] = {"kind": "figure", "doc": "zz_test", "number": 1, "title": "Fig. 1"}
        cells = book.edition("zz_test", "0" * 40).cells
    finally:
        del book.notebooks["zz_test"], book.labels["fig-z"]
    assert cells[2].source == '<a id="fig-z"></a>\n*Fig. 1: A [Pezeshki et al. (2021)](https://arxiv.org/abs/2011.09468) plot*'
    assert cells[3].source == "See [Fig. 1](#fig-z)."
    assert cells[0].source.startswith("# Installs gsutils at commit 000000000000")


def test_plotly_html_loads_plotly_only_when_missing():
    html = '<div id="d"></div><script type="text/javascript">if (x) { Plotly.newPlot("d", [], {}) };</script>'
    out = colab.plotly_loading(html)
    assert out.count("<script") == 1 and "if (window.Plotly) { draw(); return; }" in out
    assert "cdn.plot.ly/plotly-" in out and 'Plotly.newPlot("d", [], {})' in out


def test_launch_buttons_open_the_editions():
    import importlib.util
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("gsbook_colab", ROOT / "_ext" / "gsbook_colab.py")
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)
    stem = CHAPTERS[0]
    theme = f"https://colab.research.google.com/github/gsbook-project/gradient-starvation-book/blob/main/book/{stem}.ipynb"
    context = {"header_buttons": [{"type": "group", "buttons": [{"text": "Colab", "url": theme},
                                                                {"text": "Binder", "url": "https://mybinder.org/x"}]}]}
    ext._colab_edition(SimpleNamespace(confdir=str(ROOT)), f"book/{stem}", None, context, None)
    urls = [b["url"] for b in context["header_buttons"][0]["buttons"]]
    assert urls == [colab.colab_url(stem), "https://mybinder.org/x"]


@pytest.mark.site
def test_numbers_are_the_sites(book):
    """Figures, proofs and exercises carry the site's numbers: book-wide, as the toc is not numbered."""
    html = ROOT / "_build" / "html" / "book"
    if not html.is_dir():
        pytest.skip("needs the site build in _build/html")
    caption = re.compile(r'caption-number">([^<]*)<')
    pages, checked = {}, 0
    for label, info in book.labels.items():
        if info["kind"] in ("figure", "exercise") or info["kind"].startswith("prf:") and info["kind"] != "prf:proof":
            page = pages.setdefault(info["doc"], (html / f"{info['doc']}.html").read_text())
            at = page.find(f'id="{label}"')
            shown = caption.search(page, at) if at >= 0 else None
            assert shown, f"{label}: no numbered element with that id on {info['doc']}.html"
            assert shown.group(1).split()[-1] == str(info["number"]), (
                f"{label}: the site shows {shown.group(1).strip()!r}, the Colab edition {info['number']}")
            checked += 1
    assert checked
