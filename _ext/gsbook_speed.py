"""One fix to the theme's script for long pages, applied to the built site.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``. pydata-sphinx-theme 0.17 gives every
box that scrolls a tab stop by reading the size of every code block and output on the page as soon
as it loads, and again after any change inside the article (a figure being drawn). Reading a size
lays the page out, so on a long chapter this one pass blocked a phone for over a second, and it
undid ``content-visibility`` (``gsbook.css``), which lets the browser skip sections out of view.
``gsbook.js`` does the same job box by box as each comes near the viewport; this extension turns
the theme's pass off in the copied ``_static/scripts/pydata-sphinx-theme.js`` (an early return),
and stops the build if the theme's code is no longer what it patches.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.errors import ExtensionError

THEME_JS = Path("_static") / "scripts" / "pydata-sphinx-theme.js"
# function X(){const e=()=>{document.querySelectorAll(["pre",".nboutput > .output_area",...
PASS_START = r'const \w+=\(\)=>\{document\.querySelectorAll\(\["pre","\.nboutput > \.output_area"'
TAB_STOP_PASS = re.compile(r"(function \w+\(\)\{)(" + PASS_START + ")")
PATCHED = re.compile(r"function \w+\(\)\{return;" + PASS_START)


def _disable_tab_stop_pass(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    path = Path(app.outdir) / THEME_JS
    text = path.read_text(encoding="utf8")
    if PATCHED.search(text):
        return  # an incremental build kept the patched copy
    patched, count = TAB_STOP_PASS.subn(r"\1return;\2", text)
    if count != 1:
        raise ExtensionError(f"{THEME_JS}: the theme's tab-stop pass was found {count} times, "
                             "expected once; pydata-sphinx-theme changed, update _ext/gsbook_speed.py")
    path.write_text(patched, encoding="utf8")


def setup(app):
    app.connect("build-finished", _disable_tab_stop_pass)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
