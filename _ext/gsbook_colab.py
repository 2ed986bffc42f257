"""Sphinx hook: each chapter's Colab launch button opens its Colab edition, ``colab/NN_name.ipynb``.

sphinx-book-theme links the page's own source (``book/NN_name.ipynb``), whose MyST Markdown Colab
would show raw; the editions (``make colab``, see gsutils/colab) have it rendered. Runs after the
theme has added its launch buttons (priority 501); a chapter without an edition keeps the theme's link
and the build warns, which ``-W`` makes an error.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
COLAB = "https://colab.research.google.com/"


def _buttons(buttons: list) -> list:
    """Every button, the ones nested in groups included."""
    found = []
    for button in buttons:
        found.append(button)
        found += _buttons(button.get("buttons", []))
    return found


def _colab_edition(app, pagename, templatename, context, doctree) -> None:
    stem = Path(pagename).name
    if not (Path(app.confdir) / "chapters" / f"{stem}.md").exists():
        return
    edition = Path(app.confdir) / "colab" / f"{stem}.ipynb"
    for button in _buttons(context.get("header_buttons", [])):
        url = button.get("url") or ""
        if url.startswith(COLAB):
            if not edition.exists():
                LOGGER.warning(f"no Colab edition colab/{stem}.ipynb: run `make colab`")
                continue
            head, tail = url.split("/blob/", 1)  # .../github/ORG/REPO/blob/BRANCH/book/NN_name.ipynb
            button["url"] = f"{head}/blob/{tail.split('/', 1)[0]}/colab/{stem}.ipynb"


def setup(app):
    app.connect("html-page-context", _colab_edition, priority=510)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
