"""Print the whole book to one PDF with Debian's Chromium: ``make pdf``.

1. Sphinx's ``singlehtml`` builder writes the book as one page (``_build/singlehtml``);
   ``_ext/gsbook_print.py`` adds the print stylesheet (``_ext/static/gsprint.css``).
2. The page is served from 127.0.0.1 and opened in headless Chromium (Playwright, never a
   downloaded browser); any request to another host fails the build. Every figure is drawn at
   once (the site draws them as they scroll into view) and replaced by plotly's own static SVG,
   at the printed column's width, so no figure is cut on the right (the math is typeset when
   Sphinx builds the page, _ext/gsbook_math.py).
3. Solutions move to a "Solutions" chapter before the bibliography; a table of contents with page
   numbers and the toc's parts goes under the landing page's "Contents".
4. Chromium prints A4 twice: the first pass finds the page of every heading (the PDF's named
   destinations), the second prints the contents with those numbers. The PDF has an outline
   (bookmarks) from the headings, tagged structure, and links for every cross-reference.

Usage: python scripts/build_pdf.py [--no-build] [--output PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import io
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
SINGLE = ROOT / "_build" / "singlehtml"
PAGE = "index.html"  # the whole book (_ext/gsbook_print.SINGLE_PAGE)
OUTPUT = ROOT / "_build" / "pdf" / "gradient-starvation-book.pdf"  # == _ext/gsbook_print.PDF_BUILT
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PRINT_WIDTH_PX = 665  # A4's 210 mm less 2 x 17 mm margins (gsprint.css), at 96 px per inch
TIMEOUT_MS = 180_000
NO_SEARCH_INDEX = "searchindex.js"  # the theme asks for it; singlehtml writes none (no search)
FOOTER = ('<div style="font-size:8px; width:100%; text-align:center; color:#555;">'
          '<span class="pageNumber"></span></div>')
PDF_OPTIONS = dict(format="A4", print_background=True, outline=True, tagged=True,
                   prefer_css_page_size=True, display_header_footer=True,
                   header_template="<span></span>", footer_template=FOOTER)

PAGE_JS = Path(__file__).with_suffix(".js")  # the page side: window.gsPrint


def build_singlehtml() -> None:
    """The book as one page, from the committed notebooks (execution is off in _config.yml)."""
    subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
                    "--builder", "singlehtml", "-W", "-n", "--keep-going"], check=True)


@contextlib.contextmanager
def serve(folder: Path):
    """An HTTP server for `folder` on 127.0.0.1 (the figures' JSON is fetched: no file:// URLs)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def destination_pages(pdf: bytes, names) -> dict[str, int]:
    """{anchor: 1-based page} for the named destinations Chromium wrote for link targets (as PDF
    names, "/anchor")."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    dests = {str(key).lstrip("/"): dest for key, dest in reader.named_destinations.items()}
    return {name: reader.get_destination_page_number(dests[name]) + 1
            for name in names if name in dests}


def outline_items(node):
    """The outline's entries (the PDF's own dictionaries) in document order."""
    item = node.get("/First")
    while item is not None:
        item = item.get_object()
        yield item
        yield from outline_items(item)
        item = item.get("/Next")


def clean_outline(pdf: bytes, titles: list[str]) -> bytes:
    """Chromium's bookmark titles repeat the first line of a heading that wraps ("...starves
    Gradient Starvation: ... starvesanother"): give each bookmark its heading's text. The
    bookmarks are the printed headings in order; a PDF whose count differs is left as it is."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    items = list(outline_items(writer.root_object["/Outlines"].get_object()))
    squash = lambda text: "".join(str(text).split())[:8]  # noqa: E731
    if len(items) != len(titles) or any(squash(i["/Title"]) != squash(t)
                                        for i, t in zip(items, titles)):
        print(f"warning: {len(items)} bookmarks for {len(titles)} headings; titles left as printed")
        return pdf
    for item, title in zip(items, titles):
        item[NameObject("/Title")] = TextStringObject(title)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def toc_parts() -> dict[str, str]:
    """{first page of a part: the part's caption}, from _toc.yml (singlehtml drops the captions)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8"))
    return {part["chapters"][0]["file"]: part["caption"]
            for part in toc.get("parts", []) if part.get("caption") and part.get("chapters")}


def prepare(page) -> dict[str, int]:
    """Static figures, solutions at the end, the contents; returns what was done, for the log."""
    page.wait_for_function("gsPrint.ready()", timeout=TIMEOUT_MS, polling=500)
    errors = page.evaluate("document.querySelectorAll('mjx-merror').length")
    if errors:
        raise RuntimeError(f"MathJax could not typeset {errors} formulas")
    figures = page.evaluate("document.querySelectorAll('div.gs-figure').length")
    page.evaluate("width => gsPrint.staticFigures(width)", PRINT_WIDTH_PX)
    page.evaluate("gsPrint.headings()")
    solutions = page.evaluate("gsPrint.solutions()")
    chapters = page.evaluate("parts => gsPrint.contents(parts)", toc_parts())
    page.evaluate("document.fonts.ready")
    return {"figures": figures, "solutions": solutions, "chapters": chapters}


def print_book(url: str, output: Path) -> dict[str, int]:
    """Open the single page, prepare it and print it (twice: page numbers for the contents)."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []

    def route(route):
        host = urlparse(route.request.url).hostname
        if urlparse(route.request.url).path == f"/{NO_SEARCH_INDEX}":
            route.fulfill(status=200, body="", content_type="text/javascript")
        elif route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            problems.append(f"request left the machine: {route.request.url}")
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.add_init_script(path=PAGE_JS)
        page.route("**/*", route)
        page.on("pageerror", lambda err: problems.append(f"JavaScript error: {err}"))
        page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
                if r.status >= 400 else None)
        page.goto(f"{url}/{PAGE}", wait_until="load")
        done = prepare(page)
        page.emulate_media(media="print")
        first = page.pdf(**PDF_OPTIONS)
        targets = page.evaluate("gsPrint.contentsTargets()")
        page.evaluate("pages => gsPrint.setContentsPages(pages)", destination_pages(first, targets))
        pdf = clean_outline(page.pdf(**PDF_OPTIONS), page.evaluate("gsPrint.headingTitles()"))
        browser.close()
    if problems:
        raise RuntimeError("printing the book failed:\n  " + "\n  ".join(problems))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(pdf)
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-build", action="store_true", help="reuse _build/singlehtml")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # "Object count ... exceeds trailer size"
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    start = time.monotonic()
    if not args.no_build:
        build_singlehtml()
    with serve(SINGLE) as url:
        done = print_book(url, args.output)
    from pypdf import PdfReader

    pages = len(PdfReader(args.output).pages)
    name = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    print(f"wrote {name}: "
          f"{pages} pages, {args.output.stat().st_size / 1e6:.1f} MB, {done['chapters']} chapters, "
          f"{done['figures']} figures, {done['solutions']} solutions, "
          f"{time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
