"""A Colab edition's committed figures draw in an output frame that has no plotly.js of its own
(as Colab sandboxes each output): headless Chromium, plotly's CDN answered with the local copy."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PLOTLY_JS = ROOT / ".vendor" / "static" / "plotly-cartesian.min.js"  # answers for the CDN's plotly.js
pytestmark = pytest.mark.browser


def test_edition_figure_draws_in_a_bare_frame():
    assert Path(CHROMIUM).exists() and PLOTLY_JS.exists(), "needs Debian's chromium and `make assets`"
    from playwright.sync_api import sync_playwright

    nb = nbformat.read(ROOT / "colab" / "01_introduction.ipynb", as_version=4)
    html = next(o["data"]["text/html"] for c in nb.cells for o in c.get("outputs", [])
                if "Plotly.newPlot" in str(o.get("data", {}).get("text/html", "")))
    asked, errors = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True)
        page = browser.new_page()
        page.on("pageerror", lambda err: errors.append(str(err)))

        def route(route):
            asked.append(route.request.url)
            if route.request.url.startswith("https://cdn.plot.ly/"):
                route.fulfill(path=str(PLOTLY_JS), content_type="application/javascript")
            else:
                route.abort()

        page.route("**/*", route)
        page.set_content(f"<html><head></head><body>{html}</body></html>")
        page.wait_for_selector(".plotly-graph-div .main-svg", timeout=15_000)
        browser.close()
    assert not errors, errors
    assert len(asked) == 1 and asked[0].startswith("https://cdn.plot.ly/plotly-"), asked
