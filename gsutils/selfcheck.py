"""Self-check questions that need no kernel: one self-contained HTML output per question set.

A chapter's last cell (tagged ``remove-input``) ends with ``quiz("05", [Choice(...), Number(...)])``.
The result displays as

* ``text/html``: one ``<form>`` per question (a labelled ``<fieldset>``; radio buttons, or a number
  field with a Check button), its feedback in an ``aria-live`` paragraph, a "Show the answer"
  ``<details>`` that works even where scripts do not run, a few scoped CSS rules and one small
  inline script (installed once per document, so several quizzes share it). No request leaves the
  page, and ids are derived from the chapter and the question text, so outputs are identical
  across runs (nbval, the site's sync test). It works on the static site, in Jupyter and in Colab.
* ``text/plain``: the questions and options, for nbval, terminals and untrusted notebooks.

Numeric answers are the chapter's own variables (``Number(..., answer=acc, tol=1.0)``); a reader's
value counts as right when it is within ``tol`` of the answer.
"""

from __future__ import annotations

import hashlib
import html
import math
import numbers
import re
from dataclasses import dataclass

__all__ = ["Choice", "Number", "Quiz", "quiz"]

KEY = re.compile(r"[A-Za-z0-9_-]+")
RIGHT, WRONG = "Correct.", "Not quite."

CSS = """<style>
.gs-quiz{max-width:42rem}
.gs-quiz form{margin:0 0 1rem}
.gs-quiz fieldset{border:1px solid #6b6b6b;border-radius:6px;padding:.6rem .9rem .7rem;margin:0;min-width:0}
.gs-quiz legend{float:left;width:100%;font-size:1rem;font-weight:600;line-height:1.45;margin:0 0 .3rem;padding:0}
.gs-quiz legend+*{clear:left}
.gs-quiz label{display:block;padding:.3rem 0;cursor:pointer}
.gs-quiz .gs-opt{display:flex;gap:.5rem;align-items:flex-start}
.gs-quiz input[type=radio]{flex:none;margin:.2rem 0 0;width:1.05rem;height:1.05rem}
.gs-quiz input[type=number]{width:8.5rem;max-width:100%;margin-left:.4rem;padding:.2rem .4rem;font:inherit}
.gs-quiz button{margin-left:.4rem;padding:.2rem .8rem;font:inherit;cursor:pointer}
.gs-quiz .gs-fb{margin:.4rem 0 0;font-weight:600}
.gs-quiz .gs-ok{color:#1b5e20}.gs-quiz .gs-no{color:#a3001b}
html[data-theme=dark] .gs-quiz .gs-ok{color:#8fd19e}html[data-theme=dark] .gs-quiz .gs-no{color:#ff9aa8}
.gs-quiz details{margin-top:.4rem}.gs-quiz summary{cursor:pointer}
</style>"""

# Delegated listeners, installed once per document: radio buttons answer on change (arrow keys
# included), number fields on submit (Enter or the Check button).
SCRIPT = """<script>(function(){if(window.gsQuiz)return;window.gsQuiz=1;
function say(q,ok,text){var p=q.querySelector('.gs-fb');p.className='gs-fb '+(ok?'gs-ok':'gs-no');
p.textContent=(ok?'%s ':'%s ')+text;}
document.addEventListener('change',function(e){var i=e.target;
if(i.type!=='radio'||!i.closest('.gs-quiz'))return;say(i.form,i.dataset.ok==='1',i.dataset.fb);});
document.addEventListener('submit',function(e){var q=e.target;
if(!q.closest||!q.closest('.gs-quiz')||q.dataset.answer===undefined)return;e.preventDefault();
var v=parseFloat(String(q.querySelector('input').value).replace(',','.')),a=+q.dataset.answer,t=+q.dataset.tol;
if(isNaN(v)){say(q,false,'Type a number first.');return;}
if(Math.abs(v-a)<=t+1e-12*Math.abs(a))say(q,true,q.dataset.explain);
else say(q,false,(v>a?'Too high. ':'Too low. ')+q.dataset.hint);});})();</script>""" % (RIGHT, WRONG)


def _text(value, what: str, where: str, empty_ok: bool = False) -> str:
    if not isinstance(value, str) or (not empty_ok and not value.strip()):
        raise ValueError(f"{where}: {what} must be a{'' if empty_ok else ' non-empty'} string, "
                         f"got {value!r}")
    return value


