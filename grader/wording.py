"""Tolerant word matching for French and English text, shared by parser and criteria.

Students write "conteneur", "conteneurs", "Conteneur", "contenaire", "container";
"processus principal" or "le processus principal du conteneur". A synonym
matches when its words appear in order (at most one word in between),
accent- and case-insensitively, each word by its stem, and long words also
with a small typo (rapidfuzz ratio ≥ ``FUZZY_THRESHOLD``). A synonym ending
in ``*`` matches any word starting with it (``redémarr*``). Synonyms with
symbols (``0.0.0.0``, ``-p``, ``{"status": "ok"}``) match literally on folded,
space-collapsed text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

_QUOTES = str.maketrans({"’": "'", "‘": "'", "´": "'", "“": '"', "”": '"', "«": '"', "»": '"',
                         "–": "-", "—": "-", "‑": "-", "−": "-", "→": "->"})


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lowercase, strip accents, unify quotes and dashes, collapse spaces."""
    if not text.isascii():  # the quotes, dashes and accents to unify are all non-ASCII
        text = text.translate(_QUOTES)
        # Decomposed, then every combining mark dropped by one C-level translate.
        text = unicodedata.normalize("NFKD", text).translate(_MARKS)
    return _SPACES.sub(" ", text).strip().lower()


class _CombiningMarks(dict[int, int | None]):
    """``str.translate`` table that deletes combining marks: French accents (U+0300–U+036F)
    from the start, any other character decided on first sight and remembered, so that
    text with emoji, box drawing or other scripts is not scanned in Python."""

    def __missing__(self, code: int) -> int | None:
        value = None if unicodedata.combining(chr(code)) else code
        self[code] = value
        return value


_MARKS = _CombiningMarks(dict.fromkeys(range(0x300, 0x370)))

FUZZY_THRESHOLD = 85
"""Similarity (0–100) above which a long word counts as a misspelling of the synonym."""
FUZZY_MIN_LENGTH = 7
"""Shorter words must match by stem: "port" must not match "part"."""

_SPACES = re.compile(r"\s+")

_TOKEN = re.compile(r"[a-z0-9]+")
_SYMBOLIC = re.compile(r"[^a-z0-9\s'\-]")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Strip common French/English endings so that inflections share a stem."""
    if len(word) <= 4 or not word.isalpha():
        return word
    for ending in ("issements", "issement", "ements", "ement", "ations", "ation", "ements",
                   "ences", "ence", "euses", "euse", "eurs", "eur", "ites",
                   "ite", "ives", "ive", "ions", "ion", "ings", "ing", "ees", "ee", "es", "er",
                   "ez", "ed", "s", "e", "x"):
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


@dataclass(frozen=True, slots=True)
class Folded:
    """A text prepared once for many synonym lookups."""

    flat: str
    """Folded text with whitespace collapsed (for literal synonyms)."""
    tokens: tuple[str, ...]
    stems: tuple[str, ...]
    offsets: tuple[int, ...]
    """Character offset of each token in ``flat`` (to report the matched text)."""
    positions: dict[str, tuple[int, ...]]
    """Token and stem → token indexes: a synonym's first word is looked up, not scanned."""
    original: str = ""
    """The text as the student wrote it."""
    distinct: tuple[str, ...] = ()
    """Each token once, and its stem (``distinct_stems``): what a typo search compares."""
    distinct_stems: tuple[str, ...] = ()

    def as_written(self, begin: int, end: int) -> str:
        """The original text behind ``flat[begin:end]`` (for evidence shown to people).
        The character map is only built here, for the few matches shown."""
        if begin >= end or not self.original:
            return self.flat[begin:end]
        flat, source = _fold_mapped(self.original)
        if flat != self.flat:  # an exotic character folded differently: show the folded form
            return self.flat[begin:end]
        return self.original[source[begin]: source[end - 1] + 1]


