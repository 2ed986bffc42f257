"""What every chapter promises its readers: objectives, exercises, and no logic in its cells."""

import ast
import re
from collections import Counter
from pathlib import Path

import jupytext
import pytest

CHAPTERS = sorted((Path(__file__).parent.parent / "chapters").glob("*.md"))
LANDING = "00_index"  # the book's front page: a summary and the contents, not a chapter
TEACHING = "10_teaching"  # for teachers: sessions and assignments, checked by tests/test_teaching.py
CONTENT = [p for p in CHAPTERS if p.stem not in (LANDING, TEACHING)]
DIRECTIVE = re.compile(r"```\{(exercise|solution)\}[ \t]*([^\n]*)\n(.*?)\n```", re.S)
OPTION = re.compile(r"^:(\w+):[ \t]*(.*)$", re.M)
GLUE_ROLE = re.compile(r"\{glue:text\}`([^`]+)`")
GLUE_CALL = re.compile(r"""glue\(f?["']([^"'{]*)""")


@pytest.mark.parametrize("path", CONTENT, ids=lambda p: p.stem)
def test_chapter_states_objectives_and_ends_with_exercises_then_a_self_check(path):
    """Objectives at the top; exercises, then the self-check `## Check your understanding` last."""
    markdown = [c.source for c in jupytext.read(path).cells if c.cell_type == "markdown"]
    assert any("{admonition} Learning objectives" in m for m in markdown[:3])
    text = "\n".join(markdown)
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings and headings[-1] == "Check your understanding", (
        f"{path.name}: the last section is {headings[-1:]}, not 'Check your understanding'")
    exercises = max(text.rfind("{admonition} Exercises"), text.rfind("## Exercises"))
    assert 0 <= exercises < text.rfind("## Check your understanding"), (
        f"{path.name}: no exercises before the self-check")


def exercise_events(path):
    """The chapter's exercises, solutions and solution cells in order, from its `## Exercises` on."""
    cells = jupytext.read(path).cells
    events, started = [], False
    for cell in cells:
        if cell.cell_type == "markdown":
            started = started or "\n## Exercises" in "\n" + cell.source
            for kind, arg, body in DIRECTIVE.findall(cell.source):
                options = dict(OPTION.findall(body))
                events.append((kind, arg.strip(), options, body, started))
        elif "solution" in cell.metadata.get("tags", []):
            assert "remove-cell" in cell.metadata["tags"], f"{path.name}: a solution cell must be removed from the page"
            events.append(("cell", "", {}, cell.source, started))
    return events


@pytest.mark.parametrize("path", CONTENT, ids=lambda p: p.stem)
def test_exercises_have_hidden_solutions_right_after_them(path):
    """Issue 12: `## Exercises` holds >= 3 {exercise}s, each followed by its dropdown {solution};
    cells tagged solution (removed in the student edition) sit just before the solution they feed."""
    text = path.read_text()
    nn = path.stem[:2]
    assert text.count("\n## Exercises\n") == 1, f"{path.name}: needs one `## Exercises` section"
    events = exercise_events(path)
    exercises = [e for e in events if e[0] == "exercise"]
    assert len(exercises) >= 3, f"{path.name}: {len(exercises)} exercises, needs at least 3"
    pending = None  # the exercise waiting for its solution
    for kind, arg, options, body, in_section in events:
        if kind == "exercise":
            label = options.get("label", "")
            assert in_section, f"{path.name}: exercise {label or arg!r} outside `## Exercises`"
            assert pending is None, f"{path.name}: exercise {pending} has no solution before the next one"
            assert re.fullmatch(rf"ex-{nn}-[a-z0-9-]+", label), f"{path.name}: bad exercise label {label!r}"
            assert arg, f"{path.name}: exercise {label} has no title"
            if body.lstrip().startswith("*Needs Jupyter or Colab"):
                assert "On the website:" in body, f"{path.name}: {label} needs a website-only alternative"
            pending = label
        elif kind == "solution":
            assert pending == arg, f"{path.name}: solution for {arg!r} does not follow its exercise ({pending})"
            assert options.get("label") == "sol" + arg[2:], f"{path.name}: solution of {arg} needs :label: sol{arg[2:]}"
            assert "dropdown" in options.get("class", "").split(), f"{path.name}: solution of {arg} is not a dropdown"
            pending = None
        else:
            assert pending is not None, f"{path.name}: a cell tagged solution is not inside an exercise's block"
    assert pending is None, f"{path.name}: exercise {pending} has no solution"


@pytest.mark.parametrize("path", CONTENT, ids=lambda p: p.stem)
def test_solution_numbers_are_glued_from_solution_cells(path):
    """Solution cells glue only solNN_ names, and nothing but solutions reads them (the student
    edition drops both)."""
    nn, cells = path.stem[:2], jupytext.read(path).cells
    solution_cells = [c for c in cells if "solution" in c.metadata.get("tags", [])]
    glued = set()
    for cell in solution_cells:
        assert "remove-cell" in cell.metadata["tags"], f"{path.name}: a solution cell must be remove-cell"
        for name in GLUE_CALL.findall(cell.source):
            assert name.startswith(f"sol{nn}_"), f"{path.name}: solution cell glues {name!r}; prefix sol{nn}_"
            glued.add(name)
    outside = "\n".join(DIRECTIVE.sub(lambda m: "" if m.group(1) == "solution" else m.group(0), c.source)
                        for c in cells if c.cell_type == "markdown")
    leaked = sorted({n for n in GLUE_ROLE.findall(outside) if n.startswith("sol")})
    assert not leaked, f"{path.name}: {leaked} are glued by solution cells but read outside a solution"
    for cell in cells:
        if cell.cell_type == "code" and cell not in solution_cells:
            assert not [n for n in GLUE_CALL.findall(cell.source) if n.startswith(f"sol{nn}_")], (
                f"{path.name}: solNN_ names belong in cells tagged solution")


def test_labels_are_unique_across_the_book():
    """Exercise, solution, proof and section labels and figure names: Sphinx resolves each globally."""
    labels = Counter()
    for path in CHAPTERS:
        for cell in jupytext.read(path).cells:
            if cell.cell_type == "markdown":
                labels.update(re.findall(r"^:label:[ \t]*(\S+)", cell.source, re.M))
                labels.update(re.findall(r"^\(([\w-]+)\)=", cell.source, re.M))
            else:
                name = cell.metadata.get("mystnb", {}).get("figure", {}).get("name")
                labels.update([name] if name else [])
    duplicates = sorted(k for k, n in labels.items() if n > 1)
    assert not duplicates, f"labels used more than once: {duplicates}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_cells_call_gsutils_and_define_nothing(path):
    """STYLE 10: chapters narrate, call and plot; logic lives in gsutils where pytest reaches it."""
    for cell in jupytext.read(path).cells:
        if cell.cell_type != "code" or cell.source.lstrip().startswith(("%", "!")):
            continue
        tree = ast.parse(cell.source)
        defined = [n.name for n in ast.walk(tree)
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        assert not defined, f"{path.name} defines {defined}: move them into gsutils"


BOOK = Path(__file__).parent.parent / "book"


@pytest.mark.parametrize("path", sorted(BOOK.glob("*.ipynb")), ids=lambda p: p.stem)
def test_glued_text_carries_no_markdown(path):
    """{glue:text} shows a value as plain text: backticks or ** in it would appear literally."""
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get("application/papermill.record/text/plain", "")
            assert not (name and ("`" in text or "**" in text)), f"{path.name}: glue {name!r} has Markdown: {text[:120]}"
