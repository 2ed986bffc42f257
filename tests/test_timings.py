"""The chapter header: reading time and measured run times, glued from results/timings.json."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jupytext
import nbformat
import pytest

from gsutils import timings

ROOT = Path(__file__).resolve().parent.parent
STEMS = timings.chapter_stems()
ENTRY = {"seconds": 38.26, "finished_utc": "2026-12-03T18:00:00Z", "git_commit": "0123456789abcdef",
         "cores": 2, "cpu": "Test CPU", "torch": "2.14.1", "loadavg_before": [0.1, 0.2, 0.3],
         "loadavg_after": [1.0, 0.5, 0.4]}


def test_record_round_trips_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "results" / "timings.json"
    timings.record("local", "05_colored_mnist", ENTRY, path)
    timings.record("colab_simulation", "05_colored_mnist", {**ENTRY, "install_seconds": 9.0}, path)
    data = timings.read(path)
    assert data["local"]["05_colored_mnist"] == ENTRY
    assert data["colab_simulation"]["05_colored_mnist"]["install_seconds"] == 9.0
    assert [p.name for p in path.parent.iterdir()] == ["timings.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "timings.json"
    timings.record("local", "01_introduction", ENTRY, path)
    before = path.read_text()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        timings.record("local", "02_gradient_starvation", ENTRY, path)
    assert path.read_text() == before and [p.name for p in tmp_path.iterdir()] == ["timings.json"]


@pytest.mark.parametrize("text, message", [
    ("{not json", "is not valid JSON"),
    ("[1, 2]", "expected a JSON object, got list"),
    ('{"local": []}', "key 'local' must map chapters to entries"),
    (json.dumps({"local": {"05_colored_mnist": {**ENTRY, "seconds": "fast"}}}),
     "key local.05_colored_mnist.seconds must be a Real, got 'fast'"),
    (json.dumps({"colab_simulation": {"06_celeba": {k: v for k, v in ENTRY.items() if k != "cores"}}}),
     "key colab_simulation.06_celeba.cores must be a int, got None"),
])
def test_a_malformed_file_names_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "timings.json"
    path.write_text(text)
    with pytest.raises(timings.TimingsError) as err:
        timings.chapter_facts("05_colored_mnist", ROOT, path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_a_missing_entry_says_not_measured_yet(tmp_path):
    facts = timings.chapter_facts("05_colored_mnist", ROOT, tmp_path / "absent.json")
    assert facts["header_local"] == facts["header_colab"] == "not measured yet"
    assert "no local entry for this chapter; make book records it" in facts["header_local_note"]
    assert "no colab_simulation entry" in facts["header_colab_note"]
    assert facts["header_reading"].startswith("about ")


def test_facts_say_what_was_measured_where(tmp_path):
    path = tmp_path / "timings.json"
    timings.record("local", "05_colored_mnist", ENTRY, path)
    timings.record("colab_simulation", "05_colored_mnist",
                   {**ENTRY, "seconds": 125.0, "install_seconds": 21.4, "loadavg_before": [3.2, 2, 1]}, path)
    facts = timings.chapter_facts("05_colored_mnist", ROOT, path)
    assert (facts["header_local"], facts["header_local_note"]) == ("38 s", (
        "2026-12-03, 2-core Test CPU, torch 2.14.1, commit 0123456; the machine was otherwise idle, "
        "load average 0.1 just before the run"))
    assert facts["header_colab"] == "2 min 05 s"
    assert facts["header_colab_note"].startswith(
        "21 s of it installing gsutils from a local copy of the repository; measured in a simulation, not on Colab itself: Colab's package "
        "versions on our machine, 2026-12-03")
    assert "shared with other jobs, load average 3.2 just before the run" in facts["header_colab_note"]


def test_sources_outside_a_checkout_are_not_counted(tmp_path):
    facts = timings.chapter_facts("05_colored_mnist", tmp_path)
    assert facts["header_reading"] == "not computed here"


def test_prose_words_counts_only_what_is_read():
    markdown = "\n".join([
        "---", "jupytext: {}", "---", "# Title here", "", "```{code-cell} ipython3", ":tags: [x]",
        "import torch as not_counted", "```", "", "```{admonition} Note", ":class: tip", "",
        "Two words {glue:text}`x_y` and $z = 1$.", "```", "", "$$", "a + b = c", "$$", "(label)=",
        "````{figure} f.png", "Caption words", "````", "```", "shell command", "```",
        "## Exercises", "Do this now.", "## Check your understanding", "Answer.", "## Back", "End."])
    # Title here / Two words X and X / Caption words / Back / End
    assert timings.prose_words(markdown) == 2 + 5 + 2 + 1 + 1


@pytest.mark.parametrize("words, minutes", [(0, 1), (150, 1), (1202, 6), (1899, 9), (2209, 10), (3400, 15)])
def test_reading_minutes_round_sensibly(words, minutes):
    assert timings.reading_minutes(words) == minutes


@pytest.mark.parametrize("seconds, text", [(3.4, "3 s"), (59.6, "1 min 00 s"), (125, "2 min 05 s"),
                                           (3725, "1 h 02 min")])
def test_duration_text(seconds, text):
    assert timings.duration_text(seconds) == text


def test_collect_reads_papermill_duration_and_run_provenance(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    nb = nbformat.v4.new_notebook(metadata={"papermill": {"duration": 12.345},
                                            "gsbook": {"run": {k: v for k, v in ENTRY.items() if k != "seconds"}}})
    nbformat.write(nb, book / "04_toy_task.ipynb")
    nbformat.write(nbformat.v4.new_notebook(metadata={"papermill": {"duration": 1.0}}), book / "06_celeba.ipynb")
    data = timings.collect(book, tmp_path / "timings.json")
    assert data["local"] == {"04_toy_task": {**ENTRY, "seconds": 12.3}}  # 06: no provenance, left out


# --------------------------------------------------------------------------- the book itself
# Chapters whose Colab edition does not yet run in the simulation (so it cannot be timed there).
COLAB_GAPS: dict[str, str] = {}


def test_timings_file_covers_every_chapter():
    data = timings.read(timings.TIMINGS)
    missing = sorted(set(STEMS) - set(data["local"]))
    assert not missing, f"results/timings.json: no local entry for {missing}; run `make book`"
    missing = sorted(set(STEMS) - set(data["colab_simulation"]) - set(COLAB_GAPS))
    assert not missing, f"results/timings.json: no colab_simulation entry for {missing}; run `make test-colab`"
    closed = sorted(set(COLAB_GAPS) & set(data["colab_simulation"]))
    assert not closed, f"{closed} now timed in the Colab simulation: remove them from COLAB_GAPS"


@pytest.mark.parametrize("stem", STEMS)
def test_chapter_opens_with_the_header_after_its_objectives(stem):
    cells = jupytext.read(ROOT / "chapters" / f"{stem}.md").cells
    at = next(i for i, c in enumerate(cells) if "{admonition} Learning objectives" in c.source)
    objectives, code, header = cells[at:at + 3]
    assert objectives.source.rstrip().endswith("```"), f"{stem}: text after the objectives, before the header"
    assert code.cell_type == "code" and "hide-cell" in code.metadata.get("tags", [])  # collapsed, not removed (issue 8)
    assert code.source.strip().endswith(f'glue_chapter_facts("{stem}")'), code.source
    assert header.source.startswith("```{admonition} Before you start"), header.source[:80]
    assert "**Prerequisites.**" in header.source
    for name in timings.GLUE_NAMES:
        assert f"{{glue:text}}`{name}`" in header.source, f"{stem}: the header does not show {name}"


@pytest.mark.parametrize("stem", STEMS)
def test_notebook_shows_the_facts_of_the_committed_file(stem, tmp_path):
    """book/NN.ipynb glued what results/timings.json and chapters/NN.md say now, and recorded
    where it ran; else `python -m gsutils timings` (re-glue) or re-execution is due."""
    copy = tmp_path / f"{stem}.ipynb"
    shutil.copy(ROOT / "book" / f"{stem}.ipynb", copy)
    assert not timings.reglue(copy), (f"book/{stem}.ipynb glued other facts than results/timings.json "
                                      "gives; run `python -m gsutils timings`")
    run = nbformat.read(copy, as_version=4).metadata.get("gsbook", {}).get("run", {})
    assert set(timings.ENTRY_KEYS) - {"seconds"} <= set(run), f"book/{stem}.ipynb has no run provenance"
