"""Math typeset at build time: pages carry MathJax's output and load no MathJax.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``. When the HTML build has written its
pages, ``mathjax_prerender.js`` (node, with MathJax 3 from ``.vendor/mathjax-full``, put there by
``make assets``) replaces the TeX of every math element with MathJax's CHTML and hidden MathML, and
adds the stylesheet of the glyphs the page uses; the fonts are served from
``_static/mathjax/output/chtml/fonts/woff-v2``. Compared with typesetting in the browser, a page
downloads no MathJax script (0.75 MB), spends no main-thread time on it, and does not shift as
its math renders (layout shift was the one thing keeping the theory chapters below Lighthouse's
desktop goal). A TeX error stops the build with the page and the expression;
``gsbook_site`` drops the MathJax script that Sphinx adds to pages with math.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sphinx.errors import ConfigError, ExtensionError

MATHJAX_JS = Path(".vendor") / "mathjax-full" / "js"
SCRIPT = Path(__file__).with_name("mathjax_prerender.js")
FONTS = Path("_static") / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
MATH_ELEMENT = 'class="math notranslate nohighlight"'


def _check(app, config) -> None:
    if shutil.which("node") is None:
        raise ConfigError("node (Node.js) is not on PATH: the site typesets its math with MathJax "
                          "under node; install Node.js (Debian: apt-get install nodejs)")
    if not (Path(app.confdir) / MATHJAX_JS / "mathjax.js").is_file():
        raise ConfigError(f"MathJax for node missing from {MATHJAX_JS}; run `make assets` "
                          "(scripts/fetch_assets.sh) first")


def _typeset(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    pages = sorted(str(p) for p in out.rglob("*.html")
                   if MATH_ELEMENT in p.read_text(encoding="utf8", errors="replace"))
    if not pages:
        return
    run = subprocess.run(["node", str(SCRIPT), str(Path(app.confdir) / MATHJAX_JS), str(out / FONTS),
                          *pages], capture_output=True, text=True)
    if run.returncode != 0:
        raise ExtensionError(f"MathJax could not typeset the site's math:\n{run.stderr.strip()}")


def setup(app):
    app.connect("config-inited", _check)
    app.connect("build-finished", _typeset)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
