"""`make student` (gsutils.student): student notebooks without solutions, teacher notebooks with
them, for Jupyter and Colab; and the Colab form of exercises and solutions (gsutils.colab.myst)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import gsutils
from gsutils import colab, student
from gsutils.colab import myst

ROOT = Path(__file__).resolve().parent.parent
PIN = "0" * 40
KINDS = [("student", "jupyter"), ("student", "colab"), ("teacher", "jupyter"), ("teacher", "colab")]


def fence(name: str, arg: str = "", *lines: str) -> str:
    return "\n".join([f"```{{{name}}} {arg}".rstrip(), *lines, "```"])


def glued(name: str, text: str) -> dict:
    return nbformat.from_dict({"output_type": "display_data", "data": {f"{colab.GLUE_PREFIX}text/plain": text},
                               "metadata": {"scrapbook": {"name": name, "mime_prefix": colab.GLUE_PREFIX}}})


EXERCISE = fence("exercise", "First one", ":label: ex-01-first", "", "Predict {glue:text}`acc`.")
GATED_EXERCISE = "\n".join([fence("exercise-start", "Gated", ":label: ex-01-gated"), "Change the seed.",
                            fence("exercise-end")])


def chapter_a() -> nbformat.NotebookNode:
    """Exercises with a solution, a solution cell, a gated solution spanning three cells, a self-check."""
    return new_notebook(cells=[
        new_markdown_cell("# Chapter A"),
        new_code_cell(f'"gsutils @ git+{gsutils.REPO_URL}"', metadata={"tags": ["remove-cell"]}),
        new_code_cell("acc = 0.5\nglue('acc', acc)", outputs=[glued("acc", "0.5"), glued("shared", "7")]),
        new_markdown_cell("## Exercises\n\n" + EXERCISE),
        new_code_cell("sol01_x = acc * 2\nglue('sol01_x', sol01_x)", outputs=[glued("sol01_x", "1.0")],
                      metadata={"tags": ["remove-cell", "solution"]}),
        new_markdown_cell(fence("solution", "ex-01-first", ":label: sol-01-first", ":class: dropdown", "",
                                "SECRET-A: twice, {glue:text}`sol01_x:.1f`, and {glue:text}`shared`.")
                          + "\n\n" + GATED_EXERCISE + "\n\n"
                          + fence("solution-start", "ex-01-gated", ":label: sol-01-gated", ":class: dropdown")
                          + "\nSECRET-B: run this:"),
        new_code_cell("sol01_y = acc + 1\nglue('sol01_y', sol01_y)", outputs=[glued("sol01_y", "1.5")]),
        new_markdown_cell("SECRET-C {glue:text}`sol01_y`\n" + fence("solution-end") + "\n\nAfter the gate."),
        new_markdown_cell("## Check your understanding\n\nSee {ref}`ex-01-first` and {numref}`ex-01-gated`."),
        new_code_cell("quiz()", outputs=[new_output("display_data", {"text/html": "<div>quiz</div>", "text/plain": "quiz"})],
                      metadata={"tags": ["remove-input"]}),
    ])


def chapter_b() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_markdown_cell("# Chapter B"),
        new_code_cell(f'"gsutils @ git+{gsutils.REPO_URL}"'),
        new_markdown_cell(fence("exercise", "", ":label: ex-02-x", "", "Back to {ref}`ex-01-first`.") + "\n\n"
                          + fence("solution", "ex-02-x", ":label: sol-02-x", ":class: dropdown", "", "SECRET-D")),
    ])


def make_book(tmp: Path, notebooks: dict) -> Path:
    (tmp / "book").mkdir(parents=True)
    (tmp / "chapters").mkdir()
    (tmp / "references.bib").write_text("")
    for stem, nb in notebooks.items():
        nbformat.write(nb, tmp / "book" / f"{stem}.ipynb")
        (tmp / "chapters" / f"{stem}.md").write_text("")
    return tmp


@pytest.fixture
def editions(tmp_path):
    root = make_book(tmp_path / "root", {"01_a": chapter_a(), "02_b": chapter_b()})
    student.write(root, tmp_path / "out", pin=PIN)
    read = lambda who, kind, stem: nbformat.read(tmp_path / "out" / who / kind / f"{stem}.ipynb", as_version=4)  # noqa: E731
    return root, read


def everything(nb) -> str:
    return nbformat.writes(nb)


def test_student_notebook_has_no_solutions_and_keeps_the_rest(editions):
    root, read = editions
    nb = read("student", "jupyter", "01_a")
    text = everything(nb)
    for secret in ("SECRET-A", "SECRET-B", "SECRET-C", "sol01_x", "sol01_y", "sol-01", "{solution", "shared"):
        assert secret not in text, f"the student notebook still has {secret!r}"
    assert not [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert EXERCISE in markdown and GATED_EXERCISE in markdown, "an exercise was changed"
    assert "After the gate." in markdown and "## Check your understanding" in markdown
    assert "\n\n\n" not in markdown
    assert [c.source for c in nb.cells if c.cell_type == "code"][1:] == ["acc = 0.5\nglue('acc', acc)", "quiz()"]
    assert nb.metadata["gsbook"]["edition"] == "jupyter, student"
    assert nb.cells[2].outputs == [glued("acc", "0.5")], "glue read only by a solution must go too"
    nbformat.validate(nb)
    assert "SECRET-D" not in everything(read("student", "jupyter", "02_b"))


def test_teacher_notebooks_are_the_book(editions):
    root, read = editions
    for stem in ("01_a", "02_b"):
        nb, book = read("teacher", "jupyter", stem), nbformat.read(root / "book" / f"{stem}.ipynb", as_version=4)
        assert nb.cells[2:] == book.cells[2:] and nb.cells[0] == book.cells[0]
        assert nb.cells[1].source == f'# Installs gsutils at commit {PIN[:12]}, the code this notebook was built and tested with.\n"gsutils @ git+{gsutils.REPO_URL}@{PIN}"'
        assert nb.metadata["gsbook"] == {"edition": "jupyter", "source": f"book/{stem}.ipynb", "gsutils_commit": PIN}
        assert everything(read("teacher", "colab", stem)) == everything(colab.Book(root).edition(stem, PIN))


def test_colab_editions_number_exercises_and_fold_solutions(editions):
    _, read = editions
    teacher = "\n".join(c.source for c in read("teacher", "colab", "01_a").cells if c.cell_type == "markdown")
    assert '<a id="ex-01-first"></a>\n> **Exercise 1** (First one)\n>\n> Predict 0.5.' in teacher
    assert ('<a id="sol-01-first"></a>\n<details>\n<summary>Solution to Exercise 1 (First one)</summary>\n\n'
            "SECRET-A: twice, 1.0, and 7.\n\n</details>") in teacher
    assert "> **Exercise 2** (Gated)\n>\n> Change the seed." in teacher
    assert "**Solution to Exercise 2 (Gated)**\n\nSECRET-B" in teacher  # a gated solution over several cells
    assert "See [Exercise 1](#ex-01-first) and [Exercise 2](#ex-01-gated)." in teacher
    b = "\n".join(c.source for c in read("teacher", "colab", "02_b").cells if c.cell_type == "markdown")
    assert "> **Exercise 3**\n" in b and f"Back to [Exercise 1]({colab.colab_url('01_a')})" in b
    for who in ("teacher", "student"):
        for stem in ("01_a", "02_b"):
            nb = read(who, "colab", stem)
            for cell in nb.cells:
                assert not myst.leftovers(cell.source) if cell.cell_type == "markdown" else True
    pupil = everything(read("student", "colab", "01_a"))
    assert "SECRET" not in pupil and "<details>" not in pupil and "> **Exercise 2** (Gated)" in pupil
    assert read("student", "colab", "01_a").metadata["gsbook"]["edition"] == "colab, student"


def test_solution_forms_in_one_cell():
    labels = {}
    src = "\n\n".join([fence("exercise-start", "G", ":label: ex-g"), "Do.", fence("exercise-end"),
                       fence("solution-start", "ex-g", ":label: sol-g"), "Done $x$.", fence("solution-end"),
                       ":::{exercise} Aside\n:nonumber:\n\nNo number.\n" + fence("hint", "", ":class: dropdown", "", "Look.") + "\n:::",
                       fence("dropdown", "More", ":open:", "", "Text."),
                       "{ref}`sol-g`, {numref}`sol-g`, {ref}`that <ex-g>`, {numref}`Task %s <ex-g>`."])
    myst.collect_labels(src, "p", {"exercise": 4}, labels)
    out = myst.convert(src, myst.Context(glue=None, cite=None, labels=labels, page="p", exercises=4))
    assert '<a id="ex-g"></a>\n> **Exercise 5** (G)\n>\n> Do.' in out
    assert '<a id="sol-g"></a>\n<details open>\n<summary>Solution to Exercise 5 (G)</summary>\n\nDone $x$.\n\n</details>' in out
    assert "> **Exercise** (Aside)\n>\n> No number.\n> <details>\n> <summary>Hint</summary>\n>\n> Look.\n>\n> </details>" in out
    assert "<details open>\n<summary>More</summary>\n\nText.\n\n</details>" in out
    assert out.endswith("[Solution to Exercise 5 (G)](#sol-g), [Solution to Exercise 5 (G)](#sol-g), "
                        "[that](#ex-g), [Task 5](#ex-g).")
    assert not myst.leftovers(out)
    with pytest.raises(KeyError, match="ex-nope"):
        myst.convert(fence("solution", "ex-nope"), myst.Context(glue=None, cite=None))


@pytest.mark.parametrize("cell, message", [
    (new_markdown_cell("As {ref}`sol-01-first` shows."), "sol-01-first"),
    (new_markdown_cell("It is {glue:text}`sol01_x`."), "sol01_x"),
    (new_code_cell("print(sol01_y)"), "sol01_y"),
])
def test_what_depends_on_a_solution_is_refused(tmp_path, cell, message):
    nb = chapter_a()
    nb.cells.append(cell)
    with pytest.raises(ValueError, match=rf"01_a cell {len(nb.cells) - 1}: .*{message}"):
        student.student_notebook(nb, "01_a")


def test_unclosed_gated_solution_is_refused():
    nb = new_notebook(cells=[new_markdown_cell(fence("solution-start", "ex-1") + "\nopen")])
    with pytest.raises(ValueError, match="no {solution-end}"):
        student.student_notebook(nb, "x")


def test_missing_book_or_bad_notebook_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no executed notebooks"):
        student.write(tmp_path, tmp_path / "out", pin=PIN)
    make_book(tmp_path, {"01_a": chapter_a()})
    (tmp_path / "book" / "02_b.ipynb").write_text("{not json")
    with pytest.raises(ValueError, match="02_b.ipynb is not a valid notebook"):
        student.write(tmp_path, tmp_path / "out", pin=PIN)


# --------------------------------------------------------------------------- the real book
@pytest.fixture(scope="module")
def book_editions(tmp_path_factory):
    out = tmp_path_factory.mktemp("editions")
    assert student.main(["--out", str(out), "--pin", PIN]) == 0  # python -m gsutils.student
    return out


def test_every_chapter_in_all_four_editions(book_editions):
    chapters = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))
    for who, kind in KINDS:
        found = sorted(p.stem for p in (book_editions / who / kind).glob("*.ipynb"))
        assert found == chapters, f"{who}/{kind}: {found}"
    assert "pip install" in (book_editions / "student" / "README.md").read_text()


@pytest.mark.parametrize("stem", sorted(p.stem for p in (ROOT / "chapters").glob("*.md")))
def test_real_student_notebooks_are_valid_and_solution_free(book_editions, stem):
    nb = nbformat.read(book_editions / "student" / "jupyter" / f"{stem}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert not [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert "{solution" not in cell.source, f"{stem}: a solution is left"
    pupil = nbformat.read(book_editions / "student" / "colab" / f"{stem}.ipynb", as_version=4)
    for cell in pupil.cells:
        if cell.cell_type == "markdown":
            assert not myst.leftovers(cell.source) and "<details>" not in cell.source, f"{stem}: {cell.source[:200]}"


def test_student_notebook_runs_in_an_empty_folder(book_editions, tmp_path):
    """The Jupyter edition of chapter 1 runs top to bottom from a folder holding nothing else."""
    from nbclient import NotebookClient

    nb = nbformat.read(book_editions / "student" / "jupyter" / "01_introduction.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_solution_markdown_renders_inside_details(editions):
    """Jupyter and Colab render Markdown inside <details> only when blank lines set it apart."""
    from markdown_it import MarkdownIt

    _, read = editions
    cell = next(c for c in read("teacher", "colab", "02_b").cells if "<details" in c.source)
    html = MarkdownIt("commonmark").render(cell.source)
    assert "<summary>Solution to Exercise 3</summary>\n<p>SECRET-D</p>\n</details>" in html
