"""Chapter facts for the header of every chapter: reading time and measured run times.

``results/timings.json`` holds, per chapter, how long its quick profile took in two sections:
``local`` (``python -m gsutils execute``, collected from ``book/*.ipynb`` by ``python -m gsutils
timings``) and ``colab_simulation`` (tests/test_colab_run.py: the Colab edition on a venv with
Colab's package versions, on the same machine). Each entry carries its provenance: seconds, when,
cores, CPU, torch, commit and the load average before and after the run (the machine may be
shared). Chapters call ``glue_chapter_facts(stem)``; a chapter without an entry says "not measured
yet", a malformed file raises ``TimingsError`` naming the file and the key.
"""

from __future__ import annotations

import json
import numbers
import os
import platform
import re
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from .runtime import InputError

REPO_ROOT = Path(__file__).resolve().parent.parent
TIMINGS = REPO_ROOT / "results" / "timings.json"
BOOK = REPO_ROOT / "book"
SECTIONS = {"local": "make book records it", "colab_simulation": "make test-colab records it"}
ENTRY_KEYS = {"seconds": numbers.Real, "finished_utc": str, "git_commit": str, "cores": int,
              "cpu": str, "torch": str, "loadavg_before": list, "loadavg_after": list}
WORDS_PER_MINUTE = 200
SHARED_LOAD = 0.5  # a 1-minute load average above this before a run means other jobs were running
NOT_READ = {"Exercises", "Check your understanding"}  # sections one works through, not reads
GLUE_NAMES = ("header_reading", "header_reading_note", "header_local", "header_local_note",
              "header_colab", "header_colab_note")  # each value shown in bold, its note beside it
_FENCE = re.compile(r"^(`{3,}|~{3,})\s*(?:\{([\w:-]+)\})?")
_SKIPPED = {None, "code-cell", "math", "raw"}  # fenced code, code cells and display maths
_ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")


class TimingsError(InputError):
    """A timings file that cannot be read: names the file and the bad key."""


