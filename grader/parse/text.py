"""Text normalisation shared by marker detection, prompt marking and matching.

Students write the same thing in many spellings: accents or not, markdown
emphasis, curly quotes, ``docker-compose`` or ``docker compose``. Every
comparison in the parser goes through these helpers so that they agree.
"""

from __future__ import annotations

import re
import unicodedata

from grader.wording import fold

_DECORATION = re.compile(r"[*_`~]+")
_SPACES = re.compile(r"\s+")
_LIST_MARK = r"(?:[-*+•]|\d{1,2}[.)])"
_LEADING = re.compile(rf"^\s*(?:>\s*)*(?:{_LIST_MARK}\s+)?")
LIST_ITEM = re.compile(rf"^(\s*){_LIST_MARK}\s")
"""A line that opens a list item, bulleted or numbered (group 1: its indent)."""
_HEADING_HASHES = re.compile(r"^\s*(?:>\s*)*#{1,6}\s+")
_TASK_BOX = re.compile(r"^\[[ xX]\]\s+")
_ORNAMENTS = frozenset({"So", "Sk", "Sm", "Cf", "Mn"})
"""Unicode categories of the emoji, pictograms and arrows students put before a label
("📌 Question 2.a", "✅ Exercice 3", "→ Question 2.b", with their variation selectors
and joiners)."""
_KEYCAP = re.compile(r"^\d\ufe0f?\u20e3\s*")
"""A keycap emoji ("1️⃣ Question 2.a"): a digit, then the enclosing keycap."""


def strip_markdown(line: str) -> str:
    """Remove the markdown around a line's words: quote marks, heading hashes, list
    bullets, task boxes, emphasis and leading emoji, so that ``> **Question 2.a :**`` and
    ``### 📌 Question 2.a :`` read ``Question 2.a :``.

    A heading keeps its own numbering (``### 1. Titre``): only list items lose it."""
    heading = _HEADING_HASHES.match(line)
    if heading:
        line = line[heading.end():].rstrip().rstrip("#")
    else:
        line = _LEADING.sub("", line, count=1)
    line = _DECORATION.sub("", line).strip()
    if line.startswith("["):
        line = _TASK_BOX.sub("", line)  # "- [x] 2.a": a task list's box
    if line and (not line[0].isascii() or "\u20e3" in line[1:3]):
        line = _drop_ornaments(line)
    return line


def _drop_ornaments(line: str) -> str:
    """The line without the emoji, pictograms and keycaps it starts with."""
    start = 0
    while start < len(line):
        keycap = _KEYCAP.match(line, start)
        if keycap:
            start = keycap.end()
        elif line[start].isspace() or (not line[start].isascii() and unicodedata.category(
                line[start]) in _ORNAMENTS):
            start += 1
        else:
            break
    return line[start:]


def plain(line: str) -> str:
    """``strip_markdown`` then ``fold``: the form markers and prompts are matched on."""
    return fold(strip_markdown(line))


_WORD = re.compile(r"[a-z0-9][a-z0-9_\-./:]*")


def words(text: str) -> list[str]:
    """Folded word tokens, keeping command-ish tokens (``-p``, ``8000:8000``) whole."""
    return _WORD.findall(fold(text).replace("docker-compose", "docker compose"))
