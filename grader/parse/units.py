"""Cut a report into small units (lines of prose, whole code blocks) with line maps.

markdown-it gives the block structure (fences, indented code, headings, quotes,
lists, HTML) with a line map for each block; this module refines it into the
units the question alignment works on: every prose line is its own unit (a
student's paragraph often holds a command, a screenshot and an explanation
that belong to two questions), while a code block, a table or an HTML block
stays whole. Unfenced code found by its shape becomes a code unit too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from markdown_it import MarkdownIt

from grader.models import CodeBlock, CodeKind, CodeOrigin
from grader.parse.code import CodeRun, classify_code, find_code_runs, rebuild_compose
from grader.parse.markers import Marker, MarkerKind, read_marker

_MD = MarkdownIt("commonmark", {"html": True}).enable("table").disable("inline")
"""Only the block structure is needed here; inline parsing would cost half the time."""
_MAX_LINE = 5000
"""Longer lines are cut for marker detection (a pasted minified file)."""


class UnitKind(StrEnum):
    HEADING = "heading"
    TEXT = "text"
    CODE = "code"
    TABLE = "table"
    HTML = "html"
    RULE = "rule"


@dataclass(slots=True)
class Unit:
    """A piece of the report: 0-based inclusive line range and what it holds."""

    kind: UnitKind
    start: int
    end: int
    text: str
    quoted: bool = False
    heading_level: int = 0
    marker: Marker | None = None
    code: CodeBlock | None = None
    prompt_of: str | None = None
    """Id of the question whose statement text this unit copies, if any."""
    is_prompt: bool = False
    """True when the unit is statement text (of a question or of an exercise intro)."""
    is_title: bool = False
    """The report's own title (its first line, a level-1 heading): never an answer."""
    prompt_by_title: bool = False
    """The unit only matched a question's title: a retyped title, not pasted statement."""
    notes: list[str] = field(default_factory=list)

    @property
    def is_structural(self) -> bool:
        return self.kind is UnitKind.HEADING or self.marker is not None


@dataclass(frozen=True, slots=True)
class _Block:
    kind: str
    start: int
    end: int  # exclusive
    quoted: bool
    info: str = ""
    level: int = 0


@lru_cache(maxsize=16)
def _blocks(text: str) -> tuple[_Block, ...]:
    """Leaf blocks of the markdown document with their line ranges, in order."""
    out: list[_Block] = []
    pending = [(text, 0, False)]  # (markdown, its first line in the document, quoted)
    while pending:
        chunk, offset, quoted_within = pending.pop()
        blocks, rests = _leaf_blocks(chunk, offset, quoted_within)
        out.extend(blocks)
        pending.extend(rests)
    out.sort(key=lambda b: (b.start, b.end))
    return tuple(out)


def _leaf_blocks(text: str, offset: int, quoted_within: bool
                 ) -> tuple[list[_Block], list[tuple[str, int, bool]]]:
    """Leaf blocks of ``text``, whose first line is line ``offset`` of the document
    (inside a quote when ``quoted_within``), and the markdown found inside its HTML
    blocks, to be parsed in turn: (text, its first line, quoted)."""
    out: list[_Block] = []
    rests: list[tuple[str, int, bool]] = []
    quote_depth = 0
    skip_until = -1
    lines: list[str] | None = None
    for token in _MD.parse(text):
        if token.type == "blockquote_open":
            quote_depth += 1
        elif token.type == "blockquote_close":
            quote_depth -= 1
        if token.map is None:
            continue
        start, end = token.map
        if start < skip_until:
            continue
        quoted = quoted_within or quote_depth > 0
        at, to = start + offset, end + offset
        if token.type == "heading_open":
            out.append(_Block("heading", at, to, quoted, info=token.markup,
                              level=int(token.tag[1])))
        elif token.type == "paragraph_open":
            out.append(_Block("paragraph", at, to, quoted))
        elif token.type == "fence":
            out.append(_Block("fence", at, to, quoted, info=token.info.strip()))
        elif token.type == "code_block":
            out.append(_Block("indented", at, to, quoted))
        elif token.type == "html_block":
            lines = text.split("\n") if lines is None else lines
            position = start
            while position < end:
                groups, cut = _html_split(lines, position, end, quoted)
                out.extend(_Block("html", a + offset, b + offset, quoted) for a, b in groups)
                if cut >= end:
                    break
                # Student text right after a tag line, with no blank line between: the
                # HTML block runs on to the next blank line, but what follows the tags
                # is markdown (a label, an answer), as the student meant it, up to the
                # next tag line. Each line is parsed once.
                position = next((i for i in range(cut, end)
                                 if _unquote(lines[i], quoted).lstrip().startswith("<")), end)
                rests.append((_dedent("\n".join(lines[cut:position])), cut + offset, quoted))
        elif token.type == "table_open":
            out.append(_Block("table", at, to, quoted))
            skip_until = end
        elif token.type == "hr":
            out.append(_Block("rule", at, to, quoted))
    return out, rests


