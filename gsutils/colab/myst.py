"""MyST Markdown -> plain (Jupyter/Colab) Markdown, for the Colab editions.

Directives (backtick or colon fences) become Markdown: admonitions, proofs and any directive this
module does not know become a block quote with a bold title, and what the site folds (dropdowns,
``:class: dropdown``) a ``<details>`` box; exercises and solutions (also gated) are numbered and
titled as on the site (see ``exercises``); figures become an image with a numbered caption; math,
code and raw HTML keep their content. Roles become text or links: glue values as the site shows
them, citations as author-year links, references as their titles or numbers. Plain code blocks and
code spans are left alone. ``leftovers`` finds what would still be MyST.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from . import exercises as sx

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*)$")
DIRECTIVE_INFO = re.compile(r"^\{(?P<name>[A-Za-z][\w.:+-]*)\}\s*(?P<arg>.*)$")
ROLE_OR_CODE = re.compile(r"(?P<role>\{[A-Za-z][\w.:+-]*\})?(?P<ticks>`+)(?P<body>.+?)(?P=ticks)")
TARGET = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$")
COMMENT = re.compile(r"^%")
EQ_LABEL = re.compile(r"\$\$\s*\((?P<label>[^()\s]+)\)\s*$")
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger",
               "error", "seealso", "todo", "admonition"}
QUOTES = {"epigraph", "pull-quote", "highlights", "margin", "sidebar", "topic", "rubric"}
DROPPED = {"tableofcontents", "toctree", "bibliography", "contents", "index", "only", "meta"}
CODE = {"code", "code-block", "sourcecode", "code-cell", "literalinclude"}
LEFTOVER_ROLE = re.compile(r"\{[A-Za-z][\w.:+-]*\}`")
LEFTOVER_DIRECTIVE = re.compile(r"^ {0,3}(`{3,}|~{3,}|:{3,})\s*\{", re.M)
LEFTOVER_TARGET = re.compile(r"^\([^()\s]+\)=\s*$", re.M)


@dataclass
class Context:
    """What the roles need: glue values, labels, citations and how to link another chapter."""

    glue: Callable[[str, str, str], str]  # (role, key, format spec) -> text
    cite: Callable[[str, list[str]], str]  # (role, keys) -> Markdown
    labels: dict[str, dict] = field(default_factory=dict)  # label -> {"title", "number", "kind", "doc"}
    doc_link: Callable[[str], tuple[str, str]] = lambda doc: (doc, doc)  # doc -> (title, url)
    file_url: Callable[[str], str] = lambda path: path  # a repository path -> a URL
    page: str = ""  # the notebook being converted (labels of this page link as #label)
    figures: list = field(default_factory=list)  # this page's, numbered as they come: [label or None]
    figures_before: int = 0  # figures are numbered book-wide: those of the earlier pages
    exercises: int = 0  # numbered exercises so far, book-wide (start: the earlier pages' count)


def leftovers(markdown: str) -> list[str]:
    """MyST roles, directive fences and targets left in `markdown` (outside code)."""
    found = []
    for line in _outside_code(markdown):
        if LEFTOVER_DIRECTIVE.match(line):
            found.append(line.strip())
            continue
        text = ROLE_OR_CODE.sub(lambda r: r.group(0) if r.group("role") else "", line)
        found += LEFTOVER_ROLE.findall(text) + [m.group(0) for m in LEFTOVER_TARGET.finditer(text)]
    return found


def collect_labels(markdown: str, doc: str, counters: dict[str, int], labels: dict[str, dict]) -> None:
    """Add the targets of one Markdown cell to `labels`: sections (`(label)=` before a heading),
    labelled directives (figures, tables, proofs and exercises numbered in order) and labelled
    equations. `counters` carries the numbering across cells (and pages: see `Book`)."""
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        t = TARGET.match(line)
        if t:
            heading = next((h for h in lines[i + 1:] if h.strip()), "")
            labels[t.group("label")] = {"kind": "section", "doc": doc, "number": "",
                                        "title": heading.lstrip("#").strip()}
        m = FENCE.match(line)
        d = DIRECTIVE_INFO.match(m.group("info").strip()) if m else None
        if d:
            name, arg = d.group("name"), d.group("arg").strip()
            options, _ = _options(lines[i + 1:_close(lines, i, m.group("fence"))])
            if name in sx.DIRECTIVES:
                sx.collect(name, arg, options, doc, counters, labels)
                continue
            kind = {"figure": "figure", "table": "table", "list-table": "table", "math": "equation"}.get(name, name)
            label = options.get("label") or options.get("name")
            if kind in ("figure", "table") or label or (kind.startswith("prf:") and "nonumber" not in options):
                counters[kind] = counters.get(kind, 0) + 1
            if label:
                labels[label] = {"kind": kind, "doc": doc, "number": counters[kind],
                                 "title": arg or _title(name)}
        e = EQ_LABEL.search(line)
        if e:
            counters["equation"] = counters.get("equation", 0) + 1
            labels[e.group("label")] = {"kind": "equation", "doc": doc, "title": "",
                                        "number": counters["equation"]}


def _outside_code(markdown: str):
    """The lines of `markdown` outside plain fenced code."""
    lines, i = markdown.splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m and not m.group("info").startswith("{") and m.group("fence")[0] != ":":
            i = _close(lines, i, m.group("fence")) + 1
            continue
        yield lines[i]
        i += 1


def _close(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the fence opened at `start` (the last line when unclosed)."""
    closer = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    for j in range(start + 1, len(lines)):
        if closer.match(lines[j]):
            return j
    return len(lines)


