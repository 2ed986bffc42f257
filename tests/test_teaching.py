"""The pages for teachers (issue 12, item 4): the module's sessions and assignments, the reading
list and the notation and glossary page. Links between pages are checked by the site build (-W)."""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TEACHING = ROOT / "chapters" / "10_teaching.md"
NOTATION = ROOT / "book" / "notation.md"
READING_PAGE = ROOT / "book" / "reading.md"
ASSIGNMENTS = ROOT / "book" / "assignments.md"
BIB = ROOT / "references.bib"

READING = {"shah2020pitfalls", "geirhos2020shortcut", "sagawa2020distributionally", "liu2021just",
           "kirichenko2023last", "idrissi2022simple", "hermann2020what", "nam2020learning"}
SESSION_PARTS = ("**Goals.**", "**Read.**", "**Run.**", "**In class.**")
# The symbols of the theory (chapters 2 and 3) as the chapters write them, and the key terms.
SYMBOLS = (r"$s_j$", r"$z", r"$U$", r"$V$", r"$S$", r"\Phi_0", r"\lambda", r"\gamma_y", r"\lambda_y",
           r"$m^*$", r"m = Y\hat y", r"\hat y", r"\theta", r"\sigma", r"\eta", r"\delta", r"$K$", r"$W$",
           r"\alpha", r"$z^*$", r"\Delta", r"\epsilon", "margin", "NTK")
TERMS = ("gradient starvation", "spectral decoupling", "feature", "shortcut", "worst-group accuracy",
         "ERM", "IRM", "V-REx", "Group DRO", "NTK", "NTK regime", "margin", "simplicity bias")


def markdown(path: Path) -> str:
    return "\n".join(c.source for c in jupytext.read(path).cells if c.cell_type == "markdown")


def sections(text: str, level: str) -> dict[str, str]:
    """{heading: body} of the headings of one level (e.g. '### ')."""
    parts = re.split(rf"^{re.escape(level)}(.+)$", text, flags=re.M)
    return {parts[k].strip(): parts[k + 1] for k in range(1, len(parts) - 1, 2)}


def bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\{([^,\s]+),", BIB.read_text(), flags=re.M))


def cited(text: str) -> set[str]:
    return {k.strip() for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text) for k in group.split(",")}


def glossary_terms() -> set[str]:
    body = NOTATION.read_text().split("```{glossary}", 1)[1].split("\n```", 1)[0]
    return {line.strip().lower() for line in body.splitlines() if line.strip() and not line.startswith(" ")}


def test_six_sessions_with_goals_reading_running_and_activities():
    top = sections(markdown(TEACHING), "## ")
    sessions = {h: b for h, b in sections(top["Sessions"], "### ").items() if h.startswith("Session")}
    assert len(sessions) >= 6, f"the module needs at least six sessions, found {list(sessions)}"
    for heading, body in sessions.items():
        missing = [p for p in SESSION_PARTS if p not in body]
        assert not missing, f"{heading!r} lacks {missing}"
        read = body.split("**Read.**", 1)[1].split("**Run.**", 1)[0]
        assert "{doc}`" in read, f"{heading!r}: 'Read' links no chapter"
        activity = body.split("**In class.**", 1)[1]
        assert re.search(r"^\d\. ", activity, flags=re.M), f"{heading!r}: no numbered in-class activity"


def test_two_assignments_with_grading_notes():
    assert "{doc}`assignments`" in markdown(TEACHING), "the teaching page links the assignments"
    assignments = {h: b for h, b in sections(ASSIGNMENTS.read_text(), "## ").items() if h.startswith("Assignment")}
    assert len(assignments) >= 2, f"two assignments needed, found {list(assignments)}"
    for heading, body in assignments.items():
        assert "Grading notes" in body and "points)" in body, f"{heading!r} has no grading notes with points"
        points = re.search(r"\((\d+) points\)", body)
        parts = [int(p) for p in re.findall(r"\*\*[^*]+\((\d+)\)\.\*\*", body)]
        assert points and sum(parts) == int(points.group(1)), (
            f"{heading!r}: the rubric's parts {parts} do not add up to its total")


def test_reading_list_is_cited_and_in_the_bibliography():
    reading = READING_PAGE.read_text()
    keys = cited(reading)
    assert READING <= keys, f"reading list lacks {sorted(READING - keys)}"
    unknown = keys - bib_keys()
    assert not unknown, f"reading list cites keys missing from references.bib: {sorted(unknown)}"
    entries = [line for line in reading.splitlines() if line.startswith("- {cite:t}")]
    assert all(len(e) > 60 for e in entries), "every entry says how the work relates to the paper"


def test_notation_page_has_every_symbol_and_term():
    text = NOTATION.read_text()
    missing = [s for s in SYMBOLS if s not in text]
    assert not missing, f"{NOTATION.name} lacks the symbols {missing}"
    terms = glossary_terms()
    assert not {t.lower() for t in TERMS} - terms, f"glossary lacks {sorted({t.lower() for t in TERMS} - terms)}"
    unknown = cited(text) - bib_keys()
    assert not unknown, f"{NOTATION.name} cites keys missing from references.bib: {sorted(unknown)}"


