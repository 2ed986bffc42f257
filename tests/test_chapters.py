"""What every chapter promises its readers: objectives, exercises, and no logic in its cells."""

import ast
import re
from pathlib import Path

import jupytext
import pytest

CHAPTERS = sorted((Path(__file__).parent.parent / "chapters").glob("*.md"))
LANDING = "00_index"  # the book's front page: a summary and the contents, not a chapter


@pytest.mark.parametrize("path", [p for p in CHAPTERS if p.stem != LANDING], ids=lambda p: p.stem)
def test_chapter_states_objectives_and_ends_with_exercises(path):
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