def convert(markdown: str, ctx: Context) -> str:
    """The plain-Markdown form of a MyST Markdown cell."""
    out, lines, i = [], markdown.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if m:
            end = _close(lines, i, m.group("fence"))
            body = lines[i + 1:end]
            d = DIRECTIVE_INFO.match(m.group("info").strip())
            name = d.group("name") if d else ""
            stop = _gate_end(lines, end, sx.GATED[name]) if name in sx.GATED else None
            if stop is not None:  # a gated pair inside this cell: one directive
                body += [""] + lines[end + 1:stop]
                name, end = name[:-len("-start")], _close(lines, stop, FENCE.match(lines[stop]).group("fence"))
            if d:
                out.append(_directive(name, d.group("arg").strip(), body, ctx))
            else:  # a plain code block: verbatim
                out += lines[i:end + 1]
            i = end + 1
            continue
        t = TARGET.match(line)
        if t:
            out.append(f'<a id="{t.group("label")}"></a>')
        elif not COMMENT.match(line):
            out.append(_inline(_equation_label(line, ctx), ctx))
        i += 1
    return "\n".join(out)


def _gate_end(lines: list[str], start: int, end_name: str) -> int | None:
    """Index of the `{end_name}` fence after line `start`, or None."""
    for j in range(start + 1, len(lines)):
        m = FENCE.match(lines[j])
        d = DIRECTIVE_INFO.match(m.group("info").strip()) if m else None
        if d and d.group("name") == end_name:
            return j
    return None


def _equation_label(line: str, ctx: Context) -> str:
    """`$$ ... $$ (label)` -> the equation tagged with its number."""
    m = EQ_LABEL.search(line)
    if not m:
        return line
    number = ctx.labels.get(m.group("label"), {}).get("number", "")
    return line[:m.start()] + (f"\\tag{{{number}}} $$" if number else "$$")


