"""A student's answer as safe HTML: markdown without raw HTML, evidence marked, code
highlighted, screenshots only from the submission.

Reports are untrusted. markdown-it's ``js-default`` preset leaves raw HTML as text, and
every rule that writes HTML here escapes what it writes: a ``<script>`` in a report is
shown, never run. Links keep only ``http``, ``https`` and ``mailto`` targets and open
without referrer; image syntax never loads a URL: each image reference is replaced by
the screenshot the parser resolved inside the submission (or a note saying why not).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from markupsafe import Markup

from grader.models import IMAGE_MARKUP, Answer, CodeBlock, CodeOrigin
from grader.render.code import highlight_code
from grader.render.images import Shot

_PLACEHOLDER = "#grader-img-"
_WRAPPERS = re.compile(r"</?(?:p|div|center|figure|picture|span|br)\b[^>]*>", re.IGNORECASE)
"""Layout tags that students (and GitHub's editor) put around a screenshot."""
_FOLDS = re.compile(r"</?(?:details|summary)\b[^>]*>", re.IGNORECASE)
"""A collapsible section's tags (GitHub readers fold answers in them): layout, not
the student's words."""
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
MAX_MARKS = 40
"""Evidence strings highlighted per answer, longest first; more would mark everything."""


def marks_pattern(texts: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for the evidence strings (whitespace-tolerant)."""
    cleaned = {" ".join(t.split()) for t in texts}
    cleaned = {t for t in cleaned if len(t) >= 2}
    if not cleaned:
        return None
    return _marks(tuple(sorted(cleaned, key=lambda t: (-len(t), t))[:MAX_MARKS]))


@lru_cache(maxsize=1024)
def _marks(ordered: tuple[str, ...]) -> re.Pattern[str]:
    """Compiled once per set of evidence: many students match the same commands and
    snippets, and ``re``'s own cache is too small for a class."""
    parts = [r"\s+".join(re.escape(word) for word in text.split()) for text in ordered]
    return re.compile("|".join(parts), re.IGNORECASE)


def highlight_text(text: str, pattern: re.Pattern[str] | None) -> str:
    """Escaped ``text`` with every match of ``pattern`` in ``<mark>``."""
    if pattern is None:
        return escapeHtml(text)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        out.append(escapeHtml(text[last:match.start()]))
        out.append(f"<mark>{escapeHtml(match.group(0))}</mark>")
        last = match.end()
    out.append(escapeHtml(text[last:]))
    return "".join(out)


def _in_code_span(line: str, position: int) -> bool:
    return line.count("`", 0, position) % 2 == 1


def prepare_source(answer: Answer, shots: Sequence[Shot]) -> tuple[str, dict[int, Shot]]:
    """The answer's markdown with the lab statement's lines blanked (line numbers kept)
    and each image reference replaced by a placeholder bound to its ``Shot``."""
    first = answer.lines[0]
    lines = answer.text.split("\n")
    prompt = set(answer.prompt_lines)
    code_lines = {n for block in answer.code_blocks
                  if block.origin in (CodeOrigin.FENCED, CodeOrigin.INDENTED)
                  for n in range(block.lines[0], block.lines[1] + 1)}
    unused = list(shots)
    placed: dict[int, Shot] = {}
    for index, line in enumerate(lines):
        number = first + index
        if number in prompt:
            lines[index] = ""
            continue
        if number in code_lines or ("!" not in line and "<" not in line.lower()):
            continue
        if "`" not in line and _FOLDS.search(line):  # "<summary>Question 2.a</summary>"
            line = lines[index] = _FOLDS.sub("", line)
        if ("<" in line and not _WRAPPERS.sub("", IMAGE_MARKUP.sub("", line)).strip()
                and _by_image(lines, index)):
            # GitHub's <p align="center"> around a screenshot: layout, not the student's
            # words (raw HTML is shown as text, so the tags would show around it).
            line = _WRAPPERS.sub("", line)

        def replace(match: re.Match[str], number: int = number, line: str = line) -> str:
            if _in_code_span(line, match.start()):
                return match.group(0)
            shot = next((s for s in unused if s.ref.line == number
                         and s.ref.src and s.ref.src in match.group(0)), None)
            if shot is None:  # left as written: raw HTML stays text, ``![]()`` never loads
                return match.group(0)
            unused.remove(shot)
            placed[len(placed)] = shot
            return f"![]({_PLACEHOLDER}{len(placed) - 1})"

        lines[index] = IMAGE_MARKUP.sub(replace, line)
    return "\n".join(lines), placed


def _by_image(lines: Sequence[str], index: int) -> bool:
    """The line holds an image, or is next to one (``<p align="center">`` on its own line
    above a screenshot, ``</p>`` below it)."""
    return any(IMAGE_MARKUP.search(lines[k]) for k in (index - 1, index, index + 1)
               if 0 <= k < len(lines))


class _Env(dict[str, Any]):
    """Per-render state handed to markdown-it's rules."""


def _text(self: Any, tokens: list[Token], idx: int, options: Any, env: _Env) -> str:
    return highlight_text(tokens[idx].content, env.get("marks"))


def _code_inline(self: Any, tokens: list[Token], idx: int, options: Any, env: _Env) -> str:
    return f"<code>{highlight_text(tokens[idx].content, env.get('marks'))}</code>"


def _code_block(self: Any, tokens: list[Token], idx: int, options: Any, env: _Env) -> str:
    token = tokens[idx]
    first_line = env["first_line"] + (token.map[0] if token.map else 0)
    block: CodeBlock | None = env["blocks"].get(first_line)
    info = token.info.strip().split()[0] if token.info.strip() else None
    return str(highlight_code(token.content, info=info, kind=block.kind if block else None,
                              marks=env.get("marks")))


def _image(self: Any, tokens: list[Token], idx: int, options: Any, env: _Env) -> str:
    src = str(tokens[idx].attrGet("src") or "")
    shots: Mapping[int, Shot] = env["shots"]
    if src.startswith(_PLACEHOLDER) and src[len(_PLACEHOLDER):].isdigit():
        shot = shots.get(int(src[len(_PLACEHOLDER):]))
        if shot is not None:
            return str(env["thumbnail"](shot))
    # Not a screenshot we resolved: never loaded, only named.
    alt = tokens[idx].content.strip()
    return escapeHtml(f"[image : {alt}]" if alt else "[image]")


def _link_open(self: Any, tokens: list[Token], idx: int, options: Any, env: _Env) -> str:
    href = str(tokens[idx].attrGet("href") or "").strip()
    allowed = href.lower().startswith(_SAFE_SCHEMES)
    env.setdefault("links", []).append(allowed)
    if not allowed:
        return '<span class="link-off">'
    return (f'<a href="{escapeHtml(href)}" rel="noopener noreferrer nofollow" '
            'target="_blank">')


def _link_close(self: Any, tokens: list[Token], idx: int, options: Any, env: _Env) -> str:
    links: list[bool] = env.get("links", [])
    allowed = links.pop() if links else False
    return "</a>" if allowed else "</span>"


def _heading_open(self: Any, tokens: list[Token], idx: int, options: Any, env: _Env) -> str:
    # The student's headings would break the page's outline (h1 > h2 > h3): shown as text.
    return '<p class="md-heading"><strong>'


def _heading_close(self: Any, tokens: list[Token], idx: int, options: Any, env: _Env) -> str:
    return "</strong></p>\n"


def _raw_html(self: Any, tokens: list[Token], idx: int, options: Any, env: _Env) -> str:
    return escapeHtml(tokens[idx].content)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("js-default", {"html": False, "linkify": False})
    rules = {
        "text": _text, "code_inline": _code_inline, "fence": _code_block,
        "code_block": _code_block, "image": _image, "link_open": _link_open,
        "link_close": _link_close, "heading_open": _heading_open,
        "heading_close": _heading_close, "html_block": _raw_html, "html_inline": _raw_html,
    }
    for name, rule in rules.items():
        md.add_render_rule(name, rule)
    return md


_MD = _markdown()


def render_markdown(source: str, *, first_line: int = 1, marks: re.Pattern[str] | None = None,
                    shots: Mapping[int, Shot] | None = None,
                    blocks: Iterable[CodeBlock] = (),
                    thumbnail: Any = None) -> Markup:
    """Safe HTML for a piece of student markdown.

    ``first_line`` is the report line of the source's first line (code blocks are
    matched to the parser's ``CodeBlock`` by line to pick a highlighter); ``thumbnail``
    turns a placeholder's ``Shot`` into HTML (the template's macro)."""
    env = _Env(marks=marks, first_line=first_line, shots=dict(shots or {}),
               blocks={b.lines[0]: b for b in blocks},
               thumbnail=thumbnail or (lambda shot: escapeHtml(f"[{shot.label}]")))
    return Markup(_MD.render(source, env))
