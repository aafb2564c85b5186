"""Text normalisation shared by marker detection, prompt marking and matching.

Students write the same thing in many spellings: accents or not, markdown
emphasis, curly quotes, ``docker-compose`` or ``docker compose``. Every
comparison in the parser goes through these helpers so that they agree.
"""

from __future__ import annotations

import re

from grader.wording import fold

_DECORATION = re.compile(r"[*_`~]+")
_SPACES = re.compile(r"\s+")
_LEADING = re.compile(r"^\s*(?:>\s*)*(?:(?:[-*+•]|\d{1,2}[.)])\s+)?")
_HEADING_HASHES = re.compile(r"^\s*(?:>\s*)*#{1,6}\s+")


def strip_markdown(line: str) -> str:
    """Remove the markdown around a line's words: quote marks, heading hashes, list
    bullets and emphasis, so that ``> **Question 2.a :**`` reads ``Question 2.a :``.

    A heading keeps its own numbering (``### 1. Titre``): only list items lose it."""
    heading = _HEADING_HASHES.match(line)
    if heading:
        line = line[heading.end():].rstrip().rstrip("#")
    else:
        line = _LEADING.sub("", line, count=1)
    line = _DECORATION.sub("", line)
    return line.strip()


def plain(line: str) -> str:
    """``strip_markdown`` then ``fold``: the form markers and prompts are matched on."""
    return fold(strip_markdown(line))


_WORD = re.compile(r"[a-z0-9][a-z0-9_\-./:]*")


def words(text: str) -> list[str]:
    """Folded word tokens, keeping command-ish tokens (``-p``, ``8000:8000``) whole."""
    return _WORD.findall(fold(text).replace("docker-compose", "docker compose"))
