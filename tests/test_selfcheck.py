"""Self-checks (issue 12, item 2): kernel-free questions at the end of every chapter.

* Unit tests of ``gsutils.selfcheck``: the HTML marks the right answers, carries the tolerance,
  escapes every text, has ids unique per page and stable across runs, stays small; a bad question
  spec stops with an error naming the bad value.
* Every chapter 01-09 ends with ``## Check your understanding``: one ``remove-input`` cell that
  shows at least three questions, computed from the chapter (its executed notebook holds them).
* ``browser``: on the built site, a right and a wrong answer get the right feedback in the
  ``aria-live`` region, at desktop width and on a 390 px phone, with no serious or critical axe
  violation in the quiz (the helpers of tests/test_site.py; no request leaves the machine).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import nbformat
import numpy as np
import pytest

from gsutils.selfcheck import Choice, Number, quiz
from test_site import DESKTOP, PHONE, browser_context, check_axe, open_page, site_url  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(p for p in (ROOT / "chapters").glob("0[1-9]_*.md"))
MIN_QUESTIONS = 3
HTML_BUDGET = 8_000  # bytes of one chapter's quiz output (4 questions: about 5.3 kB)


def sample():
    return quiz("05", [
        Choice("Which <feature> wins?", ["colour & co", "shape"], 0, ["Yes \"colour\".", "No."]),
        Number("ERM's test accuracy?", np.float64(17.25), tol=0.5, fmt=".1f", unit="%",
               explain="It follows the colour.", hint="See Table 2."),
    ])


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(html)
    return parser.tags


# --------------------------------------------------------------------------- rendering
def test_html_marks_the_right_option_and_the_tolerance():
    tags = elements(sample()._repr_html_())
    radios = [a for t, a in tags if t == "input" and a.get("type") == "radio"]
    assert [r["data-ok"] for r in radios] == ["1", "0"]
    assert radios[0]["data-fb"] == 'Yes "colour".' and len({r["name"] for r in radios}) == 1
    form = [a for t, a in tags if t == "form" and "data-answer" in a][0]
    assert (float(form["data-answer"]), float(form["data-tol"])) == (17.25, 0.5)
    assert form["data-explain"] == "It follows the colour." and form["data-hint"] == "See Table 2."
    number = [a for t, a in tags if t == "input" and a.get("type") == "number"][0]
    assert number["name"] == form["id"]
    assert sum(t == "fieldset" for t, _ in tags) == sum(t == "legend" for t, _ in tags) == 2
    live = [a for t, a in tags if a.get("aria-live") == "polite"]
    assert len(live) == 2 and all(a["class"] == "gs-fb" for a in live)


def test_every_text_is_escaped():
    html = sample()._repr_html_()
    assert "<feature>" not in html and "Which &lt;feature&gt; wins?" in html
    assert "colour &amp; co" in html and "<code>" not in html
    assert "<code>x</code>" in quiz("x", [Choice("Is `x` code?", ["yes", "no"], 0)])._repr_html_()


def test_ids_unique_stable_and_derived_from_the_text():
    first, again = sample(), sample()
    html = first._repr_html_()
    assert html == again._repr_html_()  # no random ids: nbval and the sync test see equal outputs
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert ids == first.ids() and len(ids) == len(set(ids)) == 3
    assert ids[0] == "selfcheck-05" and all(i.startswith("sc-05-") for i in ids[1:])
    other = quiz("06", [Choice("Which <feature> wins?", ["a", "b"], 1)])
    assert not set(other.ids()) & set(ids)  # two chapters' quizzes on one page would not clash


def test_numeric_answer_is_shown_as_formatted_and_plain_text_lists_the_questions():
    q = sample()
    assert q.questions[1].shown() == "17.2%" or q.questions[1].shown() == "17.3%"
    assert Number("n?", 3, tol=0, fmt="d", unit="steps").shown() == "3 steps"
    text = repr(q)
    assert text.splitlines() == [
        "Self-check, 2 questions (interactive on the website, in Jupyter and in Colab):",
        "1. Which <feature> wins?", "   (a) colour & co", "   (b) shape",
        "2. ERM's test accuracy?", "   (a number, in %)"]
    assert "17.2" not in text  # the plain text does not give the answers away


def test_output_is_self_contained_and_small():
    html = sample()._repr_html_()
    assert not re.search(r"""(src|href)=|https?://|@import|url\(""", html)  # nothing is fetched
    assert html.count("<script>") == 1 and "window.gsQuiz" in html  # listeners installed once
    assert len(html.encode()) < 4_000


@pytest.mark.parametrize("make, bad", [
    (lambda: Choice("Q?", ["a", "b"], 2), "answer 2 is not an option index; accepted: 0 to 1"),
    (lambda: Choice("Q?", ["a", "b"], True), "answer True"),
    (lambda: Choice("Q?", ["only one"], 0), "options must be a list of at least two strings, got ['only one']"),
    (lambda: Choice("Q?", "ab", 0), "got 'ab'"),
    (lambda: Choice("Q?", ["a", 3], 0), "every option must be a non-empty string, got 3"),
    (lambda: Choice("Q?", ["a", "b"], 0, ["only one"]), "one line per option (2), got ['only one']"),
    (lambda: Choice("", ["a", "b"], 0), "question must be a non-empty string, got ''"),
    (lambda: Number("Q?", float("nan"), tol=1), "answer nan is not a finite number"),
    (lambda: Number("Q?", "72.3", tol=1), "answer '72.3' is not a finite number"),
    (lambda: Number("Q?", 1.0, tol=-1), "tol -1 is not a finite number >= 0"),
    (lambda: Number("Q?", 1.0, tol=0.1, fmt="%"), None),  # "%" is a valid float format
    (lambda: Number("Q?", 1.0, tol=0.1, fmt=".1q"), "fmt '.1q' is not a format for a number"),
    (lambda: quiz("0 5", [Choice("Q?", ["a", "b"], 0)]), "quiz key '0 5'"),
    (lambda: quiz("05", []), "questions must be a non-empty list, got []"),
    (lambda: quiz("05", ["Q?"]), "'Q?' is not a Choice or a Number"),
    (lambda: quiz("05", [Choice("Q?", ["a", "b"], 0), Number("Q?", 1, tol=0)]), "question asked twice: 'Q?'"),
])
def test_a_bad_question_spec_names_the_bad_value(make, bad):
    if bad is None:
        make()
        return
    with pytest.raises(ValueError) as err:
        make()
    assert bad in str(err.value)


