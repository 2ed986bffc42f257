"""The built site's figures on a 390 px phone and a 1280 px desktop, in headless Chromium.

At both widths, for every plotly figure of every chapter (scrolled into view and drawn): the figure
fits the page; its titles, legend, menus and toolbar (modebar) do not overlap one another; it sits
in a numbered figure with a caption; and it has a text alternative. On the phone, the toy task's
precomputed live demo shows every control inside the viewport, and its separability buttons, its
regulariser menu and its iteration slider each change the figure. Served and blocked as in
tests/test_site.py (no request leaves 127.0.0.1); skipped without ``_build/html``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_site import CHROMIUM, CHROMIUM_ARGS, JS_SIGNATURE, SITE, TIMEOUT_MS, open_page, site_url  # noqa: F401

pytestmark = pytest.mark.browser

CHAPTER_PAGES = sorted(f"book/{p.stem}.html" for p in (Path(__file__).resolve().parent.parent / "chapters").glob("*.md"))
WIDTHS = (390, 1280)

# Boxes of what must not overlap in one figure: the toolbar, the legend, the titles (layout title,
# subplot titles and other annotations outside the plot area), the menus.
JS_BOXES = """(id) => {
    const gd = document.getElementById(id);
    const box = (el) => { const b = el.getBoundingClientRect(); return {x: b.x, y: b.y, w: b.width, h: b.height}; };
    const out = [];
    gd.querySelectorAll('.modebar').forEach(el => out.push({kind: 'modebar', ...box(el)}));
    gd.querySelectorAll('g.legend .bg').forEach(el => out.push({kind: 'legend', ...box(el)}));
    gd.querySelectorAll('.gtitle').forEach(el => out.push({kind: 'title', text: el.textContent, ...box(el)}));
    gd.querySelectorAll('g.annotation-text-g').forEach(el => out.push({kind: 'title', text: el.textContent, ...box(el)}));
    gd.querySelectorAll('g.updatemenu-header-group, g.updatemenu-button').forEach(
        el => out.push({kind: 'menu', text: el.textContent, ...box(el)}));
    const frame = box(gd.querySelector('.main-svg'));
    const plots = [...gd.querySelectorAll('.draglayer .nsewdrag')].map(box);
    return {boxes: out.filter(b => b.w > 0 && b.h > 0), frame, plots};
}"""

JS_DRAWN = """(id) => { const gd = document.getElementById(id);
    return !!(gd && gd._fullLayout && gd.querySelector('.main-svg')); }"""


def overlap(a: dict, b: dict, tol: float = 1.0) -> bool:
    return (min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"]) > tol
            and min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"]) > tol)


def label(b: dict) -> str:
    return f"{b['kind']} {b.get('text', '')!r}".strip()


@pytest.fixture(scope="module")
def browser():
    if not SITE.is_dir():
        pytest.skip(f"no built site at {SITE}: build it first")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def draw(page, div_id: str) -> None:
    page.evaluate("(id) => document.getElementById(id).scrollIntoView({block: 'center'})", div_id)
    page.wait_for_function(JS_DRAWN, arg=div_id, timeout=TIMEOUT_MS)


def figure_problems(page, div_id: str, width: int) -> list[str]:
    problems = []
    found = page.evaluate(JS_BOXES, div_id)
    frame, boxes = found["frame"], found["boxes"]
    if frame["x"] < -1 or frame["x"] + frame["w"] > width + 1:
        problems.append(f"{div_id}: the figure spans x = {frame['x']:.0f}..{frame['x'] + frame['w']:.0f}, "
                        f"wider than the {width} px page")
    for b in boxes:
        if b["x"] < frame["x"] - 1 or b["x"] + b["w"] > frame["x"] + frame["w"] + 1:
            problems.append(f"{div_id}: {label(b)} is cut off at the figure's edge")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a["kind"] == b["kind"] == "menu":
                continue  # the buttons of one row touch
            if overlap(a, b):
                problems.append(f"{div_id}: {label(a)} overlaps {label(b)}")
        if a["kind"] in ("legend", "modebar", "menu") and any(overlap(a, p, 2) for p in found["plots"]):
            problems.append(f"{div_id}: the {label(a)} covers a panel")
    return problems


JS_CAPTIONED = """(id) => { const gd = document.getElementById(id);
    const fig = gd.closest('figure'); const img = gd.closest('[aria-label]');
    return {number: fig ? (fig.querySelector('.caption-number') || {}).textContent || '' : '',
            caption: fig ? (fig.querySelector('figcaption') || {}).textContent || '' : '',
            alt: img ? img.getAttribute('aria-label') || '' : ''}; }"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page_path", CHAPTER_PAGES)
