"""Figures explain themselves and shown code stands alone (issue 8, points 4 and 6).

* Every figure in book/*.ipynb sits in a numbered myst-nb figure (``mystnb.figure`` with a
  ``fig-`` name and a caption that quotes a glued number) and carries a text alternative (the
  ``aria-label`` gsutils.book writes from the figure's ``layout.meta.alt``).
* In every chapter only the Colab install cell is removed from the page (and the input of the
  closing self-check, whose code holds the answers); the other cells are shown or collapsed, and no
  cell uses a name that only a removed cell defines.
* The figure builders lay themselves out for a phone: no row of buttons wider than a 390 px page.
"""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p for p in (ROOT / "book").glob("*.ipynb")
                   if not p.name.endswith((".input.ipynb", ".partial.ipynb")))
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))
REMOVED = {"remove-cell", "remove-input"}
GLUE = re.compile(r"\{glue:text\}`[^`]+`")


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def figure_outputs(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if "plotly-graph-div" in str(o.get("data", {}).get("text/html", ""))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_is_numbered_captioned_and_described(path):
    nb = nbformat.read(path, as_version=4)
    names = []
    for i, cell in enumerate(nb.cells):
        figures = figure_outputs(cell)
        if not figures:
            continue
        where = f"{path.name} cell {i}"
        assert len(figures) == 1, f"{where}: {len(figures)} figures in one cell share one caption"
        options = cell.metadata.get("mystnb", {}).get("figure", {})
        assert str(options.get("name", "")).startswith("fig-"), f"{where}: no mystnb.figure.name 'fig-...'"
        caption = str(options.get("caption", ""))
        assert len(caption) > 60 and GLUE.search(caption), (
            f"{where}: the caption must say what the figure shows and quote a glued number: {caption!r}")
        html = figures[0]["data"]["text/html"]
        alt = re.search(r'role="(?:img|figure)" aria-label="([^"]*)"', html)
        assert alt and len(alt.group(1)) > 40, f"{where}: the figure has no text alternative (layout.meta.alt)"
        names.append(options["name"])
    assert len(names) == len(set(names)), f"{path.name}: duplicate figure names {names}"


def assigned(tree) -> set[str]:
    """Names a cell defines: assignments, imports, loop and comprehension targets."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.arg):
            out.add(node.arg)
    return out


def is_selfcheck(cell) -> bool:
    """The chapter's closing self-check: only its input is removed (it holds the answers)."""
    return tags(cell) == {"remove-input"} and "gsutils.selfcheck" in cell.source


def used(tree) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_shown_code_stands_alone(path):
    """Setup cells are collapsed (hide-cell), not removed; only the Colab install cell, the
    solution cells (issue 12: `make student` drops them) and the closing self-check's input (its
    code holds the answers) are removed, and nothing a reader sees relies on them."""
    code = [c for c in jupytext.read(path).cells if c.cell_type == "code"]
    for k, cell in enumerate(code[1:], start=1):
        assert ("solution" in tags(cell) or is_selfcheck(cell) and k == len(code) - 1
                or not tags(cell) & REMOVED), (
            f"{path.name}: code cell {k} is tagged {sorted(tags(cell) & REMOVED)}; collapse it with "
            "hide-cell / hide-input instead, so that a reader can find every name it defines")
    known = set(dir(builtins)) | {"display", "get_ipython"}  # IPython's own globals
    known_to_solutions = set(known)  # solution cells also see what earlier solution cells define
    for k, cell in enumerate(code[1:], start=1):
        if cell.source.lstrip().startswith(("%", "!")):
            continue
        tree = ast.parse(cell.source)
        solution = "solution" in tags(cell)
        missing = sorted(used(tree) - assigned(tree) - (known_to_solutions if solution else known))
        assert not missing, (f"{path.name}: code cell {k} uses {missing}, defined in no earlier cell "
                             "the reader can see" + (" (solution cells are removed)" if not solution else ""))
        known_to_solutions |= assigned(tree)
        if not solution:
            known |= assigned(tree)


def test_control_rows_fit_a_phone():
    """A row of buttons wider than a phone is cut off there: the builders use dropdowns instead."""
    import numpy as np

    from gsutils import plots
    from gsutils.plots.core import PHONE_WIDTH, text_px

    sources = {label: {"ERM": {"step": [0, 10], "train_acc": [50.0, 90.0], "test_acc": [50.0, 20.0]}}
               for label in ("ours, quick (live)", "ours, paper profile (file)", "paper (Fig. 4)")}
    quads = {label: {"ERM": {q: {"acc": 50.0, "entropy": 0.0004} for row in plots.QUADRANT_GRID for q in row}}
             for label in sources}
    groups = ("non-blond female", "non-blond male", "blond female", "blond male")
    curves = {"ERM": {"curves": {"epoch": [0, 1], "worst_acc": [50.0, 60.0], "group_acc": [[50.0] * 4] * 2}}}
    figures = [plots.colored_mnist_curves_figure(sources), plots.colored_mnist_quadrants_figure(quads),
               plots.celeba_curves_figure(curves, groups)]
    for fig in figures:
        assert fig.layout.meta["alt"]
        for menu in fig.layout.updatemenus:
            if menu.type == "dropdown":
                continue
            width = sum(text_px(b.label) + 16 for b in menu.buttons)
            assert width <= PHONE_WIDTH, f"a row of buttons {width} px wide: {[b.label for b in menu.buttons]}"
    text = figures[1].data[1].text  # entropies that round to zero keep their digits
    assert text[0][0] == "0.0004" and np.isfinite(float(text[0][0]))


def test_numbers_that_round_to_zero_keep_their_digits():
    from gsutils.plots import fixed
    from gsutils.plots.core import legend_rows

    assert [fixed(0.141), fixed(0.00041), fixed(-0.00041), fixed(0.0), fixed(0.0039, 2)] == \
        ["0.141", "0.00041", "-0.00041", "0.000", "0.0039"]
    assert legend_rows(["ERM", "SD"]) == 1 and legend_rows(["a" * 40] * 3) == 3
