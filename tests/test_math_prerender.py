"""_ext/mathjax_prerender.js, the build step that typesets the site's math (no MathJax in pages).

Runs node on small pages written as Sphinx writes math; needs `make assets` (MathJax for node in
.vendor/mathjax-full).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "_ext" / "mathjax_prerender.js"
MATHJAX_JS = ROOT / ".vendor" / "mathjax-full" / "js"
PAGE = """<!DOCTYPE html><html><head><title>t</title></head><body>
<p>Inline <span class="math notranslate nohighlight">\\(a &lt; b\\)</span> and text.</p>
<div class="math notranslate nohighlight" id="equation-x">
<span class="eqno">(1)<a class="headerlink" href="#equation-x">#</a></span>\\[\\begin{aligned} z &amp;= U^\\top m \\end{aligned}\\]</div>
<div class="math notranslate nohighlight" id="equation-y">
\\begin{align} a &amp;= b \\\\ c &amp;= d \\end{align}</div>
<pre>\\(left alone\\)</pre>
</body></html>
"""


def typeset(tmp_path: Path, html: str) -> tuple[subprocess.CompletedProcess, Path]:
    assert shutil.which("node"), "node is needed to build the site (install Node.js)"
    assert (MATHJAX_JS / "mathjax.js").is_file(), f"{MATHJAX_JS} missing: run `make assets`"
    (tmp_path / "book").mkdir()
    fonts = tmp_path / "_static" / "fonts"
    page = tmp_path / "book" / "page.html"
    page.write_text(html, encoding="utf8")
    run = subprocess.run(["node", str(SCRIPT), str(MATHJAX_JS), str(fonts), str(page)],
                         capture_output=True, text=True, timeout=60)
    return run, page


def test_math_is_typeset_with_hidden_mathml_and_a_stylesheet(tmp_path):
    run, page = typeset(tmp_path, PAGE)
    assert run.returncode == 0, run.stderr
    out = page.read_text(encoding="utf8")
    assert out.count("<mjx-container") == 3 and out.count('display="true"') >= 2
    assert out.count("<mjx-assistive-mml") == 3  # screen readers read MathML
    assert "<mo>&lt;</mo>" in out  # the entity was TeX's "<", not the text "&lt;"
    assert '<span class="eqno">(1)' in out  # equation numbers stay
    assert "\\(a" not in out and "\\begin" not in out  # a bare AMS environment is typeset too
    assert "<pre>\\(left alone\\)</pre>" in out  # only Sphinx's math elements are touched
    head = out.split("</head>")[0]
    assert '<style id="MJX-CHTML-styles">' in head and "../_static/fonts/MathJax_Main-Regular.woff" in head


def test_a_tex_error_names_the_page_and_expression_and_leaves_the_page(tmp_path):
    bad = PAGE.replace("a &lt; b", "\\undefinedmacro{b}")
    run, page = typeset(tmp_path, bad)
    assert run.returncode == 1
    assert "page.html" in run.stderr and "undefinedmacro" in run.stderr
    assert page.read_text(encoding="utf8") == bad


@pytest.mark.parametrize("html", ["<html><head></head><body><p>no math</p></body></html>"])
def test_a_page_without_math_is_left_as_it_is(tmp_path, html):
    run, page = typeset(tmp_path, html)
    assert run.returncode == 0 and page.read_text(encoding="utf8") == html
