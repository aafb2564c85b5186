"""Recognise text that students copied from the lab statement.

Many students paste each question's prompt above their answer, some paste the
whole statement. Copied text must neither earn points nor hide where the real
answer starts, so each report line (and each code block) is compared with the
rubric's prompt texts. Matching is fuzzy (students retype, lose markdown,
change quotes) but strict enough that a student's own sentence that reuses a
few words of the prompt is not taken for a copy.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from grader.parse.text import fold, plain
from grader.rubric import Rubric

_SENTENCE_END = re.compile(r"(?<=[.?!:;])\s+|\s+(?=[-*•]\s)")
_BLANKS = re.compile(r"_{3,}")
_NON_WORD = re.compile(r"[^a-z0-9/{}\":_.\-]+")

MIN_CHARS = 18
"""Shorter lines (``docker ps``, ``Image :``) say too little to be called a copy."""
MIN_WORDS = 6
"""A line shorter than this is only a copy if it matches a whole statement sentence:
``Démarrage du conteneur`` also occurs inside a prompt without being copied from it."""
LINE_THRESHOLD = 88
"""rapidfuzz ratio above which a line counts as a copy of a prompt sentence."""
TITLE_THRESHOLD = 85
"""A short line this close to a question's title is the statement's step title."""
CODE_THRESHOLD = 93
"""A code block is the statement's skeleton when nearly identical to it."""


@dataclass(frozen=True, slots=True)
class PromptMatch:
    question: str | None
    """Id of the question whose prompt the text copies (``None`` for an exercise intro)."""
    score: float


def _key(text: str) -> str:
    return _NON_WORD.sub(" ", fold(text)).strip()


_LOOSE = re.compile(r"[^a-z0-9]+")
_COMMAND_LINE = re.compile(r"^(?:sudo )?(?:docker|ls|curl|git|psql|cd|mkdir|tree|cat|python3?|"
                           r"pip3?|unzip|uvicorn|prefect|select|insert|create)\b")


def _loose(text: str) -> str:
    """Words only: a copy that lost its punctuation or backticks still matches."""
    return " " + _LOOSE.sub(" ", fold(text)).strip() + " "


_NOWHERE = object()


_INDEXES: dict[tuple[str, str], PromptIndex] = {}


def prompt_index(rubric: Rubric) -> PromptIndex:
    """One index per rubric version, built once per process."""
    key = (rubric.id, rubric.digest or str(id(rubric)))
    index = _INDEXES.get(key)
    if index is None:
        index = _INDEXES[key] = PromptIndex(rubric)
    return index