def test_numpy_and_torch_scalars_are_accepted():
    import torch

    assert Number("a?", np.float32(0.5), tol=np.float64(0.1)).answer == 0.5
    assert Number("b?", torch.tensor(2.0), tol=0).answer == 2.0


# --------------------------------------------------------------------------- chapters
def closing_cell(path: Path):
    code = [c for c in jupytext.read(path).cells if c.cell_type == "code"]
    return code[-1]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_ends_with_at_least_three_questions(path):
    cell = closing_cell(path)
    assert cell.metadata.get("tags") == ["remove-input"], f"{path.name}: the self-check cell is not remove-input"
    assert f'quiz("{path.stem[:2]}"' in cell.source, f"{path.name}: the last cell is not the chapter's quiz"
    asked = cell.source.count("Choice(") + cell.source.count("Number(")
    assert asked >= MIN_QUESTIONS, f"{path.name}: {asked} self-check questions, at least {MIN_QUESTIONS} wanted"
    assert "Number(" in cell.source, f"{path.name}: no numeric question from the chapter's computation"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_executed_chapter_shows_its_quiz(path):
    notebook = ROOT / "book" / f"{path.stem}.ipynb"
    cell = nbformat.read(notebook, as_version=4).cells[-1]
    outputs = [o for o in cell.get("outputs", []) if "text/html" in o.get("data", {})]
    assert len(outputs) == 1, f"{notebook.name}: the last cell has no quiz output (re-execute the chapter)"
    html, text = outputs[0]["data"]["text/html"], outputs[0]["data"]["text/plain"]
    assert f'id="selfcheck-{path.stem[:2]}"' in html and len(html.encode()) < HTML_BUDGET
    assert html.count("<fieldset>") >= MIN_QUESTIONS and text.startswith("Self-check, ")
    answers = [float(a) for a in re.findall(r'data-answer="([^"]+)"', html)]
    assert answers and all(np.isfinite(answers)), f"{notebook.name}: numeric answers {answers}"


# --------------------------------------------------------------------------- browser
QUIZ_PAGE, QUIZ_ID = "book/01_introduction.html", "selfcheck-01"  # a light page: quick to load
JS_HIDE_STICKY = """() => { for (const el of document.querySelectorAll('body *'))
    if (['sticky', 'fixed'].includes(getComputedStyle(el).position)) el.style.visibility = 'hidden'; }"""
JS_FEEDBACK = "(id) => document.querySelector('#' + id + ' .gs-fb').textContent"


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_quiz_gives_feedback_on_the_built_page(viewport, site_url, browser_context):
    page, record = open_page(browser_context, f"{site_url}/{QUIZ_PAGE}")
    try:
        page.set_viewport_size(DESKTOP if viewport == "desktop" else PHONE)
        root = page.locator(f"#{QUIZ_ID}")
        root.scroll_into_view_if_needed()
        choice = root.locator("form:has(input[type=radio])").first
        form_id = choice.get_attribute("id")
        choice.locator("input[data-ok='1']").check()
        assert page.evaluate(JS_FEEDBACK, form_id).startswith("Correct.")
        choice.locator("input[data-ok='0']").first.focus()
        page.keyboard.press("Space")  # keyboard: a radio button is checked with the space bar
        assert page.evaluate(JS_FEEDBACK, form_id).startswith("Not quite.")

        number = root.locator("form[data-answer]").first
        answer, tol = float(number.get_attribute("data-answer")), float(number.get_attribute("data-tol"))
        field, form_id = number.locator("input[type=number]"), number.get_attribute("id")
        field.fill(f"{answer + 3 * tol + 1:.6g}")
        field.press("Enter")
        assert page.evaluate(JS_FEEDBACK, form_id).startswith("Not quite. Too high.")
        field.fill(f"{answer + 0.5 * tol:.6g}")
        number.locator("button").click()
        assert page.evaluate(JS_FEEDBACK, form_id).startswith("Correct.")
        assert number.locator(".gs-fb").get_attribute("aria-live") == "polite"

        box = root.bounding_box()
        width = page.evaluate("() => document.documentElement.clientWidth")
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, f"quiz overflows: {box}, {width}"
        check_axe(page, record, viewport)
        shots = ROOT / "_build" / "selfcheck"
        shots.mkdir(parents=True, exist_ok=True)
        page.evaluate(JS_HIDE_STICKY)  # the theme's sticky bars would cover part of the picture
        root.screenshot(path=str(shots / f"quiz-{QUIZ_ID}-{viewport}.png"))
    finally:
        page.close()
    assert not record.problems, "\n  ".join(record.problems)