def _html(text: str) -> str:
    """Escaped text; `backticks` become <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=True))


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass(frozen=True)
class Choice:
    """A multiple-choice question: `options` (at least two), `answer` the index of the right one,
    `feedback` one line per option (shown when it is picked; default: "Correct." / "Not quite.")."""

    question: str
    options: tuple
    answer: int
    feedback: tuple | None = None

    def __post_init__(self):
        where = f"Choice {self.question!r}"
        _text(self.question, "question", "Choice")
        if isinstance(self.options, str) or not isinstance(self.options, (list, tuple)) \
                or len(self.options) < 2:
            raise ValueError(f"{where}: options must be a list of at least two strings, "
                             f"got {self.options!r}")
        for option in self.options:
            _text(option, "every option", where)
        object.__setattr__(self, "options", tuple(self.options))
        if isinstance(self.answer, bool) or not isinstance(self.answer, numbers.Integral) \
                or not 0 <= self.answer < len(self.options):
            raise ValueError(f"{where}: answer {self.answer!r} is not an option index; "
                             f"accepted: 0 to {len(self.options) - 1}")
        if self.feedback is not None:
            if isinstance(self.feedback, str) or len(self.feedback) != len(self.options):
                raise ValueError(f"{where}: feedback must give one line per option "
                                 f"({len(self.options)}), got {self.feedback!r}")
            for line in self.feedback:
                _text(line, "every feedback line", where, empty_ok=True)
            object.__setattr__(self, "feedback", tuple(self.feedback))

    def _body(self, name: str) -> str:
        rows = []
        for k, option in enumerate(self.options):
            fb = self.feedback[k] if self.feedback else ""
            rows.append(f'<label class="gs-opt"><input type="radio" name="{name}" value="{k}" '
                        f'data-ok="{int(k == self.answer)}" data-fb="{_attr(fb)}">'
                        f'{_html(option)}</label>')
        answer = self.options[self.answer]
        why = self.feedback[self.answer] if self.feedback else ""
        return "".join(rows), f"{_html(answer)}{'. ' + _html(why) if why else ''}"

    def _plain(self) -> list[str]:
        return [f"   ({'abcdefghijklmnopqrstuvwxyz'[k]}) {o}" for k, o in enumerate(self.options)]


@dataclass(frozen=True)
class Number:
    """A question with a numeric answer: right when within `tol` of `answer` (a finite number, the
    chapter's own variable). `fmt` formats the answer where it is shown, `unit` labels the field
    (e.g. "%"), `explain` is shown with a right answer, `hint` with a wrong one."""

    question: str
    answer: float
    tol: float
    fmt: str = ".3g"
    unit: str = ""
    explain: str = ""
    hint: str = "Look again at the chapter's results."

    def __post_init__(self):
        where = f"Number {self.question!r}"
        _text(self.question, "question", "Number")
        for field in ("answer", "tol"):
            value = getattr(self, field)
            if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:  # NumPy / torch scalar
                value = value.item()
            if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                    or not math.isfinite(value) or (field == "tol" and value < 0):
                accepted = "a finite number >= 0" if field == "tol" else "a finite number"
                raise ValueError(f"{where}: {field} {getattr(self, field)!r} is not {accepted}")
            object.__setattr__(self, field, value if isinstance(value, numbers.Integral) else float(value))
        try:
            format(self.answer, self.fmt)
        except (ValueError, TypeError):
            raise ValueError(f"{where}: fmt {self.fmt!r} is not a format for a number "
                             "(e.g. '.1f', '.3g')") from None
        for field in ("unit", "explain", "hint"):
            _text(getattr(self, field), field, where, empty_ok=True)

    def shown(self) -> str:
        """The answer as the page shows it, with its unit."""
        return format(self.answer, self.fmt) + ("" if self.unit in ("", "%") else " ") + self.unit

    def _body(self, name: str) -> str:
        unit = f" ({_html(self.unit)})" if self.unit else ""
        field = (f'<label>Your answer{unit}:<input type="number" step="any" name="{name}" '
                 f'inputmode="decimal"></label><button type="submit">Check</button>')
        answer = _html(self.shown()) + (f". {_html(self.explain)}" if self.explain else "")
        return field, answer

    def _data(self) -> str:
        return (f' data-answer="{self.answer:.12g}" data-tol="{self.tol:.12g}" '
                f'data-explain="{_attr(self.explain)}" data-hint="{_attr(self.hint)}"')

    def _plain(self) -> list[str]:
        return [f"   (a number{', in ' + self.unit if self.unit else ''})"]


class Quiz:
    """A question set; Jupyter, Colab and the site show its HTML, nbval and terminals its text."""

    def __init__(self, key: str, questions):
        if not isinstance(key, str) or not KEY.fullmatch(key):
            raise ValueError(f"quiz key {key!r} must be letters, digits, '-' or '_' (e.g. '05')")
        questions = list(questions) if isinstance(questions, (list, tuple)) else questions
        if not isinstance(questions, list) or not questions:
            raise ValueError(f"quiz {key!r}: questions must be a non-empty list, got {questions!r}")
        for q in questions:
            if not isinstance(q, (Choice, Number)):
                raise ValueError(f"quiz {key!r}: {q!r} is not a Choice or a Number")
        texts = [q.question for q in questions]
        repeated = sorted({t for t in texts if texts.count(t) > 1})
        if repeated:
            raise ValueError(f"quiz {key!r}: question asked twice: {repeated[0]!r}")
        self.key, self.questions = key, questions

    def ids(self) -> list[str]:
        """The root's id, then one per question (its form id and input name): stable across runs."""
        return [f"selfcheck-{self.key}"] + [
            f"sc-{self.key}-{hashlib.sha1(q.question.encode()).hexdigest()[:8]}"
            for q in self.questions]

    def _repr_html_(self) -> str:
        root, *names = self.ids()
        forms = []
        for k, (q, name) in enumerate(zip(self.questions, names), 1):
            body, answer = q._body(name)
            data = q._data() if isinstance(q, Number) else ""
            forms.append(f'<form class="gs-q" id="{name}"{data}><fieldset><legend>{k}. '
                         f'{_html(q.question)}</legend>{body}<p class="gs-fb" aria-live="polite">'
                         f'</p><details><summary>Show the answer</summary><p>{answer}</p>'
                         f'</details></fieldset></form>')
        return f'<div class="gs-quiz" id="{root}">{CSS}{"".join(forms)}{SCRIPT}</div>'

    def __repr__(self) -> str:
        lines = [f"Self-check, {len(self.questions)} questions (interactive on the website, in Jupyter "
                 "and in Colab):"]
        for k, q in enumerate(self.questions, 1):
            lines += [f"{k}. {q.question}", *q._plain()]
        return "\n".join(lines)


def quiz(key: str, questions) -> Quiz:
    """The question set `questions` (Choice and Number) of chapter `key` (e.g. "05")."""
    return Quiz(key, questions)
