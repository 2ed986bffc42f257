"""What every chapter promises its readers: objectives, exercises with solutions, and no logic in its cells."""

import ast
import re
from pathlib import Path

import jupytext
import pytest

CHAPTERS = sorted((Path(__file__).parent.parent / "chapters").glob("*.md"))
LANDING = "00_index"  # the book's front page: a summary and the contents, not a chapter


@pytest.mark.parametrize("path", [p for p in CHAPTERS if p.stem != LANDING], ids=lambda p: p.stem)
def test_chapter_states_objectives(path):
    markdown = [c.source for c in jupytext.read(path).cells if c.cell_type == "markdown"]
    assert any("{admonition} Learning objectives" in m for m in markdown[:3])


DIRECTIVE = re.compile(r"^```\{(exercise|solution)\}[ \t]*(\S*)[^\n]*\n((?::[\w-]+:[^\n]*\n)*)", re.M)
GLUED = re.compile(r"""glue\(f?["']([^"']+)["']""")


@pytest.mark.parametrize("path", [p for p in CHAPTERS if p.stem != LANDING], ids=lambda p: p.stem)
def test_exercises_section_has_hidden_solutions_computed_in_solution_cells(path):
    """Issue 12's contract: `## Exercises` (then at most `## Check your understanding`), three or more
    exercises, each followed by its dropdown solution; solution numbers come from cells tagged
    [remove-cell, solution] whose glue names (solNN_) nothing outside a solution uses."""
    nn, text = path.stem[:2], path.read_text()
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert "Exercises" in headings and "{admonition} Exercises" not in text, f"{path.name}: no ## Exercises"
    assert headings[headings.index("Exercises") + 1:] in ([], ["Check your understanding"])
    before, section = text.split("\n## Exercises\n", 1)
    assert not DIRECTIVE.search(before), f"{path.name}: exercise or solution outside ## Exercises"
    found = [(kind, arg, dict(re.findall(r":([\w-]+):[ \t]*(.*)", opts))) for kind, arg, opts in DIRECTIVE.findall(section)]
    assert len(found) >= 6 and [k for k, _, _ in found] == ["exercise", "solution"] * (len(found) // 2)
    for (_, _, ex_opts), (_, sol_arg, sol_opts) in zip(found[::2], found[1::2]):
        slug = ex_opts["label"].removeprefix(f"ex-{nn}-")
        assert ex_opts["label"] == f"ex-{nn}-{slug}" and sol_arg == ex_opts["label"], ex_opts
        assert sol_opts.get("label") == f"sol-{nn}-{slug}" and sol_opts.get("class") == "dropdown", sol_opts
    for cell in jupytext.read(path).cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and "solution" in tags:
            assert "remove-cell" in tags, f"{path.name}: a solution cell is not removed from the page"
            assert all(n.startswith(f"sol{nn}_") for n in GLUED.findall(cell.source)), GLUED.findall(cell.source)
    outside = re.sub(r"^```\{solution\}.*?^```$", "", text, flags=re.M | re.S)
    assert f"`sol{nn}_" not in outside, f"{path.name}: a solution's glue is used outside a solution"


def test_exercise_labels_are_unique_across_the_book():
    labels = [m for p in CHAPTERS for m in re.findall(r"^:label: ((?:ex|sol)-\S+)", p.read_text(), re.M)]
    assert len(labels) == len(set(labels)), sorted({x for x in labels if labels.count(x) > 1})


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
