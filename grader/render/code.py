"""Syntax highlighting of the student's code with pygments: escaped, classes only.

Pygments escapes the code it tokenises; colours come from CSS classes whose rules are
inlined in the page (``pygments_css``), so no stylesheet is ever fetched. Lines that
hold evidence a criterion matched get pygments' ``hll`` highlight.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from grader.models import CodeKind, FileKind

MAX_HIGHLIGHT_CHARS = 30_000
"""Longer code (a pasted log) is shown escaped but not tokenised, to keep pages fast."""
CSS_CLASS = "hl"

_LEXER_BY_KIND = {
    CodeKind.DOCKERFILE: "docker", CodeKind.COMPOSE: "yaml", CodeKind.PYTHON: "python",
    CodeKind.SHELL: "bash", CodeKind.CONSOLE: "console", CodeKind.SQL: "sql",
    CodeKind.YAML: "yaml", CodeKind.JSON: "json", CodeKind.TREE: "text",
    CodeKind.TEXT: "text",
}
_LEXER_BY_FILE = {
    FileKind.DOCKERFILE: "docker", FileKind.COMPOSE: "yaml", FileKind.PYTHON: "python",
    FileKind.REQUIREMENTS: "text", FileKind.YAML: "yaml",
}


@lru_cache(maxsize=64)
def _lexer(name: str) -> Lexer | None:
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=True)
    except ClassNotFound:
        return None


def lexer_for(info: str | None = None, kind: CodeKind | None = None,
              file_kind: FileKind | None = None) -> Lexer:
    """The parser's judgement of the code first (it reads content, not labels), then the
    fence's info string, then plain text."""
    names = []
    if kind is not None:
        names.append(_LEXER_BY_KIND.get(kind, "text"))
    if file_kind is not None:
        names.append(_LEXER_BY_FILE.get(file_kind, "text"))
    if info:
        names.append(info.lower()[:30])
    for name in names:
        if name != "text" and (lexer := _lexer(name)) is not None:
            return lexer
    lexer = _lexer("text")
    assert lexer is not None
    return lexer


def highlight_code(code: str, *, info: str | None = None, kind: CodeKind | None = None,
                   file_kind: FileKind | None = None, marks: re.Pattern[str] | None = None,
                   lines: tuple[int, ...] = ()) -> Markup:
    """Highlighted HTML for a block; ``marks`` and ``lines`` (1-based) pick the lines to
    highlight as evidence."""
    if not code.endswith("\n"):
        code += "\n"
    if len(code) > MAX_HIGHLIGHT_CHARS:
        return Markup('<div class="hl"><pre><code>{}</code></pre></div>').format(escape(code))
    hl = set(lines)
    if marks is not None:
        hl.update(n for n, line in enumerate(code.split("\n"), start=1)
                  if line.strip() and marks.search(line))
    return Markup(highlight(code, lexer_for(info, kind, file_kind), _formatter(tuple(sorted(hl)))))


@lru_cache(maxsize=256)
def _formatter(hl_lines: tuple[int, ...]) -> HtmlFormatter[str]:
    """Formatters are reused: building one computes its style's CSS table, which cost as
    much as highlighting the block (formatting leaves the formatter unchanged)."""
    return HtmlFormatter(cssclass=CSS_CLASS, wrapcode=True, hl_lines=list(hl_lines))


@lru_cache(maxsize=4)
def pygments_css(style: str = "default") -> str:
    """The colour rules for ``.hl`` blocks, inlined in the page's ``<style>``."""
    return str(HtmlFormatter(style=style, cssclass=CSS_CLASS).get_style_defs(f".{CSS_CLASS}"))