_RAW_HTML = re.compile(r"^\s*(?:>\s*)*<(?:pre|script|style|textarea|!|\?)", re.IGNORECASE)
"""HTML blocks whose lines are the tag's own content (code, comments), never markdown."""
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)")
_DETAILS = re.compile(r"^\s*<details\b[^>]*>\s*$", re.IGNORECASE)
_VOID = frozenset({"img", "br", "hr", "source", "input", "wbr", "meta", "link", "area", "col",
                   "embed", "track", "param", "base"})
_RAW_ELEMENTS = frozenset({"pre", "script", "style", "textarea"})


class _HtmlScan:
    """Where a line of HTML leaves us: inside a tag, a comment, a raw element (``<pre>``),
    or how many elements deep."""

    __slots__ = ("depth", "in_comment", "in_tag", "pending_raw", "raw")

    def __init__(self) -> None:
        self.depth = 0
        self.in_tag = self.in_comment = False
        self.raw: str | None = None
        self.pending_raw: str | None = None

    @property
    def closed(self) -> bool:
        return (self.depth <= 0 and not self.in_tag and not self.in_comment
                and self.raw is None)

    def feed(self, line: str) -> None:
        pos, lower = 0, line.lower()
        while pos < len(line):
            if self.in_comment:
                found = line.find("-->", pos)
                if found < 0:
                    return
                self.in_comment, pos = False, found + 3
            elif self.raw is not None:
                found = lower.find(f"</{self.raw}", pos)
                if found < 0:
                    return
                self.raw, self.in_tag, self.depth = None, True, self.depth - 1
                pos = found + 2
            elif self.in_tag:
                found = line.find(">", pos)
                if found < 0:
                    return
                self.in_tag, pos = False, found + 1
                self.raw, self.pending_raw = self.pending_raw, None
            else:
                pos = line.find("<", pos)  # text between tags: skipped at C speed
                if pos < 0:
                    return
                if line.startswith("<!--", pos):
                    self.in_comment, pos = True, pos + 4
                    continue
                match = _TAG.match(line, pos)
                if match is None:
                    pos += 1
                    continue
                name = match.group(2).lower()
                if match.group(1):
                    self.depth -= 1
                elif name not in _VOID:
                    self.depth += 1
                    if name in _RAW_ELEMENTS:
                        self.pending_raw = name
                self.in_tag, pos = True, match.end()


def _html_split(lines: list[str], start: int, end: int, quoted: bool
                ) -> tuple[list[tuple[int, int]], int]:
    """An HTML block's elements as line ranges, and where its tags end: the first line,
    after the first, outside every element, comment and tag, that does not start one
    (``end`` when there is none). A line that closes every tag it opens (``<img …>``,
    ``<p align="center"><img …></p>``) is an element of its own, so that screenshots one
    per line are one unit each, as their markdown form is."""
    if _RAW_HTML.match(lines[start]):
        return [(start, end)], end
    scan = _HtmlScan()
    groups: list[tuple[int, int]] = []
    first = start
    section = 0  # the depth inside a <details> opened alone on its line, else 0
    for i in range(start, end):
        line = _unquote(lines[i], quoted)
        if i > start and scan.closed and line.strip() and not line.lstrip().startswith("<"):
            if first < i:
                groups.append((first, i))
            return groups, i
        opening = first == i and scan.depth == section
        scan.feed(line)
        if scan.closed:
            groups.append((first, i + 1))
            first, scan.depth, section = i + 1, 0, 0
        elif opening and not section and _DETAILS.match(line):
            # A collapsible section opened alone on its line: what it holds stays in the
            # block, but its <summary> line, the section's title (often a label), is an
            # element of its own, as a one-line <details><summary> is.
            groups.append((i, i + 1))
            first, section = i + 1, scan.depth
        elif opening and section and scan.depth == section and line.lstrip().startswith("<") \
                and not (scan.in_tag or scan.in_comment or scan.raw is not None):
            groups.append((i, i + 1))
            first = i + 1
    if first < end:
        groups.append((first, end))
    return groups, end


