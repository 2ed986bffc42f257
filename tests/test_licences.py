"""The book can be reused for teaching: its licences exist, agree everywhere, and it says how to cite it.

Code under MIT (LICENSE), text and figures under CC BY 4.0 (LICENSES/CC-BY-4.0.txt); CITATION.cff,
the BibTeX block of the introduction and the site's footer must agree with them and with each other.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

import gsutils

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
CFF = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf8"))


def test_licence_files_hold_the_licences_they_name():
    mit = (ROOT / "LICENSE").read_text(encoding="utf8")
    assert mit.startswith("MIT License") and "Permission is hereby granted, free of charge" in mit
    cc = (ROOT / "LICENSES" / "CC-BY-4.0.txt").read_text(encoding="utf8")
    assert "Creative Commons Attribution 4.0 International Public License" in cc


def test_citation_cff_has_the_required_fields_and_agrees_with_the_book():
    for key in ("cff-version", "message", "title", "authors"):  # required by CFF 1.2.0
        assert CFF.get(key), f"CITATION.cff lacks {key!r}"
    assert CFF["cff-version"] == "1.2.0"
    assert CFF["title"] == CONFIG["title"]
    assert CFF["license"] == ["MIT", "CC-BY-4.0"]  # SPDX identifiers of the two licence files
    assert CFF["repository-code"] == gsutils.REPO_URL
    assert all(a.get("name") or a.get("family-names") for a in CFF["authors"])
    paper = CFF["references"][0]
    assert paper["url"] == "https://arxiv.org/abs/2011.09468" and len(paper["authors"]) == 6


def test_the_introductions_bibtex_matches_citation_cff():
    intro = (ROOT / "chapters" / "01_introduction.md").read_text(encoding="utf8")
    block = re.search(r"```bibtex\n(.*?)```", intro, re.S)
    assert block, "the introduction has no BibTeX block"
    fields = dict(re.findall(r"(\w+)\s*=\s*\{(.*)\},?\n", block.group(1)))
    assert fields["title"] == CFF["title"]
    assert str(CFF["date-released"]).startswith(fields["year"])
    assert gsutils.REPO_URL in fields["howpublished"]


def test_every_page_footer_states_both_licences():
    footer = CONFIG["html"]["extra_footer"]  # on every page of the site
    assert "MIT licence" in footer and "CC BY 4.0" in footer
    assert f"{gsutils.REPO_URL}/blob/main/LICENSE" in footer
    assert f"{gsutils.REPO_URL}/blob/main/LICENSES/CC-BY-4.0.txt" in footer