def _options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split a directive body into its options (`:key: value` lines or a `---` YAML block) and
    its content."""
    options, i = {}, 0
    if body and body[0].strip() == "---":
        end = next((j for j in range(1, len(body)) if body[j].strip() == "---"), len(body))
        for line in body[1:end]:
            key, _, value = line.partition(":")
            options[key.strip()] = value.strip()
        i = end + 1
    else:
        while i < len(body) and re.match(r"^\s*:[\w-]+:", body[i]):
            key, _, value = body[i].strip()[1:].partition(":")
            options[key.strip()] = value.strip()
            i += 1
    while i < len(body) and not body[i].strip():
        i += 1
    return options, body[i:]


def _quote(title: str, content: str) -> str:
    lines = ([f"**{title}**", ""] if title else []) + content.splitlines()
    return "\n".join(f"> {line}".rstrip() for line in lines)


def _title(name: str) -> str:
    """'prf:theorem' -> 'Theorem'; 'my-box' -> 'My box'."""
    return name.split(":")[-1].replace("-", " ").replace("_", " ").capitalize()


def _directive(name: str, arg: str, body: list[str], ctx: Context) -> str:
    options, content = _options(body)
    text = convert("\n".join(content), ctx)
    label = options.get("label") or options.get("name")
    anchor = f'<a id="{label}"></a>\n' if label else ""
    if name in DROPPED:
        return ""
    if name in ADMONITIONS:
        title = _inline(arg, ctx) if name == "admonition" else _title(name) + (f": {_inline(arg, ctx)}" if arg else "")
        return anchor + (sx.details(title, text) if sx.folded(options) else _quote(title, text))
    if name == "dropdown":  # sphinx-design
        return anchor + sx.details(_inline(arg, ctx) or "Details", text, shut="open" not in options)
    if name in CODE:
        return "```" + (arg.split()[0] if arg else "") + "\n" + "\n".join(content) + "\n```"
    if name == "math":
        number = ctx.labels.get(label, {}).get("number", "") if label else ""
        tag = f" \\tag{{{number}}}" if number else ""
        return anchor + "$$\n" + "\n".join(content).strip() + tag + "\n$$"
    if name == "raw":
        return "\n".join(content) if arg.strip() in ("html", "markdown") else ""
    if name in ("figure", "image"):
        image = f"![{options.get('alt', '')}]({ctx.file_url(arg)})"
        if name == "image":
            return image
        ctx.figures.append(label)
        number = ctx.figures_before + len(ctx.figures)
        return anchor + image + (f"\n\n*Fig. {number}: {text.strip()}*" if text.strip() else "")
    if name in ("table", "list-table"):
        return anchor + (f"**{_inline(arg, ctx)}**\n\n" if arg else "") + text
    if name in QUOTES:
        return anchor + _quote(_inline(arg, ctx), text)
    if name in sx.DIRECTIVES:
        return anchor + sx.render(name, arg, options, text, ctx, lambda t: _inline(t, ctx))
    # prf:*, dropdown, card, tab-set... and anything new: a bold title + body
    title = _title(name) + (f" ({_inline(arg, ctx)})" if arg else "")
    return anchor + _quote(title, text)


def _inline(line: str, ctx: Context) -> str:
    def role(m: re.Match) -> str:
        if not m.group("role"):
            return m.group(0)  # a code span
        return _role(m.group("role")[1:-1], m.group("body"), ctx)

    return ROLE_OR_CODE.sub(role, line)


def _split_explicit(body: str) -> tuple[str, str]:
    """'text <target>' -> (text, target); 'target' -> ('', target)."""
    m = EXPLICIT.match(body.strip())
    return (m.group("text").strip(), m.group("target").strip()) if m else ("", body.strip())


def _role(name: str, body: str, ctx: Context) -> str:
    if name in ("glue", "glue:text", "glue:any", "glue:md"):
        key, _, spec = body.partition(":") if name == "glue:text" else (body, "", "")
        return ctx.glue(name, key.strip(), spec.strip())
    if name == "cite" or name.startswith("cite:") or name in ("footcite", "footcite:t"):
        return ctx.cite(name, [k.strip() for k in body.split(",") if k.strip()])
    if name == "math":
        return f"${body}$"
    if name in ("sub", "sup"):
        return f"<{name}>{body}</{name}>"
    if name in ("ref", "numref", "eq", "prf:ref", "doc", "download", "any"):
        return _reference(name, body, ctx)
    text, _ = _split_explicit(body)  # abbr, term, kbd, index, guilabel and unknown roles: the text
    return text or body


def _reference(name: str, body: str, ctx: Context) -> str:
    text, target = _split_explicit(body)
    if name == "doc":
        title, url = ctx.doc_link(target)
        return f"[{text or title}]({url})"
    if name == "download":
        return f"[{text or target.rsplit('/', 1)[-1]}]({ctx.file_url(target)})"
    info = ctx.labels.get(target)
    if info is None:
        return text or target
    number = str(info.get("number", ""))
    if info["kind"] == "solution":  # not numbered: the site shows its title
        shown = text or f"Solution to {sx.exercise_name(info['target'], ctx.labels, lambda t: _inline(t, ctx))}"
    elif name == "eq":
        shown = f"({number})"
    elif name == "numref":
        template = text or {"figure": "Fig. %s", "table": "Table %s", "equation": "Eq. %s",
                            "section": "Section %s"}.get(info["kind"], _title(info["kind"]) + " %s")
        shown = template.replace("%s", number).replace("{number}", number).replace(
            "{name}", info.get("title", ""))
    else:
        shown = text or info.get("title") or target
    if info.get("doc") == ctx.page:
        return f"[{shown}](#{target})"
    _, url = ctx.doc_link(info["doc"])
    return f"[{shown}]({url})"