@lru_cache(maxsize=16)
def _code_runs(lines: tuple[str, ...], skip: tuple[int, ...]) -> list[CodeRun]:
    """Unfenced code of a text; cached: a report is parsed once per known lab."""
    return find_code_runs(lines, skip)


def _unclosed(block: _Block, lines: list[str]) -> bool:
    """A fence that runs to the end of the document because the student never closed it."""
    content_end = len(lines)
    while content_end > 0 and not lines[content_end - 1].strip():
        content_end -= 1
    if block.end < content_end:
        return False
    last_index = min(block.end, content_end) - 1
    if last_index <= block.start:
        return True
    last = lines[last_index].strip().lstrip(">").strip()
    return not (last.startswith("```") or last.startswith("~~~"))


def build_units(text: str) -> list[Unit]:
    lines = text.split("\n")
    blocks = _blocks(text)
    code_lines: set[int] = set()
    units: list[Unit] = []
    prose: list[tuple[int, bool, str, int]] = []  # (line, quoted, block kind, heading level)
    for block in blocks:
        if block.kind in ("fence", "indented"):
            if block.kind == "fence" and _unclosed(block, lines):
                # Treat the rest as prose so that later answers are not swallowed.
                prose.extend((i, block.quoted, "paragraph", 0)
                             for i in range(block.start, block.end))
                continue
            code_lines.update(range(block.start, block.end))
            body_start, body_end = block.start, block.end
            if block.kind == "fence":
                body_start, body_end = block.start + 1, max(block.start + 1, block.end - 1)
            body = "\n".join(_unquote(lines[i], block.quoted) for i in range(body_start, body_end))
            if block.kind == "indented":
                body = _dedent(body)
            units.append(_code_unit(body, block.start, block.end - 1, block.quoted,
                                    CodeOrigin.FENCED if block.kind == "fence"
                                    else CodeOrigin.INDENTED, block.info or None))
        elif block.kind == "table" and (rows := _answer_rows(block, lines)):
            units.extend(rows)
        elif block.kind == "html" and (label := _html_label(block, lines)) is not None:
            units.append(label)
        elif block.kind in ("table", "html", "rule"):
            other = {"table": UnitKind.TABLE, "html": UnitKind.HTML,
                     "rule": UnitKind.RULE}[block.kind]
            units.append(Unit(other, block.start, block.end - 1,
                              "\n".join(lines[block.start:block.end]), quoted=block.quoted))
        else:
            end = block.end
            if block.info in ("=", "-") and read_marker(lines[block.start][:_MAX_LINE],
                                                        is_heading=True) is not None:
                end -= 1  # a setext label's underline is no heading of its own
            prose.extend((i, block.quoted, block.kind, block.level)
                         for i in range(block.start, end))
    prose_lines = {i for i, *_ in prose}
    skip = [i for i in range(len(lines)) if i not in prose_lines and lines[i].strip()]
    plain_lines = [_unquote(line, True) for line in lines]
    runs = _code_runs(tuple(plain_lines), tuple(skip))
    in_run: dict[int, int] = {}
    for index, run in enumerate(runs):
        for i in range(run.start, run.end + 1):
            in_run[i] = index
    emitted_runs: set[int] = set()
    for i, quoted, kind, level in prose:
        line = lines[i]
        if not line.strip():
            continue
        if i in in_run:
            index = in_run[i]
            if index in emitted_runs:
                continue
            emitted_runs.add(index)
            run = runs[index]
            body = "\n".join(plain_lines[run.start:run.end + 1])
            unit = _code_unit(body, run.start, run.end, quoted, CodeOrigin.UNFENCED, None,
                              kind_hint=run.kind)
            units.append(unit)
            continue
        is_heading = kind == "heading"
        marker = read_marker(line[:_MAX_LINE], is_heading=is_heading)
        units.append(Unit(UnitKind.HEADING if is_heading else UnitKind.TEXT, i, i, line,
                          quoted=quoted, heading_level=level if is_heading else 0, marker=marker))
    units.sort(key=lambda u: (u.start, u.end))
    if units and units[0].kind is UnitKind.HEADING and units[0].heading_level == 1 \
            and units[0].marker is None:
        units[0].is_title = True
    return units