@lru_cache(maxsize=64)
def _fold_mapped(text: str) -> tuple[str, tuple[int, ...]]:
    """``fold`` piece by piece, remembering where each output character came from, so
    that a match can be shown in the student's own spelling. Runs of printable ASCII
    map one to one (a slice and a range); only other characters are folded one by one."""
    out: list[str] = []
    source: list[int] = []
    for match in _FOLD_PIECES.finditer(text):
        piece, index = match.group(), match.start()
        if piece[0].isspace():
            if out and out[-1] != " ":
                out.append(" ")
                source.append(index)
        elif piece.isascii():
            out.append(piece.lower())
            source.extend(range(index, index + len(piece)))
        else:
            folded = fold(piece).lower()
            if folded:
                out.append(folded)
                source.extend([index] * len(folded))
    flat = "".join(out)
    if flat.endswith(" "):
        flat = flat[:-1]
        source.pop()
    return flat, tuple(source)


_FOLD_PIECES = re.compile(r"\s+|[!-~]+|\S")


@lru_cache(maxsize=512)
def prepare(text: str) -> Folded:
    flat = _SPACES.sub(" ", fold(text))
    tokens: list[str] = []
    offsets: list[int] = []
    for match in _TOKEN.finditer(flat):
        tokens.append(match.group(0))
        offsets.append(match.start())
    stems = tuple(stem(t) for t in tokens)
    positions: dict[str, list[int]] = {}
    for index, (token, token_stem) in enumerate(zip(tokens, stems, strict=True)):
        positions.setdefault(token, []).append(index)
        if token_stem != token:
            positions.setdefault(token_stem, []).append(index)
    distinct = tuple(dict.fromkeys(tokens))
    return Folded(flat, tuple(tokens), stems, tuple(offsets),
                  {k: tuple(v) for k, v in positions.items()}, text, distinct,
                  tuple(stem(t) for t in distinct))


Word = tuple[str, str]
"""A synonym's word: (its stem, the word itself); a stem ending in ``*`` is a prefix."""


@lru_cache(maxsize=4096)
def _synonym(synonym: str) -> tuple[bool, str, tuple[Word, ...]]:
    folded = _SPACES.sub(" ", fold(synonym)).strip()
    prefix = folded.endswith("*") and len(folded) > 3
    if prefix:
        folded = folded[:-1]
    symbolic = (bool(_SYMBOLIC.search(folded)) or any(ch.isdigit() for ch in folded)
                or folded.startswith("-"))  # an option: "-d" is not the "d" of "d'abord"
    raw = _TOKEN.findall(folded)
    words = tuple((stem(t), t) for t in raw)
    if prefix and words and not symbolic:
        words = (*words[:-1], (raw[-1] + "*", raw[-1]))
    return symbolic, folded, words


def _word_matches(wanted: Word, token: str, token_stem: str) -> bool:
    wanted_stem, wanted_word = wanted
    if wanted_stem.endswith("*"):  # an explicit prefix: "redémarr*"
        return token.startswith(wanted_stem[:-1])
    if token_stem == wanted_stem or token in (wanted_stem, wanted_word):
        return True
    # A typo in a long word ("environement", "dépendences"), on the stems or on the words.
    if (len(wanted_stem) >= FUZZY_MIN_LENGTH and abs(len(token_stem) - len(wanted_stem)) <= 2
            and fuzz.ratio(token_stem, wanted_stem) >= FUZZY_THRESHOLD):
        return True
    return (len(wanted_word) >= FUZZY_MIN_LENGTH + 1
            and abs(len(token) - len(wanted_word)) <= 2
            and fuzz.ratio(token, wanted_word) >= FUZZY_THRESHOLD)


def _starts(text: Folded, wanted: Word, fuzzy: bool) -> list[int]:
    wanted_stem, wanted_word = wanted
    if wanted_stem.endswith("*"):
        return [i for i, token in enumerate(text.tokens) if token.startswith(wanted_stem[:-1])]
    found = set(text.positions.get(wanted_stem, ())) | set(text.positions.get(wanted_word, ()))
    if not found and fuzzy and len(wanted_word) >= FUZZY_MIN_LENGTH:
        found = {i for token in _typos(text, wanted) for i in text.positions[token]
                 if text.tokens[i] == token}
    return sorted(found)