def test_figures_are_legible(page_path, width, site_url, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 844}, service_workers="block")
    page, record = open_page(context, f"{site_url}/{page_path}")
    try:
        ids = page.eval_on_selector_all(".plotly-graph-div", "els => els.map(e => e.id)")
        for div_id in ids:
            draw(page, div_id)
            record.problems += figure_problems(page, div_id, width)
            about = page.evaluate(JS_CAPTIONED, div_id)
            if not about["number"].startswith("Figure ") or len(about["caption"]) < 60:
                record.add(f"{div_id}: not a numbered, captioned figure ({about})")
            if len(about["alt"]) < 40:
                record.add(f"{div_id}: no text alternative (aria-label)")
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        if scroll > width:
            record.add(f"the page is {scroll} px wide at a {width} px viewport")
    finally:
        page.close()
        context.close()
    assert not record.problems, f"{page_path} at {width} px:\n  " + "\n  ".join(record.problems)


# --------------------------------------------------------------------------- the toy demo on a phone
JS_DEMO = """() => [...document.querySelectorAll('.plotly-graph-div')].filter(
    gd => (gd.layout.updatemenus || []).length && gd._transitionData && (gd._transitionData._frames || []).length)
    .map(gd => gd.id)"""

JS_CONTROLS = """(id) => {
    const gd = document.getElementById(id);
    const box = (el) => { const b = el.getBoundingClientRect(); return {x: b.x, y: b.y, w: b.width, h: b.height,
                                                                       text: el.textContent}; };
    return {buttons: [...gd.querySelectorAll('g.updatemenu-button')].map(box),
            dropdowns: [...gd.querySelectorAll('g.updatemenu-header-group')]  // a row of buttons is one too
                .filter(g => !g.querySelector('g.updatemenu-button')).map(box),
            rails: [...gd.querySelectorAll('.slider-group .slider-rail-rect')].map(box)};
}"""


def click_and_wait(page, div_id: str, x: float, y: float, what: str) -> str | None:
    before = page.evaluate(JS_SIGNATURE, div_id)
    page.mouse.click(x, y)
    try:
        page.wait_for_function(f"(before) => ({JS_SIGNATURE})({json.dumps(div_id)}) !== before",
                               arg=before, timeout=5_000)
    except Exception:
        return f"{div_id}: {what} did not change the figure"
    return None


def test_toy_demo_controls_work_on_a_phone(site_url, browser):  # noqa: F811
    width = 390
    context = browser.new_context(viewport={"width": width, "height": 844}, has_touch=False)
    page, record = open_page(context, f"{site_url}/book/04_toy_task.html")
    try:
        for div_id in page.eval_on_selector_all(".plotly-graph-div", "els => els.map(e => e.id)"):
            draw(page, div_id)
        demos = page.evaluate(JS_DEMO)
        assert demos, "no precomputed demo figure (frames and menus) on the toy-task page"
        div_id = demos[0]
        page.evaluate("(id) => document.getElementById(id).scrollIntoView({block: 'start'})", div_id)
        page.wait_for_timeout(200)
        controls = page.evaluate(JS_CONTROLS, div_id)
        shown = controls["buttons"] + controls["dropdowns"] + controls["rails"]
        assert controls["buttons"] and controls["dropdowns"] and controls["rails"], f"controls missing: {controls}"
        for c in shown:
            if c["x"] < 0 or c["x"] + c["w"] > width:
                record.add(f"control {c['text']!r} lies outside the {width} px viewport (x = {c['x']:.0f}, "
                           f"width {c['w']:.0f})")
        first = controls["buttons"][0]  # a separability button other than the active (last) one
        problem = click_and_wait(page, div_id, first["x"] + first["w"] / 2, first["y"] + first["h"] / 2,
                                 f"the separability button {first['text']!r}")
        if problem:
            record.add(problem)
        header = page.evaluate(JS_CONTROLS, div_id)["dropdowns"][0]
        page.mouse.click(header["x"] + header["w"] / 2, header["y"] + header["h"] / 2)  # open the menu
        page.wait_for_selector(f"#{div_id} g.updatemenu-dropdown-button", timeout=5_000)
        options = page.eval_on_selector_all(
            f"#{div_id} g.updatemenu-dropdown-button",
            "els => els.map(e => { const b = e.getBoundingClientRect(); return {x: b.x, y: b.y, w: b.width, "
            "h: b.height, text: e.textContent}; })")
        target = options[-1]  # the last option ("none, then SD at ...") differs from the active first one
        if target["x"] + target["w"] > width or target["y"] + target["h"] > 844:
            record.add(f"regulariser option {target['text']!r} lies outside the viewport")
        problem = click_and_wait(page, div_id, target["x"] + target["w"] / 2, target["y"] + target["h"] / 2,
                                 f"the regulariser option {target['text']!r}")
        if problem:
            record.add(problem)
        page.evaluate("(id) => document.getElementById(id).querySelector('.slider-group').scrollIntoView({block: 'center'})",
                      div_id)
        rail = [r for r in page.evaluate(JS_CONTROLS, div_id)["rails"] if r["w"] > 0][0]
        problem = click_and_wait(page, div_id, rail["x"] + 2, rail["y"] + rail["h"] / 2,
                                 "moving the iteration slider to its start")
        if problem:
            record.add(problem)
    finally:
        page.close()
        context.close()
    assert not record.problems, "toy demo at 390 px:\n  " + "\n  ".join(record.problems)
