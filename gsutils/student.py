"""Student and teacher notebooks: ``python -m gsutils.student`` (``make student``).

From the executed ``book/*.ipynb`` it writes, for every chapter,

    _build/teacher/jupyter/NN.ipynb   the book's notebook (MyST, outputs, solutions)
    _build/teacher/colab/NN.ipynb     its Colab edition (what colab/ holds)
    _build/student/jupyter/NN.ipynb   without solutions: every {solution} directive, every gated
                                      {solution-start}...{solution-end} range (cells inside it too)
                                      and every code cell tagged `solution` removed
    _build/student/colab/NN.ipynb     the Colab edition of that

Students run the notebooks themselves, but every other output stays (the figures the exercises
ask about, the self-checks); what is removed cannot be reached: glue records that only the removed
solutions read are dropped too, and a student notebook is refused (an error naming the cell) when
anything left refers to a removed label or glue value or uses a variable that only a removed cell
defines. Exercises keep their labels and numbers. Every edition's install cell installs gsutils
at one commit (as ``make colab`` pins it), so that a notebook runs the code it was made with.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import shutil
import sys
from pathlib import Path

import nbformat

from . import colab
from .colab import myst

OUT = "_build"
SOLUTION_TAG = "solution"
REFERENCE_ROLES = {"ref", "numref", "prf:ref", "any", "eq"}
GLUE_ROLES = {"glue", "glue:text", "glue:any", "glue:md"}
GLUE_DIRECTIVE = re.compile(r"^ {0,3}(?:`{3,}|:{3,})\{glue(?::\w+)?\}\s*(?P<key>\S+)", re.M)
LABELS = re.compile(r"^\s*:(?:label|name):\s*(\S+)|^\(([^()\s]+)\)=\s*$", re.M)
README = """# {who} notebooks of *Gradient Starvation: an executable edition*

Made by `make student` (`python -m gsutils.student`) from the executed chapters in `book/`.
{what}

* `jupyter/`: the chapters as Jupyter notebooks, with their outputs. Their Markdown is MyST, the
  book's own format: in JupyterLab, `pip install jupyterlab-myst` renders its directives
  (exercises, admonitions, proofs) but does not fill in the numbers glued from the code.
* `colab/`: the same in plain Markdown, glued numbers written in, for Google Colab (upload one, or
  open it from Google Drive) or any Jupyter.

