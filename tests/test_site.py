"""The built website, opened page by page in headless Chromium with no network at all.

Every page of ``_build/html`` is served from 127.0.0.1 and loaded in Debian's Chromium through
Playwright; any request to another host is aborted and fails the test. A page fails on a JavaScript
error, a request that had to leave the machine (or a local file that is missing), a plotly figure
that was not drawn, a figure slider that does not change the figure, math that was not
typeset, an unresolved citation, or (chapters) a Colab link other than the chapter's Colab edition
(colab/NN_name.ipynb) on branch main. Build the site first (``make site``); without ``_build/html`` the test is skipped.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

import gsutils

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 15_000
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
AXE = ROOT / ".vendor" / "axe" / "axe.min.js"  # scripts/fetch_assets.sh (npm axe-core, pinned)
AXE_IMPACTS = ("serious", "critical")
REDIRECT = "index.html"  # forwards to the landing page, checked on its own below
LANDING = "book/00_index.html"
PAGES = sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
               if "_static" not in p.parts and "_sources" not in p.parts
               and p.relative_to(SITE).as_posix() != REDIRECT) if SITE.is_dir() else []


def colab_url(page: str) -> str | None:
    """The Colab link a chapter page must carry, or None for a page that is not a chapter."""
    stem = page[: -len(".html")]
    if not (ROOT / "chapters" / f"{Path(stem).name}.md").exists():
        return None
    owner_repo = urlparse(gsutils.REPO_URL).path.strip("/")
    return f"https://colab.research.google.com/github/{owner_repo}/blob/main/colab/{Path(stem).name}.ipynb"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


@pytest.fixture(scope="module")
def site_url():
    if not SITE.is_dir():
        pytest.skip(f"no built site at {SITE}: run `make site` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser_context():
    if not SITE.is_dir():
        pytest.skip(f"no built site at {SITE}: run `make site` first")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium chromium-driver "
                    "(`make test` does this); Playwright must not download its own browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        # One context for all pages; listeners and the network block (a route, which also turns
        # off the HTTP cache) are set per page.
        context = chromium.new_context(viewport=DESKTOP, service_workers="block")
        yield context
        context.close()
        chromium.close()


class PageRecord:
    """Everything that went wrong while one page loaded and ran."""

    def __init__(self):
        self.problems: list[str] = []

    def add(self, text: str) -> None:
        self.problems.append(text)


def open_page(context, url: str):
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    record = PageRecord()

    def route(route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            record.add(f"request left the machine: {route.request.url}")
            route.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda err: record.add(f"JavaScript error: {err}"))
    page.on("console", lambda msg: record.add(f"console error: {msg.text} ({msg.location})")
            if msg.type == "error" else None)
    page.on("requestfailed", lambda req: record.add(f"request failed: {req.url} ({req.failure})")
            if urlparse(req.url).hostname == "127.0.0.1" else None)
    page.on("response", lambda resp: record.add(f"HTTP {resp.status}: {resp.url}")
            if resp.status >= 400 else None)
    page.goto(url, wait_until="load")
    return page, record


# --------------------------------------------------------------------------- checks
# Drawn, and done with any animation started at load (plotly's auto_play of frames).
JS_FIGURES_DRAWN = """() => [...document.querySelectorAll('.plotly-graph-div')].every(
    gd => gd._fullLayout && gd.querySelector('.main-svg') && (!gd._transitionData ||
          (!gd._transitionData._animationRaf && !(gd._transitionData._frameQueue || []).length)))"""

JS_FIGURES = """() => [...document.querySelectorAll('.plotly-graph-div')].map(gd => {
    const svg = gd.querySelector('.main-svg');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    const traces = (gd._fullData || []).length;
    const sliders = ((gd.layout || {}).sliders || []).filter(s => s.visible !== false)
        .map(s => ({n: (s.steps || []).length, active: s.active || 0}));
    return {id: gd.id, svg: !!svg, width: box.width, height: box.height, traces, sliders};
})"""

# The figure's state that a slider may change: its traces and its layout, minus the sliders.
JS_SIGNATURE = """(id) => {
    const gd = document.getElementById(id);
    const layout = Object.assign({}, gd.layout); delete layout.sliders;
    return JSON.stringify([gd.data, layout]);
}"""

JS_RAIL = """([id, k]) => {
    const gd = document.getElementById(id);
    const rail = gd.querySelectorAll('.slider-group .slider-rail-rect')[k];
    if (!rail) return null;
    rail.scrollIntoView({block: 'center'});
    const b = rail.getBoundingClientRect();
    return {x: b.x, y: b.y, width: b.width, height: b.height};
}"""

JS_MATH = """async () => {
    const elements = [...document.querySelectorAll('.math')];
    const raw = elements.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80));
    // Fonts load when text that uses them is laid out: bring the first math not inside a folded
    // solution into view (sections out of view are not laid out).
    const shown = elements.find(e => e.checkVisibility());
    if (shown) { shown.scrollIntoView({block: 'center'}); await new Promise(r => setTimeout(r, 50)); }
    await document.fonts.ready;
    const fonts = [...document.fonts].filter(f => f.family.replace(/"/g, '').startsWith('MJX'));
    return {math: elements.length, shown: !!shown, raw, errors: document.querySelectorAll('mjx-merror').length,
            loaded: fonts.filter(f => f.status === 'loaded').length,
            failed: fonts.filter(f => f.status === 'error').map(f => f.family),
            mathjax: typeof window.MathJax !== 'undefined'};
}"""


def check_figures(page, record: PageRecord) -> None:
    if page.locator(".plotly-graph-div").count() == 0:
        return
    for k in range(page.locator(".plotly-graph-div").count()):  # drawn when in view
        page.locator(".plotly-graph-div").nth(k).scroll_into_view_if_needed()
    try:
        page.wait_for_function("() => typeof window.Plotly === 'object'", timeout=TIMEOUT_MS)
    except Exception:
        record.add("page has plotly figures but plotly.js never loaded")
        return
    try:
        page.wait_for_function(JS_FIGURES_DRAWN, timeout=TIMEOUT_MS)
    except Exception:
        pass  # reported per figure below
    for fig in page.evaluate(JS_FIGURES):
        if not fig["svg"] or fig["width"] <= 0 or fig["height"] <= 0:
            record.add(f"plotly figure {fig['id']} not drawn ({fig})")
            continue
        for k, slider in enumerate(fig["sliders"]):
            check_slider(page, record, fig["id"], k, slider)


def check_slider(page, record: PageRecord, div_id: str, k: int, slider: dict) -> None:
    """Click the slider's rail at its far end (away from the active step); the figure must change."""
    if slider["n"] < 2:
        return
    before = page.evaluate(JS_SIGNATURE, div_id)
    rail = page.evaluate(JS_RAIL, [div_id, k])
    if rail is None:
        record.add(f"figure {div_id}: slider {k} has no rail drawn")
        return
    to_end = slider["active"] < slider["n"] - 1
    x = rail["x"] + (rail["width"] - 2 if to_end else 2)
    page.mouse.click(x, rail["y"] + rail["height"] / 2)
    try:
        page.wait_for_function(f"(before) => ({JS_SIGNATURE})({json.dumps(div_id)}) !== before",
                               arg=before, timeout=5_000)
    except Exception:
        record.add(f"figure {div_id}: moving slider {k} to its {'last' if to_end else 'first'} "
                   "step did not change the figure")


def check_math(page, record: PageRecord) -> None:
    """Math arrives typeset (gsbook_math, at build time): no MathJax in the page, no raw TeX, no
    TeX error, and the MathJax fonts its stylesheet names load."""
    counts = page.evaluate(JS_MATH)
    if counts["mathjax"]:
        record.add("page loads MathJax, although its math is typeset at build time")
    if counts["math"] == 0:
        return
    if counts["raw"] or counts["errors"]:
        record.add(f"math not typeset: {counts['errors']} TeX errors, raw TeX {counts['raw'][:3]}")
    if counts["failed"] or counts["shown"] and not counts["loaded"]:
        record.add(f"MathJax fonts did not load ({counts['loaded']} loaded, failed: {counts['failed']})")


def check_text(page, record: PageRecord) -> None:
    text = page.inner_text("body")
    for marker in ("[?]", "{cite", "{glue", "{bibliography"):
        if marker in text:
            record.add(f"unresolved reference: page text contains {marker!r}")
    if "|---|" in text or "|—|" in text:
        record.add("a Markdown table was printed as plain text instead of rendered")
    problematic = page.locator(".problematic, .system-message").count()
    if problematic:
        record.add(f"{problematic} unresolved references/system messages (.problematic)")


# The page's width beyond the viewport, and the widest elements that cause it.
JS_OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const clipped = el => {  // inside an element that scrolls or clips its overflow
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
            if (getComputedStyle(p).overflowX !== 'visible') return true;
        return false;
    };
    const over = document.documentElement.scrollWidth - width;
    const culprits = over <= 1 ? [] : [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > width + 1 && el.offsetParent !== null
                && !el.closest('.bd-sidebar-primary, .bd-sidebar-secondary') && !clipped(el))
        .slice(-4).map(el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
                ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' ' +
                Math.round(el.getBoundingClientRect().right) + 'px');
    return {over, width, culprits};
}"""


def check_width(page, record: PageRecord, label: str) -> None:
    page.wait_for_timeout(800)  # plotly's relayout and the theme's tab stops (300 ms debounce)
    result = page.evaluate(JS_OVERFLOW)
    if result["over"] > 1:
        record.add(f"{label}: page is {result['over']} px wider than its {result['width']} px "
                   f"viewport; e.g. {result['culprits']}")


JS_VISIT_BOXES = """async () => {
    const boxes = document.querySelectorAll('pre, .pst-scrollable-table-container, .cell_output > .output, '
        + '.nboutput > .output_area, .jp-RenderedHTMLCommon, mjx-container[display]');
    for (const box of boxes) {
        box.scrollIntoView({block: 'center'});
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    }
    window.scrollTo(0, 0);
}"""


def check_axe(page, record: PageRecord, label: str) -> None:
    """axe-core on the whole page, after every box that may scroll sideways has been near the
    viewport once (gsbook.js gives such a box its tab stop when it comes near, as a reader
    scrolling to it would bring it)."""
    page.evaluate(JS_VISIT_BOXES)
    page.mouse.move(0, 0)  # the slider checks left the pointer where a scrolled-to link may hover
    if not AXE.is_file():
        record.add(f"{AXE} missing: run scripts/fetch_assets.sh (make assets)")
        return
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))  # preload off below: axe re-fetches @imports wrongly
    # label-content-name-mismatch (WCAG 2.5.3, label in name) is experimental in axe 4.10: enabled.
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations'],
            preload: false, rules: {'label-content-name-mismatch': {enabled: true}}}))
        .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                               nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
    for v in violations:
        if v["impact"] in AXE_IMPACTS:
            record.add(f"{label}: axe {v['impact']} {v['id']}: {v['help']} at {v['nodes']}")


def check_colab(page, record: PageRecord, expected: str | None) -> None:
    if expected is None:
        return
    links = page.eval_on_selector_all("a[href*='colab.research.google.com']",
                                      "els => els.map(a => a.href)")
    if links != [expected]:
        record.add(f"Colab link(s) {links}, expected exactly [{expected!r}]")


def check_widgets(page, record: PageRecord) -> None:
    views = page.locator("script[type='application/vnd.jupyter.widget-view+json']").count()
    if views == 0:
        return
    try:
        page.wait_for_function("(n) => document.querySelectorAll('.jupyter-widgets').length >= n",
                               arg=views, timeout=TIMEOUT_MS)
    except Exception:
        drawn = page.locator(".jupyter-widgets").count()
        record.add(f"{views} saved ipywidgets views but only {drawn} rendered")


# --------------------------------------------------------------------------- the test
def test_site_has_pages():
    if not SITE.is_dir():
        pytest.skip(f"no built site at {SITE}: run `make site` first")
    chapters = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))
    missing = [c for c in chapters if not (SITE / "book" / f"{c}.html").exists()]
    assert not missing, f"chapters without a page in {SITE}/book: {missing}"


def test_site_root_forwards_to_the_landing_page():
    if not SITE.is_dir():
        pytest.skip(f"no built site at {SITE}: run `make site` first")
    html = (SITE / REDIRECT).read_text()
    assert f'url={LANDING}"' in html and (SITE / LANDING).exists()
    assert "<title>Gradient Starvation" in html and 'name="description"' in html


@pytest.mark.parametrize("page_path", PAGES or ["<no site>"])
def test_page(page_path, site_url, browser_context):
    page, record = open_page(browser_context, f"{site_url}/{page_path}")
    try:
        check_figures(page, record)
        check_math(page, record)
        check_widgets(page, record)
        check_text(page, record)
        check_colab(page, record, colab_url(page_path))
        check_width(page, record, "desktop")
        check_axe(page, record, "desktop")
        page.set_viewport_size(PHONE)
        check_width(page, record, "phone")
        check_axe(page, record, "phone")
        page.wait_for_timeout(100)  # let late errors from the interactions surface
    finally:
        page.close()
    assert not record.problems, f"{page_path}:\n  " + "\n  ".join(record.problems)
