"""Print the whole book to one PDF with Debian's Chromium: ``make pdf``.

1. Sphinx's ``singlehtml`` builder writes the book as one page (``_build/singlehtml``);
   ``_ext/gsbook_print.py`` adds the print stylesheet (``_ext/static/gsprint.css``).
2. The page is served from 127.0.0.1 and opened in headless Chromium (Playwright, never a
   downloaded browser); any request to another host fails the build. Every figure is drawn at
   once (the site draws them as they scroll into view) and replaced by plotly's own static SVG,
   at the printed column's width, so no figure is cut on the right; MathJax typesets all the math.
3. Solutions move to a "Solutions" chapter before the bibliography; a table of contents with page
   numbers goes under the landing page's "Contents".
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

# Every figure drawn and every equation typeset (IntersectionObserver answers "visible" at once,
# see INIT_SCRIPT); then each plotly figure becomes an <img> of its SVG.
JS_READY = """() => {
  const mj = window.MathJax;
  const gds = [...document.querySelectorAll('div.gs-figure')];
  return !!(mj && mj.startup && mj.startup.document && window.__gsMathDone) &&
         gds.every(gd => gd._fullLayout && gd.querySelector('.main-svg'));
}"""
INIT_SCRIPT = """
window.IntersectionObserver = class {
  constructor(callback) { this.callback = callback; }
  observe(target) {
    setTimeout(() => {
      const box = target.getBoundingClientRect();
      this.callback([{isIntersecting: true, target, intersectionRatio: 1, boundingClientRect: box,
                      intersectionRect: box, rootBounds: null, time: performance.now()}], this);
    }, 0);
  }
  unobserve() {} disconnect() {} takeRecords() { return []; }
};
window.addEventListener('load', () => {
  const wait = () => window.MathJax && MathJax.startup && MathJax.startup.promise
      ? MathJax.startup.promise.then(() => { window.__gsMathDone = true; })
      : setTimeout(wait, 100);
  wait();
});
"""
JS_STATIC_FIGURES = """async (width) => {
  for (const gd of [...document.querySelectorAll('div.gs-figure')]) {
    const height = (gd.layout && gd.layout.height) || gd.clientHeight || 450;
    const img = document.createElement('img');
    img.src = await Plotly.toImage(gd, {format: 'svg', width, height});
    img.className = 'gs-print-figure';
    img.alt = gd.getAttribute('aria-label') || 'Figure';
    gd.replaceWith(img);
  }
}"""
# singlehtml nests each chapter in the landing page's "Contents" (its title an <h3>): chapters
# become <h1>, their sections <h2>, ..., for the outline and the page breaks.
JS_HEADINGS = """() => {
  const chapters = [...document.querySelectorAll('span[id^="document-"] + section')];
  for (const ch of chapters) {
    const shift = Number(ch.querySelector('h1, h2, h3, h4, h5, h6').tagName[1]) - 1;
    for (const h of [...ch.querySelectorAll('h1, h2, h3, h4, h5, h6')]) {
      const level = Math.max(1, Number(h.tagName[1]) - shift);
      const copy = document.createElement('h' + level);
      for (const a of h.attributes) copy.setAttribute(a.name, a.value);
      copy.append(...h.childNodes);
      h.replaceWith(copy);
    }
  }
  // Sections of the same title in two chapters ("Training") share an id: later ones get their own,
  // and so do the links to them from inside their chapter.
  const seen = new Set();
  chapters.forEach((ch, k) => {
    for (const sec of [ch, ...ch.querySelectorAll('section[id]')]) {
      if (seen.has(sec.id)) {
        const old = '#' + sec.id;
        sec.id = sec.id + '-' + k;
        ch.querySelectorAll(`a[href="${old}"]`).forEach(a => { a.href = '#' + sec.id; });
      }
      seen.add(sec.id);
    }
  });
  return chapters.length;
}"""
# Solutions (sphinx-exercise) move, chapter by chapter, to a chapter of their own before the
# bibliography; each keeps its link to its exercise.
JS_SOLUTIONS = """() => {
  const solutions = [...document.querySelectorAll('article .solution')];
  if (!solutions.length) return 0;
  const part = document.createElement('section');
  part.id = 'gs-solutions';
  part.innerHTML = '<h1>Solutions to the exercises</h1>';
  let chapter = null;
  for (const sol of solutions) {
    const h1 = sol.closest('section:has(> h1)').querySelector(':scope > h1');
    if (h1 !== chapter) {
      chapter = h1;
      const h2 = document.createElement('h2');
      h2.textContent = h1.textContent.replace(/#$/, '');
      part.appendChild(h2);
    }
    part.appendChild(sol);
    const exercise = sol.querySelector('.admonition-title a[href^="#"]');
    const target = exercise && document.getElementById(exercise.getAttribute('href').slice(1));
    if (target && sol.id) {  // the exercise points to its solution, now chapters away
      const p = target.appendChild(document.createElement('p'));
      p.className = 'gs-solution-ref';
      p.innerHTML = '<a></a>';
      p.firstChild.href = '#' + sol.id;
      p.firstChild.textContent = 'Solution at the end of the book';
    }
  }
  const bib = [...document.querySelectorAll('article section:has(> h1)')].pop();
  bib.parentNode.insertBefore(part, bib);
  return solutions.length;
}"""
# The contents: every chapter (h1) and its sections (h2), linked, with an empty page-number slot.
JS_TOC = """() => {
  const chapters = [...document.querySelectorAll('article section:has(> h1)')].slice(1);
  const item = (section, heading) => {
    const li = document.createElement('li');
    const title = heading.textContent.replace(/#$/, '').trim();
    li.innerHTML = '<span class="gs-toc-line"><a></a><span class="gs-toc-dots"></span>' +
                   '<span class="gs-toc-page"></span></span>';
    li.querySelector('a').href = '#' + section.id;
    li.querySelector('a').textContent = title;
    li.querySelector('.gs-toc-page').dataset.target = section.id;
    return li;
  };
  const nav = document.createElement('nav');
  nav.className = 'gs-print-toc';
  nav.setAttribute('aria-label', 'Contents');
  const ol = nav.appendChild(document.createElement('ol'));
  for (const ch of chapters) {
    const li = ol.appendChild(item(ch, ch.querySelector(':scope > h1')));
    const subs = [...ch.querySelectorAll(':scope > section:has(> h2)')];
    if (subs.length) {
      const sub = li.appendChild(document.createElement('ol'));
      subs.forEach(s => sub.appendChild(item(s, s.querySelector(':scope > h2'))));
    }
  }
  const contents = document.querySelector('#contents > h2');
  if (contents) contents.after(nav);
  else document.querySelector('article section > h1').after(nav);
  return chapters.length;
}"""
JS_HEADING_TITLES = """() => [...document.querySelectorAll('article h1, article h2, article h3, article h4, article h5, article h6')]
    .filter(h => h.getClientRects().length).map(h => h.textContent.replace(/#$/, '').replace(/\\s+/g, ' ').trim())"""
JS_TOC_TARGETS = "() => [...document.querySelectorAll('.gs-toc-page')].map(s => s.dataset.target)"
JS_TOC_PAGES = """(pages) => document.querySelectorAll('.gs-toc-page').forEach(
    s => { s.textContent = pages[s.dataset.target] || ''; })"""


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


def prepare(page) -> dict[str, int]:
    """Static figures, solutions at the end, the contents; returns what was done, for the log."""
    page.wait_for_function(JS_READY, timeout=TIMEOUT_MS, polling=500)
    figures = page.evaluate("() => document.querySelectorAll('div.gs-figure').length")
    page.evaluate(JS_STATIC_FIGURES, PRINT_WIDTH_PX)
    page.evaluate(JS_HEADINGS)
    solutions = page.evaluate(JS_SOLUTIONS)
    chapters = page.evaluate(JS_TOC)
    page.evaluate("() => document.fonts.ready")
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
        page.add_init_script(INIT_SCRIPT)
        page.route("**/*", route)
        page.on("pageerror", lambda err: problems.append(f"JavaScript error: {err}"))
        page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
                if r.status >= 400 else None)
        page.goto(f"{url}/{PAGE}", wait_until="load")
        done = prepare(page)
        page.emulate_media(media="print")
        first = page.pdf(**PDF_OPTIONS)
        page.evaluate(JS_TOC_PAGES, destination_pages(first, page.evaluate(JS_TOC_TARGETS)))
        pdf = clean_outline(page.pdf(**PDF_OPTIONS), page.evaluate(JS_HEADING_TITLES))
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
    print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}: "
          f"{pages} pages, {args.output.stat().st_size / 1e6:.1f} MB, {done['chapters']} chapters, "
          f"{done['figures']} figures, {done['solutions']} solutions, "
          f"{time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