class PromptIndex:
    """The statement texts of one rubric, ready for fast fuzzy lookups."""

    def __init__(self, rubric: Rubric) -> None:
        self._sentences: list[str] = []
        self._owners: list[str | None] = []
        self._whole: list[tuple[str | None, str]] = []
        self._joined: str | None = None
        self._lines: set[str] = set()
        self._starts: list[int] = []
        self._code: list[tuple[str, str]] = []
        self._titles: list[tuple[str, str]] = [(q.id, _key(q.title)) for q in rubric.questions]
        self._title_keys = [title for _, title in self._titles]
        for exercise in rubric.exercises:
            self._add(None, exercise.intro)
            self._add(None, exercise.title)
        for question in rubric.questions:
            self._add(question.id, question.prompt)
            if "___" in question.prompt or question.code is not None:
                self._code.append((question.id, _key(question.prompt)))
        # The sentences by length: a piece can only reach LINE_THRESHOLD against sentences
        # of about its own length, so each lookup compares with those alone.
        self._by_length = sorted(range(len(self._sentences)),
                                 key=lambda i: len(self._sentences[i]))
        self._lengths = [len(self._sentences[i]) for i in self._by_length]
        self._sorted = [self._sentences[i] for i in self._by_length]

    def _add(self, owner: str | None, text: str) -> None:
        if not text:
            return
        self._whole.append((owner, _loose(text)))
        self._lines.update(_loose(plain(line)) for line in text.splitlines() if line.strip())
        for line in text.splitlines():
            for sentence in _SENTENCE_END.split(plain(line)):
                key = _key(sentence)
                if len(key) >= MIN_CHARS:
                    self._sentences.append(key)
                    self._owners.append(owner)

    def _containing(self, loose: str) -> str | object | None:
        """Owner of the first statement text containing ``loose``, or ``_NOWHERE``."""
        if self._joined is None:
            self._joined = "\x00".join(whole for _, whole in self._whole)
            starts, position = [], 0
            for _, whole in self._whole:
                starts.append(position)
                position += len(whole) + 1
            self._starts = starts
        index = self._joined.find(loose)
        if index < 0:
            return _NOWHERE
        return self._whole[bisect_right(self._starts, index) - 1][0]

    def match_line(self, line: str) -> PromptMatch | None:
        """Whether a report line is statement text, and whose."""
        text = plain(line)
        key = _key(text)
        if len(key) < MIN_CHARS:
            return None
        loose = _loose(text)
        if len(loose.split()) >= MIN_WORDS:
            owner = self._containing(loose)
            if owner is not _NOWHERE:
                return PromptMatch(owner if isinstance(owner, str) else None, 100.0)
        if _COMMAND_LINE.match(loose.strip()):
            return None  # a command is evidence of work; copied ones are caught by context
        pieces = [_key(p) for p in _SENTENCE_END.split(text)]
        pieces = [p for p in pieces if len(p) >= 8]
        if not pieces:
            return None
        owner_found: str | None = None
        total = 0.0
        matched_chars = 0
        for piece in pieces:
            best = self._closest_sentence(piece)
            if best is None:
                continue
            matched_chars += len(piece)
            total += best[0] * len(piece)
            owner = self._owners[best[1]]
            if owner is not None:
                owner_found = owner
        all_chars = sum(len(p) for p in pieces)
        if matched_chars < 0.8 * all_chars:
            return None
        return PromptMatch(owner_found, total / max(matched_chars, 1))

    def _closest_sentence(self, piece: str) -> tuple[float, int] | None:
        """(score, index) of the statement sentence closest to ``piece`` at or above
        ``LINE_THRESHOLD``, the first in statement order among equals; ``None`` if none.

        A ratio of ``t`` needs the shorter text to be at least ``t / (200 - t)`` of the
        longer (the ratio is twice the common characters over both lengths), so only
        sentences of such lengths are compared."""
        size = len(piece)
        low = bisect_left(self._lengths, size * LINE_THRESHOLD // (200 - LINE_THRESHOLD))
        high = bisect_right(self._lengths, -(-size * (200 - LINE_THRESHOLD) // LINE_THRESHOLD))
        best: tuple[float, int] | None = None
        for _, score, offset in process.extract(piece, self._sorted[low:high],
                                                scorer=fuzz.ratio,
                                                score_cutoff=LINE_THRESHOLD, limit=None):
            index = self._by_length[low + offset]
            if best is None or score > best[0] or (score == best[0] and index < best[1]):
                best = (score, index)
        return best

    def is_statement_line(self, text: str) -> bool:
        """Whether ``text`` is, word for word, a whole line of the statement."""
        loose = _loose(plain(text))
        return len(loose.strip()) >= 4 and loose in self._lines

    def match_title(self, text: str) -> PromptMatch | None:
        """Whether a short line (a step heading's rest) is a question's title."""
        key = _key(plain(text))
        if len(key) < 4 or not self._titles:
            return None
        best = process.extractOne(key, self._title_keys, scorer=fuzz.ratio,
                                  score_cutoff=TITLE_THRESHOLD)
        if best is None:
            return None
        return PromptMatch(self._titles[best[2]][0], best[1])

    def match_code(self, code: str, *, among_copied: bool = False) -> PromptMatch | None:
        """Whether a code block is text of the statement: a skeleton with its blanks, or
        code the statement shows. ``among_copied`` (the block sits in a run of pasted
        statement prose) also accepts a near copy (comments dropped, reindented)."""
        key = _key(code)
        if len(key) < (2 if among_copied else 4):
            return None
        loose = _loose(code)
        best: PromptMatch | None = None
        owner = self._containing(loose)
        if owner is not _NOWHERE and owner is not None:
            return PromptMatch(str(owner), 100.0)
        if not (_BLANKS.search(code) or among_copied):
            return None
        for owner, whole in self._code:
            score = fuzz.partial_ratio(key, whole) if len(key) <= len(whole) else 0.0
            if score >= CODE_THRESHOLD and (best is None or score > best.score):
                best = PromptMatch(owner, score)
        return best
