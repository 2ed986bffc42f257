"""Sphinx glue for the printed book (``make pdf``) and the website's link to it.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.

* ``singlehtml`` builds (the PDF's source, see ``scripts/build_pdf.py``):

  - sphinx-exercise registers node handlers for the ``singlehtml`` builder, so Sphinx no longer
    falls back to the ``html`` handlers of every other extension (myst-nb's hidden-cell node
    raised ``NotImplementedError``); the missing ones are copied over.
  - ``gsprint.css`` (``_ext/static``) lays the page out for A4.
  - Sphinx writes every link of the single page as seen from the output's root, though the page
    is the root document ``book/00_index.html``: the page is moved to ``index.html`` (replacing
    the site's redirect), and links to other parts of the book (``book/00_index.html#id``)
    become links into the page (``#id``).
* ``html`` builds: when the PDF has been built (``_build/pdf/gradient-starvation-book.pdf``), it is
  copied to ``_downloads/`` and every page's footer links to it; without it, no page links to it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PDF_NAME = "gradient-starvation-book.pdf"
PDF_BUILT = Path("_build") / "pdf" / PDF_NAME  # relative to the book's root (scripts/build_pdf.py)
DOWNLOADS = "_downloads"
PRINT_CSS = "gsprint.css"
LINK_TEXT = "Download the book (PDF)"
SINGLE_PAGE = "index.html"  # the whole book, in the singlehtml output


def _singlehtml(app) -> None:
    """Node handlers and print CSS for the single-page edition."""
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for name, pair in handlers.get("html", {}).items():
        single.setdefault(name, pair)
    app.add_css_file(PRINT_CSS)


def _own_page_links(app, pagename, templatename, context, doctree) -> None:
    if app.builder.name == "singlehtml":
        own = f'href="{pagename}{app.builder.out_suffix}#'
        context["body"] = context.get("body", "").replace(own, 'href="#')


def _page_at_root(app, exception) -> None:
    if exception is None and app.builder.name == "singlehtml":
        page = Path(app.outdir) / f"{app.config.root_doc}{app.builder.out_suffix}"
        up = "../" * app.config.root_doc.count("/")  # gsbook_math's font stylesheet: from the page
        text = page.read_text(encoding="utf8").replace(f"{up}_static/", "_static/")
        (Path(app.outdir) / SINGLE_PAGE).write_text(text, encoding="utf8")
        page.unlink()


def _pdf_source(app) -> Path:
    return Path(app.confdir) / PDF_BUILT


def _pdf_link(app, pagename, templatename, context, doctree) -> None:
    """Append the PDF link to the page's footer (html builds with a built PDF only)."""
    if app.builder.name != "html" or not _pdf_source(app).is_file():
        return
    href = context["pathto"](f"{DOWNLOADS}/{PDF_NAME}", 1)
    # inside a .gs-footer box: its link colour keeps 4.5:1 contrast on the footer's grey
    link = f'<div class="gs-footer gs-pdf-link"><p><a href="{href}" download>{LINK_TEXT}</a></p></div>'
    context["theme_extra_footer"] = context.get("theme_extra_footer", "") + link


def _copy_pdf(app, exception) -> None:
    if exception is None and app.builder.name == "html" and _pdf_source(app).is_file():
        target = Path(app.outdir) / DOWNLOADS / PDF_NAME
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_pdf_source(app), target)


def setup(app):
    app.connect("builder-inited", _singlehtml)
    app.connect("html-page-context", _own_page_links)
    app.connect("html-page-context", _pdf_link)
    app.connect("build-finished", _copy_pdf)
    app.connect("build-finished", _page_at_root, priority=900)  # after the site's index.html
    return {"parallel_read_safe": True, "parallel_write_safe": True}
