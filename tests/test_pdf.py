"""The printed book (``make pdf``, scripts/build_pdf.py) and the website's link to it.

* The script's PDF post-processing (bookmark titles, page of each heading) on small PDFs: always.
* Marked ``pdf`` (run after ``make pdf``; skipped without the PDF): the PDF has a sane number of
  pages, every chapter's title (in the text and as a bookmark), every figure's number with its
  caption, the bibliography, a table of contents with page numbers; every cross-reference is a
  link to a destination that exists; no word lies outside the page's text column (a figure or
  table cut on the right would); it is tagged.
* Marked ``site``: where the site build found the PDF, every page links to its copy in
  ``_downloads/``; where it did not, no page links to a PDF that is not there.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PDF = ROOT / "_build" / "pdf" / "gradient-starvation-book.pdf"
SITE = ROOT / "_build" / "html"
SITE_PDF = SITE / "_downloads" / PDF.name
MARGIN_PT = 17 / 25.4 * 72  # _ext/static/gsprint.css: @page margin left and right, 17 mm
SLACK_PT = 2.0
SMART = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})

spec = importlib.util.spec_from_file_location("build_pdf", ROOT / "scripts" / "build_pdf.py")
build_pdf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_pdf)


def _plain(text: str) -> str:
    return " ".join(text.translate(SMART).split())


def toc_pages() -> list[Path]:
    """The book's pages in the toc's order (executed notebooks, or Markdown: the bibliography)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [ch["file"] for part in toc["parts"] for ch in part["chapters"]]
    return [next(p for p in (ROOT / f"{f}.ipynb", ROOT / f"{f}.md") if p.exists()) for f in files]


