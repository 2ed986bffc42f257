"""The website's configuration: launch buttons, repository, execution, table of contents, pins."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import gsutils

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))


def toc_files() -> list[str]:
    """Every page of _toc.yml, root first, in reading order."""
    files = [TOC["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            for part in entry.get("parts", []):
                walk(part.get("chapters"))

    walk(TOC.get("chapters"))
    for part in TOC.get("parts", []):
        walk(part.get("chapters"))
    return files


def test_repository_and_launch_buttons():
    repo = CONFIG["repository"]
    assert repo["url"] == gsutils.REPO_URL
    assert repo["branch"] == "main"
    # The book root is the repository root, so a page's notebook is book/NN_name.ipynb in the repo.
    assert repo.get("path_to_book", "") in ("", ".")
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert CONFIG["html"].get("use_download_button", True) is not False


def test_site_is_built_from_executed_notebooks():
    assert CONFIG["execute"]["execute_notebooks"] == "off"
    assert CONFIG["only_build_toc_files"] is True
    sphinx = CONFIG["sphinx"]["config"]
    assert "://" not in sphinx["mathjax_path"], "MathJax must be served locally"
    assert all("://" not in url for url in sphinx["nb_ipywidgets_js"]), "widget scripts must be local"
    assert "mystnb.unknown_mime_type" not in str(sphinx.get("suppress_warnings", [])), (
        "keep the unknown-mime-type warning: it is the blank-figure detector")


def test_toc_lists_every_chapter_in_order_and_nothing_missing():
    files = toc_files()
    pages = [f for f in files if f.startswith("book/")]
    missing = [f for f in files if not any((ROOT / f).with_suffix(s).exists() for s in (".ipynb", ".md"))
               and not (ROOT / f).exists()]
    assert not missing, f"_toc.yml lists pages that do not exist: {missing}"
    chapters_in_toc = [Path(f).stem for f in pages if Path(f).stem in CHAPTERS]
    assert chapters_in_toc == CHAPTERS, (
        f"_toc.yml must list every chapters/*.md once, in order: {chapters_in_toc} != {CHAPTERS}")
    assert files[:2] == ["book/00_index", "book/01_introduction"], "the landing page is the root"


def test_every_bibliography_entry_has_a_doi_or_url():
    entries = re.findall(r"^@\w+\{([^,\s]+),(.*?)^\}", (ROOT / "references.bib").read_text(),
                         flags=re.M | re.S)
    bare = [key for key, body in entries if not re.search(r"^\s*(doi|url)\s*=", body, flags=re.M)]
    assert entries and not bare, f"references.bib entries without a doi or url: {bare}"


def bib_keys() -> list[str]:
    return re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "references.bib").read_text(), flags=re.M)


def test_bibliography_has_the_paper_and_no_duplicates():
    assert CONFIG["bibtex_bibfiles"] == ["references.bib"]
    keys = bib_keys()
    assert {"pezeshki2021gradient", "pezeshki2020blog"} <= set(keys)
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"duplicate keys in references.bib: {duplicates}"


def test_every_citation_is_in_references_bib():
    keys = set(bib_keys())
    unknown = {}
    for path in sorted((ROOT / "chapters").glob("*.md")):
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", path.read_text()):
            for key in (k.strip() for k in group.split(",")):
                if key not in keys:
                    unknown.setdefault(path.name, []).append(key)
    assert not unknown, f"citations missing from references.bib: {unknown}"


def pins(text: str) -> set[str]:
    return {line.strip().lstrip("- ").strip() for line in text.splitlines()
            if "==" in line and not line.lstrip().startswith("#")}


def test_environment_yml_has_the_lock_pins():
    lock = pins((ROOT / "requirements" / "book.txt").read_text())
    env = pins((ROOT / "environment.yml").read_text())
    assert lock, "requirements/book.txt pins nothing"
    assert lock <= env, f"environment.yml lacks pins of requirements/book.txt: {sorted(lock - env)}"
    assert not any(p.split("==")[0].lower() in {"torch", "torchvision"} for p in lock), (
        "torch is installed separately (Makefile TORCH), never from the lock")
    assert {"jupyter-book==1.0.4.post1"} <= lock


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci
    assert re.search(r"^\s*(exec\s+)?make test\b", ci, flags=re.M)
    readme = ROOT / "README.md"
    if readme.exists():
        assert "make test" in readme.read_text()


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_names_follow_the_pattern(name):
    assert re.fullmatch(r"\d\d_[a-z0-9_]+", name), f"chapters/{name}.md: expected NN_snake_case"