HTML_TAG = re.compile(r"<[^>]*>")
"""A tag, to read the words of an HTML line."""
_HTML_HEADING = re.compile(r"^\s*(?:>\s*)*<h([1-6])\b", re.IGNORECASE)
_HTML_LABELS = (MarkerKind.QUESTION, MarkerKind.EXERCISE)


def _html_label(block: _Block, lines: list[str]) -> Unit | None:
    """A one-line HTML element that is a label (``<h3>Question 2.a</h3>``,
    ``<summary>Question 2.a</summary>``, ``<div class="alert"><b>Exercice 2</b></div>``):
    a heading or text unit with its marker. Screenshots and layout stay HTML."""
    if block.end - block.start != 1:
        return None
    line = lines[block.start]
    words = HTML_TAG.sub(" ", _unquote(line, block.quoted)).strip()
    if not words or len(words) > _MAX_LINE:
        return None
    heading = _HTML_HEADING.match(line)
    marker = read_marker(words, is_heading=heading is not None)
    if (marker is None or marker.kind not in _HTML_LABELS
            or not all(sub.isalpha() for sub in marker.subs)):  # "<p>Q12</p>" is no 1.2
        return None
    if heading is None:
        return Unit(UnitKind.TEXT, block.start, block.start, line, quoted=block.quoted,
                    marker=marker)
    return Unit(UnitKind.HEADING, block.start, block.start, line, quoted=block.quoted,
                heading_level=int(heading.group(1)), marker=marker)


_FIRST_CELL = re.compile(r"^\s*\|?\s*((?:[^|\\]|\\.)*?)\s*\|(.*?)\|?\s*$")
_ROW_LABELS = (MarkerKind.QUESTION, MarkerKind.LETTER)


def _answer_rows(block: _Block, lines: list[str]) -> list[Unit]:
    """A table that answers one question per row (``| 2.a | Une image est … |``): its
    header a table unit, each body row a text unit labelled by its first cell. Empty for
    any other table (commands and what they do, a comparison): those stay one unit.
    Explicit ids (``2.a``) label a table at once; bare letters need two rows, most of
    them labelled; most labelled rows must hold an answer (four words or a screenshot),
    not a checklist's "fait"."""
    rows: list[tuple[int, Marker | None]] = []
    for i in range(block.start + 2, block.end):
        cells = _FIRST_CELL.match(_unquote(lines[i], block.quoted))
        marker = None
        if cells and cells.group(1):
            marker = read_marker(f"{cells.group(1)} : {cells.group(2).strip()}"[:_MAX_LINE],
                                 is_heading=False)
            if marker is not None and marker.kind not in _ROW_LABELS:
                marker = None
        rows.append((i, marker))
    labelled = [m for _, m in rows if m is not None]
    explicit = any(m.kind is MarkerKind.QUESTION for m in labelled)
    if not labelled or 2 * len(labelled) < len(rows) or (not explicit and len(labelled) < 2):
        return []
    answered = sum(len(m.rest.split()) >= 4 or "![" in m.rest or "<img" in m.rest
                   for m in labelled)
    if 2 * answered < len(labelled):  # a checklist: "| 2.a | fait |"
        return []
    header = Unit(UnitKind.TABLE, block.start, block.start + 1,
                  "\n".join(lines[block.start:block.start + 2]), quoted=block.quoted)
    return [header, *(Unit(UnitKind.TEXT, i, i, lines[i], quoted=block.quoted, marker=marker)
                      for i, marker in rows)]


def _code_unit(body: str, start: int, end: int, quoted: bool, origin: CodeOrigin,
               info: str | None, kind_hint: CodeKind | None = None) -> Unit:
    kind = classify_code(body, info)
    if kind_hint is not None and kind is CodeKind.TEXT:
        kind = kind_hint
    repaired = rebuild_compose(body) if kind in (CodeKind.COMPOSE, CodeKind.YAML) else None
    if repaired is not None:
        kind = CodeKind.COMPOSE
    block = CodeBlock(kind=kind, text=body, lines=(start + 1, end + 1), origin=origin, info=info,
                      repaired=repaired, quoted=quoted)
    return Unit(UnitKind.CODE, start, end, body, quoted=quoted, code=block)


def _unquote(line: str, quoted: bool) -> str:
    if not quoted:
        return line
    stripped = line.lstrip()
    while stripped.startswith(">"):
        stripped = stripped[1:]
        if stripped.startswith(" "):
            stripped = stripped[1:]
    return stripped


def _dedent(body: str) -> str:
    lines = body.split("\n")
    widths = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(line[cut:] for line in lines)