# --------------------------------------------------------------------------- the file
def read(path: str | os.PathLike = TIMINGS) -> dict:
    """The timings file, checked; an absent file is an empty one (nothing measured yet)."""
    path = Path(path)
    if not path.exists():
        return {name: {} for name in SECTIONS}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise TimingsError(f"{path} is not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise TimingsError(f"{path}: expected a JSON object, got {type(data).__name__}")
    for section in SECTIONS:
        entries = data.setdefault(section, {})
        if not isinstance(entries, dict):
            raise TimingsError(f"{path}: key {section!r} must map chapters to entries")
        for stem, entry in entries.items():
            _check(path, section, stem, entry)
    return data


def _check(path: Path, section: str, stem: str, entry) -> None:
    for key, kind in ENTRY_KEYS.items():
        value = entry.get(key) if isinstance(entry, dict) else None
        if not isinstance(value, kind) or isinstance(value, bool):
            raise TimingsError(f"{path}: key {section}.{stem}.{key} must be a {kind.__name__}, got {value!r}")


def write(data: dict, path: str | os.PathLike = TIMINGS) -> Path:
    """Write the timings atomically (a reader never sees half a file)."""
    from .results import atomic_write_text

    return atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def record(section: str, stem: str, entry: dict, path: str | os.PathLike = TIMINGS) -> Path:
    """Set one chapter's entry of `section` and write the file."""
    data = read(path)
    _check(Path(path), section, stem, entry)
    data[section][stem] = entry
    return write(data, path)


# --------------------------------------------------------------------------- measuring
def machine(load_before: tuple[float, ...], git_commit: str | None = None) -> dict:
    """Where and when a run happened; call right after it with the load average from before it."""
    if git_commit is None:
        from .results import git_commit as current

        git_commit = current()
    cpu = platform.processor() or platform.machine()
    if Path("/proc/cpuinfo").exists():
        names = re.findall(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = names[0].strip() if names else cpu
    return {"finished_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "git_commit": git_commit, "cores": os.cpu_count() or 1, "cpu": cpu,
            "torch": metadata.version("torch"), "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()]}


def collect(book_dir: str | os.PathLike = BOOK, path: str | os.PathLike = TIMINGS) -> dict:
    """Refresh the ``local`` section from the executed notebooks: papermill's duration and the
    provenance ``execute_chapter`` stored beside it (a notebook without them is left out)."""
    import nbformat

    data = read(path)
    for stem in chapter_stems():
        notebook = Path(book_dir) / f"{stem}.ipynb"
        meta = nbformat.read(notebook, as_version=4).metadata if notebook.exists() else {}
        duration = meta.get("papermill", {}).get("duration")
        run = meta.get("gsbook", {}).get("run")
        if isinstance(duration, numbers.Real) and run:
            data["local"][stem] = {**run, "seconds": round(float(duration), 1)}
    write(data, path)
    return read(path)


# --------------------------------------------------------------------------- the facts
def chapter_stems(root: Path = REPO_ROOT) -> list[str]:
    """The chapters that carry the header: chapters/01..09 (not the landing page 00_index, nor the
    teachers' page 10_teaching)."""
    return sorted(p.stem for p in (root / "chapters").glob("[0-9][0-9]_*.md")
                  if p.stem not in ("00_index", "10_teaching"))


def prose_words(markdown: str) -> int:
    """Words a reader reads in a MyST chapter: no front matter, code, display maths, directive
    options, nor the Exercises / Check-your-understanding sections; a role counts as one word."""
    text = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.S)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    words, fences, maths, skipping = 0, [], False, False
    for line in text.splitlines():
        fence = _FENCE.match(line)
        if fences and fence and line.strip() == fence.group(1) and _closes(fence.group(1), fences[-1][0]):
            fences.pop()
            continue
        if fence and (not fences or not fences[-1][1]):
            fences.append((fence.group(1), fence.group(2) in _SKIPPED))
            continue
        if fences and fences[-1][1]:
            continue
        if line.strip().startswith("$$"):
            maths = maths != (line.strip() == "$$" or not line.strip().endswith("$$"))
            continue
        if line.startswith("## "):
            skipping = line[3:].strip() in NOT_READ
        if maths or skipping or re.match(r"^\s*(:[\w-]+:|\+\+\+|\(.+\)=$)", line):
            continue
        words += len(re.findall(r"[A-Za-z0-9][\w'-]*", _ROLE.sub(" X ", re.sub(r"\$[^$]+\$", " X ", line))))
    return words


def _closes(fence: str, opener: str) -> bool:
    return fence[0] == opener[0] and len(fence) >= len(opener)


def reading_minutes(words: int) -> int:
    """Minutes at WORDS_PER_MINUTE: whole minutes up to 10, then multiples of 5; at least 1."""
    minutes = words / WORDS_PER_MINUTE
    return max(1, round(minutes)) if minutes < 10 else 5 * round(minutes / 5)


def duration_text(seconds: float) -> str:
    """38 s, 2 min 05 s, 1 h 02 min."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def _where(entry: dict) -> str:
    """'date, CPU, torch, commit; the machine was otherwise idle / shared with other jobs ...'."""
    load, commit = entry["loadavg_before"][0], entry["git_commit"]
    commit = commit[:7] + (" plus uncommitted changes" if commit.endswith("+dirty") else "")
    state = (f"shared with other jobs, load average {load:.1f} just before the run, so an idle "
             "machine is likely faster" if load > SHARED_LOAD else
             f"otherwise idle, load average {load:.1f} just before the run")
    return (f"{entry['finished_utc'][:10]}, {entry['cores']}-core {entry['cpu']}, torch {entry['torch']}, "
            f"commit {commit}; the machine was {state}")


def chapter_facts(stem: str, root: Path = REPO_ROOT, path: str | os.PathLike | None = None) -> dict[str, str]:
    """The header's glued texts of chapter `stem` (GLUE_NAMES): reading time, local and Colab run
    times, each a short value and a note that says how it was obtained."""
    path = Path(path) if path else root / "results" / "timings.json"
    source = root / "chapters" / f"{stem}.md"
    if source.exists():
        words = prose_words(source.read_text())
        reading = (f"about {reading_minutes(words)} min", f"{words:,} words at {WORDS_PER_MINUTE} words "
                   "a minute; code, figures and exercises not counted")
    else:
        reading = ("not computed here", f"no {source}: gsutils is installed without the book's sources")
    data, texts = read(path), [*reading]
    for section, hint in SECTIONS.items():
        entry = data[section].get(stem)
        if entry is None:
            texts += ["not measured yet", f"results/{path.name} has no {section} entry for this chapter; {hint}"]
        elif section == "local":
            texts += [duration_text(entry["seconds"]), _where(entry)]
        else:
            install = entry.get("install_seconds")
            of_which = (f"{duration_text(install)} of it installing gsutils from a local copy of the "
                        "repository; " if install else "")
            texts += [duration_text(entry["seconds"]), f"{of_which}measured in a simulation, not on Colab "
                      f"itself: Colab's package versions on our machine, {_where(entry)}"]
    return dict(zip(GLUE_NAMES, texts))


def glue_chapter_facts(stem: str) -> None:
    """Glue the header's facts of chapter `stem` (names in GLUE_NAMES) for its opening block."""
    from .book import glue

    for name, text in chapter_facts(stem).items():
        glue(name, text)


def reglue(notebook_path: str | os.PathLike, root: Path = REPO_ROOT) -> bool:
    """Rewrite the outputs of a notebook's ``glue_chapter_facts`` cell from the current file, as
    re-running that cell would (nbval checks it); True when something changed."""
    import nbformat

    from .book import GLUE_PREFIX

    notebook_path = Path(notebook_path)
    nb = nbformat.read(notebook_path, as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code" and "glue_chapter_facts(" in cell.source:
            outputs = [nbformat.v4.new_output("display_data", {GLUE_PREFIX + "text/plain": repr(text)},
                                              metadata={"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}})
                       for name, text in chapter_facts(notebook_path.stem, root).items()]
            changed |= outputs != cell.outputs
            cell.outputs = outputs
    if changed:
        nbformat.write(nb, notebook_path)
    return changed