def _typos(text: Folded, wanted: Word) -> set[str]:
    """The distinct tokens of ``text`` that are typos of ``wanted`` (``_word_matches``'s
    fuzzy cases; its exact ones are found by lookup), each compared once, in C."""
    wanted_stem, wanted_word = wanted
    found: set[str] = set()
    if len(wanted_stem) >= FUZZY_MIN_LENGTH:
        for _, _, index in process.extract(wanted_stem, text.distinct_stems, scorer=fuzz.ratio,
                                           score_cutoff=FUZZY_THRESHOLD, limit=None):
            if abs(len(text.distinct_stems[index]) - len(wanted_stem)) <= 2:
                found.add(text.distinct[index])
    if len(wanted_word) >= FUZZY_MIN_LENGTH + 1:
        for _, _, index in process.extract(wanted_word, text.distinct, scorer=fuzz.ratio,
                                           score_cutoff=FUZZY_THRESHOLD, limit=None):
            if abs(len(text.distinct[index]) - len(wanted_word)) <= 2:
                found.add(text.distinct[index])
    return found


def may_occur(text: Folded, synonym: str) -> bool:
    """A cheap necessary condition for an exact (non-fuzzy) ``find``: its first word, or
    its literal text, is in ``text`` at all. Lets callers skip most synonyms at once."""
    symbolic, folded, words = _synonym(synonym)
    if symbolic or not words:
        return bool(folded) and folded in text.flat
    stem_, word = words[0]
    if stem_.endswith("*"):
        return stem_[:-1] in text.flat
    return stem_ in text.positions or word in text.positions


class SynonymIndex:
    """Many synonyms looked up in many texts: each text yields, at the cost of a dict
    lookup per distinct word, the synonyms that ``may_occur`` in it (same result as
    calling ``may_occur`` on every synonym, which is the parser's hot loop)."""

    def __init__(self, synonyms: Sequence[str]) -> None:
        self._by_word: dict[str, list[str]] = {}
        self._literal: list[str] = []
        for synonym in synonyms:
            symbolic, _folded, words = _synonym(synonym)
            if symbolic or not words or words[0][0].endswith("*"):
                self._literal.append(synonym)
                continue
            for key in dict.fromkeys(words[0]):
                self._by_word.setdefault(key, []).append(synonym)

    def candidates(self, text: Folded) -> set[str]:
        found = {synonym for synonym in self._literal if may_occur(text, synonym)}
        by_word = self._by_word
        for key in text.positions:
            if key in by_word:
                found.update(by_word[key])
        return found


def find(text: Folded, synonym: str, *, fuzzy: bool = True,
         written: bool = True) -> str | None:
    """The matched snippet of ``text`` when ``synonym`` occurs in it, else ``None``.
    ``fuzzy=False`` skips typo tolerance and ``written=False`` returns the folded
    snippet instead of the student's spelling (both fast, for the parser's lookups)."""
    symbolic, folded, words = _synonym(synonym)
    if not folded:
        return None
    if symbolic:
        index = text.flat.find(folded)
        if index < 0:
            return None
        before = text.flat[index - 1] if index > 0 else " "
        after_index = index + len(folded)
        after = text.flat[after_index] if after_index < len(text.flat) else " "
        if folded[0].isalnum() and before.isalnum():
            return None
        if folded[-1].isalnum() and after.isalnum():
            return None
        return text.as_written(index, after_index) if written else folded
    if not words:
        return None
    n = len(text.tokens)
    for start in _starts(text, words[0], fuzzy):
        position = start
        ok = True
        for wanted in words[1:]:
            for step in (1, 2):  # allow one word in between
                nxt = position + step
                if nxt < n and _word_matches(wanted, text.tokens[nxt], text.stems[nxt]):
                    position = nxt
                    break
            else:
                ok = False
                break
        if ok:
            begin = text.offsets[start]
            end = text.offsets[position] + len(text.tokens[position])
            return text.as_written(begin, end) if written else text.flat[begin:end]
    return None


def find_any(text: Folded, synonyms: Sequence[str]) -> tuple[str, str] | None:
    """The first synonym found and its matched snippet."""
    for synonym in synonyms:
        snippet = find(text, synonym)
        if snippet is not None:
            return synonym, snippet
    return None