A notebook runs from any folder. Its first cell installs the book's package when it is missing, at
the commit the notebook was made with: `pip install "gsutils @ git+{repo}@{pin}"`
(or `pip install -e .` in a clone of the repository at that commit). Nothing else needs copying:
MNIST is fetched into `./data` on first use (set `GSUTILS_DATA` to use another folder, or run
`python -m gsutils fetch-data --root DIR`), and the paper-profile results are read from
`./results`, else downloaded from the repository at the installed commit. The quick profile runs
on a laptop's CPU in minutes per chapter; `profile = "paper"` in the parameters cell needs a GPU.
"""
WHO = {"student": ("Student", "Solutions are removed; exercises, self-checks and all other outputs stay."),
       "teacher": ("Teacher", "The full chapters, solutions included (folded, as on the website).")}


def _directive(line: str) -> tuple[str, str] | None:
    """(directive name, fence) of a line that opens a directive; ("", fence) for a plain code block."""
    m = myst.FENCE.match(line)
    if not m or (m.group("fence")[0] == ":" and not m.group("info").startswith("{")):
        return None  # not a fence, or a bare colon line
    d = myst.DIRECTIVE_INFO.match(m.group("info").strip())
    return (d.group("name") if d else "", m.group("fence"))


def strip_solutions(markdown: str, inside: bool = False) -> tuple[str, list[str], bool]:
    """`markdown` without its solutions: (text, the removed lines, still inside a gated solution at
    the end). `inside`: the text starts within a gated solution opened in an earlier cell."""
    lines, kept, removed, i = markdown.splitlines(), [], [], 0
    while i < len(lines):
        found = _directive(lines[i])
        name, end = (found[0], myst._close(lines, i, found[1])) if found else (None, i)
        if inside or name in ("solution", "solution-start", "solution-end"):
            removed += lines[i:end + 1]
            inside = name == "solution-start" or (inside and name != "solution-end")
            i = end + 1
            while not inside and i < len(lines) and not lines[i].strip() and (not kept or not kept[-1].strip()):
                i += 1  # no double blank line where a solution was
            continue
        if name:  # another directive: solutions may sit inside it
            body, gone, _ = strip_solutions("\n".join(lines[i + 1:end]))
            kept += [lines[i], *([body] if body else []), *lines[end:end + 1]] if gone else lines[i:end + 1]
            removed += gone
        else:  # a plain code block (verbatim) or a line
            kept += lines[i:end + 1]
        i = end + 1
    if not removed:
        return markdown, [], inside
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept), removed, inside


def _roles(text: str, names: set[str]) -> list[str]:
    """The targets (labels or glue keys) of the roles `names` in `text`, and of glue directives."""
    found = [m.group("key") for m in GLUE_DIRECTIVE.finditer(text)] if names is GLUE_ROLES else []
    for m in myst.ROLE_OR_CODE.finditer(text):
        role = (m.group("role") or "{}")[1:-1]
        if role in names:
            target = myst._split_explicit(m.group("body"))[1] if role in REFERENCE_ROLES else m.group("body")
            found.append(target.split(":")[0].strip() if role == "glue:text" else target.strip())
    return found


def _labels(lines: list[str]) -> set[str]:
    return {m.group(1) or m.group(2) for m in LABELS.finditer("\n".join(lines))}


def _glue_names(cell) -> set[str]:
    return {o["metadata"]["scrapbook"]["name"] for o in cell.get("outputs", [])
            if o.get("metadata", {}).get("scrapbook")}


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names bound, names read) by a code cell (IPython syntax such as `%magic` allowed)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return set(), set()
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return bound, read


def _text_of(cell) -> str:
    """What a kept cell shows as Markdown: its source, or its Markdown outputs."""
    if cell.cell_type == "markdown":
        return cell.source
    return "\n".join(str(o.get("data", {}).get("text/markdown", "")) for o in cell.get("outputs", []))


def student_notebook(nb, name: str = "notebook") -> nbformat.NotebookNode:
    """`nb` without its solutions (see the module docstring); `name` is used in errors."""
    nb = copy.deepcopy(nb)
    cells, removed_text, removed_glue, solution_bound, kept_bound, inside = [], [], set(), set(), set(), False
    for i, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "markdown":
            cell.source, removed, inside = strip_solutions(cell.source, inside)
            removed_text += removed
            if not cell.source.strip():
                continue
        elif inside or (cell.cell_type == "code" and SOLUTION_TAG in tags):
            removed_glue |= _glue_names(cell)
            solution_bound |= _names(cell.source)[0] if cell.cell_type == "code" else set()
            continue
        elif cell.cell_type == "code":
            bound, read = _names(cell.source)
            needs = (read - bound - kept_bound) & solution_bound
            if needs:
                raise ValueError(f"{name} cell {i}: uses {sorted(needs)}, which only a removed solution "
                                 "cell defines; compute it in a cell that is not tagged `solution`")
            kept_bound |= bound
        cells.append((i, cell))
    if inside:
        raise ValueError(f"{name}: a {{solution-start}} has no {{solution-end}}")
    removed_labels = _labels(removed_text)
    removed_refs = set(_roles("\n".join(removed_text), GLUE_ROLES))
    still_read = set()
    for i, cell in cells:
        text = _text_of(cell)
        dangling = [f"{{ref}} {t}" for t in _roles(text, REFERENCE_ROLES) if t in removed_labels]
        dangling += [f"{{glue}} {t}" for t in _roles(text, GLUE_ROLES) if t in removed_glue]
        if dangling:
            raise ValueError(f"{name} cell {i}: refers to what only a solution has: {', '.join(dangling)}")
        still_read |= set(_roles(text, GLUE_ROLES))
    hidden = (removed_refs | removed_glue) - still_read  # glue only the solutions read: not kept either
    for _, cell in cells:
        if cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs
                            if o.get("metadata", {}).get("scrapbook", {}).get("name") not in hidden]
    nb.cells = [cell for _, cell in cells]
    return nb


def _read_book(root: Path) -> None:
    """Refuse early, with a clear message, a missing book/ or a notebook that is not valid."""
    book = root / "book"
    if not book.is_dir() or not any(book.glob("*.ipynb")):
        raise FileNotFoundError(f"no executed notebooks in {book}; execute the chapters first "
                                "(`make book`, or `python -m gsutils execute chapters/NN_name.md`)")
    for path in sorted(book.glob("*.ipynb")):
        if path.name.endswith((".input.ipynb", ".partial.ipynb")):
            continue  # papermill's leftovers, which colab.Book skips too
        try:
            nbformat.validate(nbformat.read(path, as_version=4))
        except (ValueError, nbformat.ValidationError) as err:  # not JSON, or not the schema
            raise ValueError(f"{path} is not a valid notebook: {type(err).__name__}: {str(err)[:300]}") from err


def write(root: Path = colab.ROOT, out: Path | None = None, pin: str | None = None) -> list[Path]:
    """Write the four editions of every chapter under `out` (default root/_build); all install
    gsutils at commit `pin` (default: HEAD, refused while gsutils/ has uncommitted changes)."""
    root = Path(root)
    out = Path(out) if out is not None else root / OUT
    _read_book(root)
    book = colab.Book(root)
    pin = pin or colab.pinned_commit(root)
    students = copy.copy(book)
    students.notebooks = {stem: student_notebook(book.notebooks[stem], stem) for stem in book.chapters}
    written = []
    for who, source in (("teacher", book), ("student", students)):
        for kind in ("jupyter", "colab"):
            folder = out / who / kind
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            for stem in book.chapters:
                path = folder / f"{stem}.ipynb"
                if kind == "colab":
                    nb = source.edition(stem, pin)  # the teacher's: what colab/ holds
                else:
                    nb = copy.deepcopy(source.notebooks[stem])
                    colab.pin_install_cell(nb, stem, pin)
                    nb.metadata["gsbook"] = {"edition": "jupyter", "source": f"book/{stem}.ipynb",
                                             "gsutils_commit": pin}
                if who == "student":
                    nb.metadata["gsbook"]["edition"] += ", student"
                nbformat.write(nb, path)
                written.append(path)
        title, what = WHO[who]
        (out / who / "README.md").write_text(README.format(who=title, what=what, repo=colab.REPO_URL, pin=pin))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gsutils.student", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help=f"output folder (default: {OUT}/ of the checkout)")
    parser.add_argument("--pin", help="the commit the notebooks install (default: HEAD, if gsutils/ is committed)")
    args = parser.parse_args(argv)
    try:
        written = write(out=args.out, pin=args.pin)
    except (FileNotFoundError, RuntimeError, KeyError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for folder in sorted({p.parent for p in written}):
        print(f"wrote {len(list(folder.glob('*.ipynb')))} notebooks to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
