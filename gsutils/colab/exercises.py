"""sphinx-exercise's directives in the Colab editions, numbered and titled as the site does.

The toc is not numbered, so Sphinx numbers every enumerable node book-wide in toc order: exercises
are Exercise 1..N across the book (unless ``:nonumber:``), and a solution is titled "Solution to
Exercise N (its title)". An exercise becomes a block quote with a bold "**Exercise N** (title)"; a
solution a ``<details>`` box (closed if ``:class: dropdown``, as the site folds it, else open); the
gated ``-start``/``-end`` forms the same when both ends are in one cell (``myst.convert`` joins
them), else a title whose content follows in the next cells.
"""

from __future__ import annotations

from typing import Callable

GATED = {"exercise-start": "exercise-end", "solution-start": "solution-end"}
EXERCISES = {"exercise", "exercise-start"}
SOLUTIONS = {"solution", "solution-start"}
DIRECTIVES = EXERCISES | SOLUTIONS | set(GATED.values())


def collect(name: str, arg: str, options: dict, doc: str, counters: dict, labels: dict) -> None:
    """Record one exercise or solution directive in `labels`; `counters["exercise"]` carries the
    book-wide count over pages."""
    label = options.get("label")
    if name in SOLUTIONS:
        if label:
            labels[label] = {"kind": "solution", "doc": doc, "number": "", "target": arg, "title": ""}
        return
    if name not in EXERCISES:
        return  # an -end marker
    number = ""
    if "nonumber" not in options:
        counters["exercise"] = number = counters.get("exercise", 0) + 1
    if label:
        labels[label] = {"kind": "exercise", "doc": doc, "number": number, "subtitle": arg,
                         "title": f"Exercise {number}".strip()}


def exercise_name(label: str, labels: dict, inline: Callable[[str], str]) -> str:
    """'Exercise 14 (Short title)': how a solution's title names its exercise."""
    info = labels.get(label)
    if not info or info["kind"] != "exercise":
        raise KeyError(f"a solution names {label!r}, which is not an exercise's label")
    return info["title"] + (f" ({inline(info['subtitle'])})" if info.get("subtitle") else "")


def render(name: str, arg: str, options: dict, text: str, ctx, inline: Callable[[str], str]) -> str:
    """The Markdown of one directive (its content `text` already converted); `ctx.exercises`
    counts the numbered exercises so far."""
    if name in EXERCISES:  # an unpaired -start: its content follows in later cells, unquoted
        number = ""
        if "nonumber" not in options:
            ctx.exercises += 1
            number = f" {ctx.exercises}"
        title = f"**Exercise{number}**" + (f" ({inline(arg)})" if arg else "")
        return "\n".join(f"> {line}".rstrip() for line in [title, ""] + text.splitlines())
    if name in SOLUTIONS:
        summary = f"Solution to {exercise_name(arg, ctx.labels, inline)}"
        if name == "solution-start":  # an unpaired -start: a <details> cannot span cells
            return f"**{summary}**\n" + (f"\n{text}\n" if text else "")
        return details(summary, text, shut=folded(options))  # the site folds only dropdowns
    return ""  # an -end


def folded(options: dict) -> bool:
    """Whether the site folds a directive: `:class: dropdown` (sphinx-togglebutton)."""
    return "dropdown" in options.get("class", "").split()


def details(summary: str, text: str, shut: bool = True) -> str:
    """A <details> box; the blank lines let Jupyter and Colab render the Markdown inside."""
    return f"<details{'' if shut else ' open'}>\n<summary>{summary}</summary>\n\n{text}\n\n</details>"
