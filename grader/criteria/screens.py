"""What a screenshot shows: tolerant matching of expected content in OCR text.

OCR of a terminal capture is noisy: ``{"status" :"ok"}``, ``Exited (@)``, ``simple -api``,
``0.0.0.0:8000-8000/tcp``. An expected piece of content (a *needle*, e.g. ``PostgreSQL 16``)
is looked for in the recognised text after both are *folded*: lowercase, accents removed,
quotes and dashes unified, and every space dropped (OCR adds and loses spaces at random).
Then:

- a needle of ``SHORT_NEEDLE`` folded characters or more matches where rapidfuzz's
  ``partial_ratio`` (best-aligned window) is at least ``SHOWS_THRESHOLD`` (85: about one
  wrong character in seven), and the numbers it contains appear exactly in the aligned
  window (``PostgreSQL 15`` must not pass for ``PostgreSQL 16``, ``5432->5432`` for
  ``8000->8000``);
- a shorter needle (``demo``, ``Up``) must appear exactly, as a whole word of the folded
  text with its spaces: a one-letter OCR error in four letters is another word.

``shows`` in a rubric is a list of groups of synonyms, every group required
(``[["{\\"status\\":\\"ok\\"}", "status: ok"]]``); the same groups let the grader notice a
screenshot that shows another question's output (``wrong_screenshots``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from grader.models import Diagnostic, ImageStatus, Report, Severity
from grader.rubric import Question, Rubric

SHOWS_THRESHOLD = 85
"""Minimum rapidfuzz ``partial_ratio`` (0–100) of a needle against the folded OCR text."""
SHORT_NEEDLE = 5
"""Needles shorter than this (folded, spaces dropped) must match exactly, as a word."""
MIN_READABLE = 12
"""An OCR text with fewer letters and digits than this was not really read (a photo, a
blank capture): the screenshot is then judged by its presence only."""

_QUOTES = str.maketrans({"’": "'", "‘": "'", "´": "'", "`": "'", "“": '"', "”": '"',
                         "„": '"', "«": '"', "»": '"', "–": "-", "—": "-", "‑": "-",
                         "−": "-", "→": "->", "＞": ">"})
_DIGITS = re.compile(r"\d+")

Groups = tuple[tuple[str, ...], ...]


def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char.translate(_QUOTES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@dataclass(frozen=True, slots=True)
class Folded:
    """OCR text folded for matching, with a map back to the original characters."""

    original: str
    compact: str
    """Folded, without spaces (line breaks kept as ``\\n`` so a match stays on one line)."""
    source: tuple[int, ...]
    """Index in ``original`` of each character of ``compact``."""
    spaced: str
    """Folded with spaces collapsed (for short needles matched as whole words)."""

    def as_written(self, begin: int, end: int) -> str:
        if begin >= end:
            return ""
        return self.original[self.source[begin]: self.source[end - 1] + 1].strip()


@lru_cache(maxsize=1024)
def fold_ocr(text: str) -> Folded:
    out: list[str] = []
    source: list[int] = []
    for index, char in enumerate(text):
        if char == "\n":
            out.append("\n")
            source.append(index)
            continue
        if char.isspace():
            continue
        for piece in _fold_char(char):
            if not piece.isspace():
                out.append(piece)
                source.append(index)
    spaced = re.sub(r"[ \t\r\f\v]+", " ", "".join(_fold_char(c) for c in text))
    return Folded(text, "".join(out), tuple(source), spaced)


@lru_cache(maxsize=4096)
def _needle(text: str) -> tuple[str, str, tuple[str, ...]]:
    """(compact folded needle, spaced folded needle, its numbers)."""
    spaced = re.sub(r"\s+", " ", "".join(_fold_char(c) for c in text)).strip()
    compact = spaced.replace(" ", "")
    return compact, spaced, tuple(_DIGITS.findall(compact))


def find_shown(folded: Folded, needle: str) -> str | None:
    """The text as recognised where ``needle`` is shown, or ``None`` (rules above)."""
    compact, spaced, numbers = _needle(needle)
    if not compact:
        return None
    if len(compact) < SHORT_NEEDLE:
        pattern = rf"(?<![a-z0-9]){re.escape(spaced)}(?![a-z0-9])"
        match = re.search(pattern, folded.spaced)
        return None if match is None else _spaced_snippet(folded, match.start(), match.end())
    if len(folded.compact) < len(compact) * 0.8:
        return None
    alignment = fuzz.partial_ratio_alignment(compact, folded.compact,
                                             score_cutoff=SHOWS_THRESHOLD)
    if alignment is None:
        return None
    begin, end = alignment.dest_start, alignment.dest_end
    window = folded.compact[begin:end]
    if "\n" in window.strip("\n"):
        return None
    if numbers:
        # Widened by two characters on each side: the window may cut a number in two.
        found = _DIGITS.findall(as_digits(folded.compact[max(0, begin - 2):end + 2]))
        if any(number not in found for number in numbers):
            return None
    return folded.as_written(begin, end) or window


_ZERO = re.compile(r"(?<![a-z])[o@](?![a-z])")
_ONE = re.compile(r"(?<![a-z])[l|i](?![a-z])")


def as_digits(text: str) -> str:
    """Folded OCR text with the letters OCR reads for digits put back where no letter is
    next to them: ``exited(@)`` → ``exited(0)``, ``80o0`` → ``8000``, ``|6`` → ``16``."""
    return _ONE.sub("1", _ZERO.sub("0", text))


def _spaced_snippet(folded: Folded, begin: int, end: int) -> str:
    # ``spaced`` keeps one character per original character except collapsed spaces:
    # search the original for the same word, case-insensitively, for the evidence text.
    word = folded.spaced[begin:end]
    match = re.search(re.escape(word), folded.original, re.IGNORECASE)
    return match.group(0) if match else word


@dataclass(frozen=True, slots=True)
class Shown:
    """Which groups a set of screenshots shows."""

    matched: tuple[tuple[int, str, str], ...]
    """(group index, text as recognised, image path) of each group found."""
    missing: tuple[int, ...]
    """Indexes of the groups not found."""

    @property
    def share(self) -> float:
        total = len(self.matched) + len(self.missing)
        return len(self.matched) / total if total else 1.0


def shown(texts: Sequence[tuple[str, str]], groups: Groups) -> Shown:
    """Groups shown by any of ``texts`` ((path, OCR text) pairs), each group by any of its
    synonyms."""
    prepared = [(path, fold_ocr(text)) for path, text in texts]
    matched: list[tuple[int, str, str]] = []
    missing: list[int] = []
    for index, group in enumerate(groups):
        hit = next(((snippet, path) for path, folded in prepared for needle in group
                    if (snippet := find_shown(folded, needle)) is not None), None)
        if hit is None:
            missing.append(index)
        else:
            matched.append((index, hit[0], hit[1]))
    return Shown(tuple(matched), tuple(missing))


def readable(text: str | None) -> bool:
    """Whether OCR read enough of an image for its content to be judged."""
    return text is not None and sum(ch.isalnum() for ch in text) >= MIN_READABLE


# ---------------------------------------------------------------- wrong screenshot

def _specs(criteria: Sequence[Any]) -> Iterator[dict[str, Any]]:
    """Every criterion spec (as a dict with ``kind``) of a question, parts of ``any`` and
    ``all`` included."""
    for spec in criteria:
        params = getattr(spec, "params", None)
        data = {"kind": spec.kind, **params} if params is not None else dict(spec)
        yield data
        parts = data.get("of")
        if isinstance(parts, list):
            yield from _specs([p for p in parts if isinstance(p, dict)])


def question_shows(question: Question) -> Groups:
    """The content a question's screenshots should show: the ``shows`` groups of its
    ``evidence`` criteria, ``()`` when it has none."""
    groups: list[tuple[str, ...]] = []
    for spec in _specs(question.criteria):
        if spec.get("kind") == "evidence" and spec.get("shows"):
            for group in spec["shows"]:
                entry = tuple(str(s) for s in group)
                if entry not in groups:
                    groups.append(entry)
    return tuple(groups)


def wrong_screenshots(report: Report, rubric: Rubric, ocr: Mapping[str, str]
                      ) -> tuple[Diagnostic, ...]:
    """``image.wrong_question`` for each screenshot that clearly shows another question's
    output: the answer's question has ``shows`` groups, none of the answer's screenshots
    shows any of them, and this one shows every group of one or more other questions."""
    signatures = {q.id: question_shows(q) for q in rubric.graded_questions}
    signatures = {qid: groups for qid, groups in signatures.items() if groups}
    notes: list[Diagnostic] = []
    for answer in report.answers:
        own = signatures.get(answer.id)
        if not own:
            continue
        images = [(i.path, ocr[i.path]) for i in answer.images
                  if i.status in (ImageStatus.FOUND, ImageStatus.EMBEDDED) and i.path
                  and readable(ocr.get(i.path))]
        if not images or shown(images, own).matched:
            continue
        for path, text in dict(images).items():
            alike = [qid for qid, groups in signatures.items()
                     if qid != answer.id and groups != own
                     and not shown([(path, text)], groups).missing]
            if not alike:
                continue
            line = next((i.line for i in answer.images if i.path == path), None)
            names = " or ".join(alike[:3])
            notes.append(Diagnostic(
                "image.wrong_question",
                f"{answer.id}: the screenshot {path} shows what {names} asks for, not what "
                f"{answer.id} asks for; was it put under the wrong question?",
                Severity.WARNING, line))
    return tuple(notes)


__all__ = ["MIN_READABLE", "SHORT_NEEDLE", "SHOWS_THRESHOLD", "Shown", "find_shown",
           "fold_ocr", "question_shows", "readable", "shown", "wrong_screenshots"]
