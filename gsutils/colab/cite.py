"""Citations of the Colab editions: `{cite}` roles -> author-year links, from references.bib.

The link is the entry's DOI, else its URL, else its arXiv identifier; an entry with none of them is
cited as plain text. Authors are written as the site writes them (author_year style): one or two
family names, or the first one and "et al.".
"""

from __future__ import annotations

from pathlib import Path

TEXTUAL = {"cite:t", "cite:ts", "cite:ct", "cite:cts", "footcite:t"}
AUTHOR_ONLY = {"cite:author", "cite:authors", "cite:cauthor", "cite:cauthors"}
YEAR_ONLY = {"cite:year", "cite:cyear"}


def read_bib(path: str | Path) -> dict[str, dict[str, str]]:
    """key -> {"authors", "year", "url"} for every entry of a BibTeX file."""
    from pybtex.database import parse_file
    from pybtex.richtext import Text

    entries = {}
    for key, entry in parse_file(str(path)).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [" ".join(Text.from_latex(part).render_as("text")
                          for part in p.prelast_names + p.last_names) for p in people]
        if len(names) > 2:
            authors = f"{names[0]} et al."
        else:
            authors = " and ".join(names) or Text.from_latex(entry.fields.get("title", key)).render_as("text")
        f = entry.fields
        url = (f"https://doi.org/{f['doi']}" if f.get("doi") else f.get("url")
               or (f"https://arxiv.org/abs/{f['eprint']}" if f.get("eprint") else ""))
        entries[key] = {"authors": authors, "year": f.get("year", "n.d."), "url": url}
    return entries


def cite(entries: dict[str, dict[str, str]], role: str, keys: list[str]) -> str:
    """The Markdown of one citation role, e.g. '([Pezeshki et al., 2021](https://...))'."""
    unknown = [k for k in keys if k not in entries]
    if unknown:
        raise KeyError(f"citation key(s) {unknown} not in references.bib")
    parts = []
    for key in keys:
        e = entries[key]
        if role in TEXTUAL:
            shown = f"{e['authors']} ({e['year']})"
        elif role in AUTHOR_ONLY:
            shown = e["authors"]
        elif role in YEAR_ONLY:
            shown = e["year"]
        else:
            shown = f"{e['authors']}, {e['year']}"
        parts.append(f"[{shown}]({e['url']})" if e["url"] else shown)
    if role in TEXTUAL or role in AUTHOR_ONLY or role in YEAR_ONLY:
        return ", ".join(parts)
    return "(" + "; ".join(parts) + ")"