def test_every_term_role_has_a_glossary_entry():
    terms = glossary_terms()
    unknown = []
    for page in [*sorted((ROOT / "chapters").glob("*.md")), NOTATION]:
        for body in re.findall(r"(?<!`)\{term\}`([^`\n]+)`", page.read_text()):  # `{term}` in code is no role
            target = re.sub(r"^.*<(.+)>$", r"\1", body).strip().lower()  # {term}`text <target>`
            if target not in terms:
                unknown.append((page.name, body))
    assert not unknown, f"{{term}} roles without a glossary entry: {unknown}"


def slug(title: str) -> str:
    """MyST's default heading slug (myst_heading_anchors in _config.yml)."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def test_notation_links_point_at_existing_headings():
    links = re.findall(r"\]\((\d\d_\w+)\.ipynb#([\w-]+)\)", NOTATION.read_text())
    assert links, "the notation page links no section"
    for stem, anchor in set(links):
        source = ROOT / "chapters" / f"{stem}.md"
        assert source.exists(), f"{NOTATION.name} links to {stem}, which is no chapter"
        headings = {slug(h) for h in re.findall(r"^#{1,3} (.+)$", markdown(source), flags=re.M)}
        assert anchor in headings, f"{NOTATION.name}: no heading {anchor!r} in chapters/{stem}.md"


def resolve(name: str) -> bool:
    """Whether gsutils.a.b(.c) names a module attribute or a dataclass field."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if dataclasses.is_dataclass(obj) and attr in {f.name for f in dataclasses.fields(obj)}:
                obj = None
            elif obj is None or not hasattr(obj, attr):
                return False
            else:
                obj = getattr(obj, attr)
        return True
    return False


def test_notation_names_real_gsutils_objects():
    names = {f"gsutils.{n}" for n in re.findall(r"`((?:theory|configs|methods)(?:\.\w+)+)`", NOTATION.read_text())}
    assert names, "the notation page names no gsutils object"
    unknown = sorted(n for n in names if not resolve(n))
    assert not unknown, f"{NOTATION.name} names objects that gsutils does not have: {unknown}"


def test_teacher_pages_close_the_book_before_the_bibliography():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    captions = [part["caption"] for part in toc["parts"]]
    teachers = next(part for part in toc["parts"] if part["caption"] == "For teachers")
    assert [c["file"] for c in teachers["chapters"]] == ["book/10_teaching", "book/assignments", "book/reading",
                                                        "book/notation"]
    assert captions.index("For teachers") == captions.index("Closing") + 1
    assert toc["parts"][-1]["chapters"][-1]["file"] == "book/bibliography"


@pytest.mark.parametrize("key", sorted(READING))
def test_reading_entries_have_a_doi_or_url(key):
    entry = re.search(rf"^@\w+\{{{key},(.*?)^\}}", BIB.read_text(), flags=re.M | re.S)
    assert entry and re.search(r"^\s*(doi|url)\s*=", entry.group(1), flags=re.M), key


def test_colab_editions_link_the_notation_page():
    from gsutils import REPO_URL, colab

    book = colab.Book(ROOT)
    assert book.doc_link("notation") == ("Notation and glossary", f"{REPO_URL}/blob/main/book/notation.md")
    with pytest.raises(KeyError, match="no page 'nowhere'"):
        book.doc_link("nowhere")


def test_where_runs_reads_the_provenance_of_existing_files_only(tmp_path):
    import torch

    from gsutils import results, teaching
    from gsutils.experiments import EXPERIMENTS

    empty = teaching.where_runs(tmp_path)
    assert empty == {"rows": [], "paper_on_cpu": [], "no_paper": list(EXPERIMENTS)}
    results.save(tmp_path / "toy-paper.json", "toy", "paper", {}, {"runs": []},
                 results.provenance(torch.device("cpu"), 150.0))
    runs = teaching.where_runs(tmp_path)
    (row,) = runs["rows"]
    assert row["experiment"] == "toy" and row["device"].startswith("cpu (") and row["wall_time"] == "2 min"
    assert runs["paper_on_cpu"] == ["toy"] and "toy" not in runs["no_paper"]


def test_answer_keys_match_the_chapters():
    from gsutils import teaching

    keys = teaching.answer_keys()
    assert float(keys["t_z2_wd_high"][0]) < float(keys["t_z2_wd_low"][0]), "feature 1 starves feature 2"
    assert abs(keys["t_z2_sd_high"][0] - keys["t_z2_sd_low"][0]) < 1e-9, "SD decouples"
    assert keys["g_total"][0] == 162_770 and keys["c_colour_train"][0] == 85.0
    text = TEACHING.read_text()
    unused = [k for k in keys if f"`{k}`" not in text]
    assert not unused, f"answer keys the page never quotes: {unused}"
