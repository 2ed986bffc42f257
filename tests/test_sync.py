"""Chapter sources (chapters/*.md) and their executed notebooks (book/*.ipynb) stay in step.

The website and nbval read book/*.ipynb; people edit chapters/*.md. A notebook that was not
re-executed after an edit shows stale prose or code, so any drift fails here: re-run
`make chapter CH=NN_name` (or `make book`) and commit the notebook.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

import gsutils
from gsutils.book import parameter_defaults

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {p.stem: p for p in sorted((ROOT / "chapters").glob("*.md"))}
NOTEBOOKS = {p.stem: p for p in sorted((ROOT / "book").glob("*.ipynb"))
             if not p.name.endswith((".input.ipynb", ".partial.ipynb"))}
INJECTED = "injected-parameters"  # papermill's cell for non-default parameters
REQUIRED_PARAMETERS = {"profile", "device", "seed"}


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def cells(notebook) -> list[tuple[str, str, tuple[str, ...]]]:
    """(type, source, tags) of every cell, papermill's injected-parameters cell left out."""
    return [(c.cell_type, c.source.strip(), tuple(sorted(tags(c))))
            for c in notebook.cells if INJECTED not in tags(c)]


def code_only(source: str) -> str:
    """The source with comments and blank lines removed."""
    lines = (re.sub(r"#.*", "", line).rstrip() for line in source.splitlines())
    return "\n".join(line for line in lines if line)


def test_every_chapter_has_a_notebook_and_back():
    assert SOURCES, "no chapters/*.md"
    assert not (set(SOURCES) - set(NOTEBOOKS)), (
        f"chapters never executed into book/: {sorted(set(SOURCES) - set(NOTEBOOKS))}; "
        "run `make chapter CH=<name>`")
    assert not (set(NOTEBOOKS) - set(SOURCES)), (
        f"notebooks in book/ without a source in chapters/: {sorted(set(NOTEBOOKS) - set(SOURCES))}")


@pytest.mark.parametrize("name", sorted(set(SOURCES) & set(NOTEBOOKS)))
def test_notebook_matches_its_source(name):
    source = jupytext.read(SOURCES[name])
    executed = nbformat.read(NOTEBOOKS[name], as_version=4)
    want, got = cells(source), cells(executed)
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            diff = "\n".join(list(difflib.unified_diff(
                [f"{b[0]} {list(b[2])}", *b[1].splitlines()], [f"{a[0]} {list(a[2])}", *a[1].splitlines()],
                f"book/{name}.ipynb", f"chapters/{name}.md", lineterm="", n=1))[:40])
            pytest.fail(f"book/{name}.ipynb drifted from chapters/{name}.md at cell {i}; "
                        f"re-run `make chapter CH={name}`:\n{diff}", pytrace=False)
    assert len(want) == len(got), (f"chapters/{name}.md has {len(want)} cells, book/{name}.ipynb "
                                   f"{len(got)}; re-run `make chapter CH={name}`")


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_is_a_complete_default_run(name):
    """The committed notebook ran every code cell, without error, with the default parameters."""
    nb = nbformat.read(NOTEBOOKS[name], as_version=4)
    assert not [c for c in nb.cells if INJECTED in tags(c)], (
        f"book/{name}.ipynb was executed with non-default parameters (papermill injected a cell); "
        "the committed notebooks are the quick-profile runs: `make chapter CH=<name>` without PARAMS")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        assert cell.get("execution_count") is not None, f"book/{name}.ipynb cell {i} never ran"
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"book/{name}.ipynb cell {i} raised {errors[0].get('ename')}"


def _install_cell_shape(source: str) -> str:
    """The install cell without its comment and without an extra (chapters 7 and 8 install
    gsutils[robustness] / gsutils[sweep] and check for that extra's package too)."""
    code = code_only(source)
    code = re.sub(r' or importlib\.util\.find_spec\("\w+"\) is None', "", code)
    return re.sub(r"gsutils\[[\w,]+\]", "gsutils", code)


def test_chapters_share_one_colab_install_cell():
    """Every chapter opens with the same hidden cell that installs gsutils in Colab, never torch."""
    firsts = {}
    for name, path in SOURCES.items():
        code = [c for c in jupytext.read(path).cells if c.cell_type == "code"]
        assert code, f"chapters/{name}.md has no code cell"
        firsts[name] = code[0]
    reference_name = "01_introduction" if "01_introduction" in firsts else next(iter(firsts))
    reference = firsts[reference_name]
    for name, cell in firsts.items():
        assert _install_cell_shape(cell.source) == _install_cell_shape(reference.source), (
            f"chapters/{name}.md: the first code cell differs from {reference_name}'s Colab install "
            f"cell:\n{cell.source}")
        assert "remove-cell" in tags(cell), f"chapters/{name}.md: the install cell must be remove-cell"
    code = code_only(reference.source)
    assert gsutils.REPO_URL in code, f"the install cell does not install from {gsutils.REPO_URL}"
    assert "find_spec(\"gsutils\")" in code.replace("'", '"'), "install only when gsutils is missing"
    assert not re.search(r"\b(torch|torchvision)\b", code), f"the install cell touches torch:\n{code}"


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_one_parameters_cell_with_the_common_knobs(name):
    notebook = jupytext.read(SOURCES[name])
    marked = [c for c in notebook.cells if "parameters" in tags(c)]
    assert len(marked) == 1, f"chapters/{name}.md has {len(marked)} cells tagged 'parameters', needs 1"
    defaults = parameter_defaults(notebook)
    missing = REQUIRED_PARAMETERS - set(defaults)
    assert not missing, f"chapters/{name}.md: parameters cell lacks {sorted(missing)}"
    assert defaults["profile"] == "quick" and defaults["device"] == "auto", (
        f"chapters/{name}.md: defaults must be profile='quick', device='auto' (got "
        f"{defaults['profile']!r}, {defaults['device']!r})")