def _markdown(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text()
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def chapter_titles() -> list[str]:
    """The first '# ' heading of each page in the toc, after the landing page."""
    return [re.search(r"^# (.+)$", _markdown(path), re.M).group(1).strip()
            for path in toc_pages()[1:]]


def figure_count() -> int:
    """Figures are myst-nb figures: code cells with a ``mystnb.figure`` caption."""
    return sum("figure" in cell.get("metadata", {}).get("mystnb", {})
               for path in toc_pages() if path.suffix == ".ipynb"
               for cell in json.loads(path.read_text())["cells"])


# --------------------------------------------------------------------------- post-processing
def _pdf_with_bookmarks(titles) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in titles:
        writer.add_blank_page(595, 842)
    parent = writer.add_outline_item(title=titles[0], page_number=0)
    for i, title in enumerate(titles[1:], 1):
        writer.add_outline_item(title=title, page_number=i, parent=parent)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _bookmarks(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return [str(item["/Title"])
            for item in build_pdf.outline_items(reader.root_object["/Outlines"])]


def test_clean_outline_gives_each_bookmark_its_heading():
    garbled = _pdf_with_bookmarks(["Book", "How to read itHow to read it",
                                   "A long titleA longtitle"])
    fixed = build_pdf.clean_outline(garbled, ["Book", "How to read it", "A long title"])
    assert _bookmarks(fixed) == ["Book", "How to read it", "A long title"]


def test_clean_outline_leaves_a_pdf_whose_headings_do_not_match():
    pdf = _pdf_with_bookmarks(["Book", "Chapter"])
    assert build_pdf.clean_outline(pdf, ["Book"]) == pdf
    assert build_pdf.clean_outline(pdf, ["Book", "Something else"]) == pdf


def test_destination_pages_reads_named_destinations():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(595, 842)
    writer.add_named_destination("chapter-two", 2)
    out = io.BytesIO()
    writer.write(out)
    assert PdfReader(io.BytesIO(out.getvalue())).named_destinations
    pages = build_pdf.destination_pages(out.getvalue(), ["chapter-two", "absent"])
    assert pages == {"chapter-two": 3}


# --------------------------------------------------------------------------- the built PDF
@pytest.fixture(scope="module")
def reader():
    if not PDF.is_file():
        pytest.skip(f"no PDF at {PDF}: run `make pdf` first")
    from pypdf import PdfReader

    return PdfReader(PDF)


@pytest.fixture(scope="module")
def text(reader):
    return _plain(" ".join(page.extract_text() or "" for page in reader.pages))


@pytest.mark.pdf
def test_pdf_page_count(reader):
    assert 30 <= len(reader.pages) <= 250, f"{len(reader.pages)} pages"


@pytest.mark.pdf
def test_pdf_has_every_chapter_the_bibliography_and_the_contents(reader, text):
    for title in chapter_titles():
        assert _plain(title) in text, f"chapter {title!r} is not in the PDF's text"
    assert "Bibliography" in text and "Pezeshki" in text

@pytest.mark.pdf
def test_pdf_contents_give_pages_in_order(reader):
    """The contents (first pages, up to the first chapter) list every chapter with a page number;
    the numbers never decrease (a section that shares its title with one of an earlier chapter
    once got that chapter's page)."""
    head = [page.extract_text() or "" for page in reader.pages[:6]]
    first = chapter_titles()[0]
    pages = head[: next(i for i, t in enumerate(head) if _plain(t).startswith(first))]
    text = "\n".join(pages)
    assert "Contents" in text
    lines = text[text.index("Contents"):].splitlines()
    contents = _plain(" ".join(lines))
    for title in chapter_titles():
        assert re.search(re.escape(_plain(title)) + r" \.* ?\d+", contents), (
            f"no page for {title!r}")
    numbers = [int(m.group(1)) for line in lines if (m := re.search(r"\S\s+(\d+)$", line))]
    assert numbers and numbers == sorted(numbers), f"page numbers out of order: {numbers}"


@pytest.mark.pdf
def test_pdf_bookmarks_are_the_chapters(reader):
    top = [_plain(str(item["/Title"]))
           for item in build_pdf.outline_items(reader.root_object["/Outlines"])]
    for title in chapter_titles():
        assert _plain(title) in top, f"no bookmark {title!r}"


@pytest.mark.pdf
def test_pdf_numbers_every_figure(text):
    n = figure_count()
    assert n > 0
    for k in range(1, n + 1):
        assert re.search(rf"Figure {k}\b", text), f"Figure {k} (of {n}) is not in the PDF"


@pytest.mark.pdf
def test_pdf_cross_references_are_links_that_resolve(reader):
    names = set(reader.named_destinations)
    internal, broken = 0, []
    for number, page in enumerate(reader.pages, 1):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link" or "/Dest" not in annot:
                continue
            internal += 1
            dest = annot["/Dest"]
            if isinstance(dest, str) and dest not in names:
                broken.append((number, dest))
    assert internal >= 100, f"only {internal} internal links"
    assert not broken, f"links to destinations that do not exist: {broken[:10]}"


@pytest.mark.pdf
def test_pdf_cuts_nothing_at_the_right(reader):
    """Every word lies inside the text column: a figure, table or code line cut at the page's
    edge would leave words past the right margin (pdftotext's word boxes, Debian poppler-utils)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils "
                    "(`make test-pdf` does this)")
    boxes = subprocess.run(["pdftotext", "-bbox", str(PDF), "-"], check=True, capture_output=True,
                           text=True).stdout
    outside = []
    for number, page in enumerate(boxes.split("<page ")[1:], 1):
        width = float(re.search(r'width="([\d.]+)"', page).group(1))
        for x0, x1, word in re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" '
                                       r'yMax="[\d.]+">([^<]*)</word>', page):
            if float(x0) < MARGIN_PT - SLACK_PT or float(x1) > width - MARGIN_PT + SLACK_PT:
                outside.append((number, word, round(float(x0)), round(float(x1))))
    assert not outside, f"{len(outside)} words outside the text column, e.g. {outside[:10]}"


@pytest.mark.pdf
def test_pdf_is_tagged(reader):
    root = reader.root_object
    assert "/StructTreeRoot" in root and root.get("/MarkInfo", {}).get("/Marked")


# --------------------------------------------------------------------------- the site's link
@pytest.mark.site
def test_site_links_the_pdf_only_where_it_is_there():
    if not SITE.is_dir():
        pytest.skip(f"no built site at {SITE}: run `make site` first")
    pages = [p for p in SITE.rglob("*.html") if "_static" not in p.parts and p.name != "index.html"]
    for page in pages:
        links = re.findall(r'<a href="([^"]*)"[^>]*>Download the book \(PDF\)</a>',
                           page.read_text())
        if SITE_PDF.is_file():
            assert len(links) == 1, f"{page.relative_to(SITE)}: {len(links)} links to the PDF"
            assert (page.parent / links[0]).resolve() == SITE_PDF.resolve()
        else:
            assert not links, f"{page.relative_to(SITE)} links to a PDF the site does not have"
