"""How strongly a piece of a report looks like the answer to a given question.

When a student gives no question ids (topical headings, one heading per
exercise, Roman numerals), answers are found by what they contain: the lab's
signature commands (``docker run alpine echo …`` opens 2.b), the kind of code
(a compose file answers 5.b), the answer key's typical words, a copied prompt.
All of it comes from the rubric; nothing here knows a particular lab.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from grader.models import CodeKind
from grader.parse.text import fold, strip_markdown
from grader.parse.units import Unit, UnitKind
from grader.rubric import Question

COMMAND_WEIGHT = 3.0
KEYWORD_WEIGHT = 1.0
KEYWORD_CAP = 2.5
CODE_WEIGHT = 4.0
PROMPT_WEIGHT = 5.0
TITLE_WEIGHT = 2.0
TITLE_THRESHOLD = 80
TITLE_WORD_WEIGHT = 0.5

_PLACEHOLDER = re.compile(r"[<_]")
_IMAGES = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[\[[^\]]*\]\]|<img\b[^>]*>?", re.IGNORECASE)
"""Image references: their alt text and file names are not the student's words."""
_COMMAND_NOISE = re.compile(r"[`*\"'«»]")


def normalise_command_text(text: str) -> str:
    """Fold a text for command matching: one spelling of ``docker compose``, no quotes."""
    text = fold(text).replace("docker-compose", "docker compose")
    return _COMMAND_NOISE.sub(" ", text)


def command_tokens(command: str) -> list[str]:
    """The command's words up to its first placeholder (``docker stop <id>`` → 2 words)."""
    tokens: list[str] = []
    for token in normalise_command_text(command).split():
        if _PLACEHOLDER.search(token):
            break
        tokens.append(token)
    return tokens


def _command_pattern(tokens: list[str]) -> re.Pattern[str]:
    gap = r"(?:\s+\S+){0,3}?\s+"
    return re.compile(r"(?<![\w\-])" + gap.join(map(re.escape, tokens)) + r"(?![\w])")


def stem(word: str) -> str:
    """A crude French/English stem: enough for ``tester``/``tests``, ``démarrer``/``démarrage``."""
    if len(word) <= 5 or not word.isalpha():
        return word
    return word[: max(5, len(word) - 3)]


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    """Whole words, except that the last word of a keyword may take any ending."""
    folded = normalise_command_text(keyword).strip()
    head, _, last = folded.rpartition(" ")
    prefix = (re.escape(head) + r"\s+") if head else ""
    if last.isalpha() and len(last) > 5:
        return re.compile(r"(?<![\w])" + prefix + re.escape(stem(last)) + r"\w*")
    return re.compile(r"(?<![\w\-])" + prefix + re.escape(last) + r"(?![\w])")


_STOPWORDS = frozenset(
    "avec dans pour les des une sur par entre votre vous cette ces leur plus sans sous dont "
    "with from into that this your their what when which while about after before".split())


def title_words(title: str) -> tuple[str, ...]:
    """Content words of a question's title, used as weak keywords."""
    out = []
    for word in re.findall(r"[a-z][a-z\-]{3,}", fold(title)):
        if word not in _STOPWORDS:
            out.append(word)
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True, slots=True)
class Signature:
    question: Question
    commands: tuple[tuple[str, re.Pattern[str]], ...]
    keywords: tuple[tuple[str, re.Pattern[str]], ...]
    title: str
    title_words: tuple[tuple[str, re.Pattern[str]], ...] = ()


def build_signature(question: Question) -> Signature:
    commands = []
    for command in question.commands:
        tokens = command_tokens(command)
        if len(tokens) >= 2:  # ``ls`` or ``exit`` alone say nothing about the question
            commands.append((" ".join(tokens), _command_pattern(tokens)))
    keywords = tuple((k, _keyword_pattern(k)) for k in question.keywords if k.strip())
    words = tuple((w, _keyword_pattern(w)) for w in title_words(question.title))
    return Signature(question, tuple(commands), keywords, fold(question.title), words)


class AffinityModel:
    """Scores units against the candidate questions of one region of a report.

    Weights are relative to the candidates: a command shared by two candidates
    (``docker ps -a`` in 2.c and 4.d) counts half as much as a unique one.
    """

    def __init__(self, signatures: Sequence[Signature]) -> None:
        self.signatures = list(signatures)
        command_df: Counter[str] = Counter()
        keyword_df: Counter[str] = Counter()
        patterns: dict[str, re.Pattern[str]] = {}
        title_df: Counter[str] = Counter()
        for signature in self.signatures:
            command_df.update({key for key, _ in signature.commands})
            keyword_df.update({key for key, _ in signature.keywords + signature.title_words})
            title_df.update({key for key, _ in signature.title_words})
            patterns.update(signature.commands)
        # A word in many titles (``docker``) tells the questions apart no better than noise.
        self._weak_title_words = {w for w, n in title_df.items() if n >= 3}
        self._command_df = command_df
        self._keyword_df = keyword_df
        # ``docker ps`` must not count where the text says ``docker ps -a`` (another question).
        self._longer = {
            key: [patterns[other] for other in patterns
                  if other.startswith(key + " ")]
            for key in patterns
        }

    def scores(self, unit: Unit) -> list[float]:
        text = normalise_command_text(_IMAGES.sub(" ", unit.text))
        out: list[float] = []
        for signature in self.signatures:
            out.append(self._score(unit, text, signature))
        return out

    def _score(self, unit: Unit, text: str, signature: Signature) -> float:
        question = signature.question
        score = 0.0
        if unit.prompt_of == question.id:
            score += PROMPT_WEIGHT
        for key, pattern in signature.commands:
            if pattern.search(text) and not any(p.search(text) for p in self._longer[key]):
                score += COMMAND_WEIGHT / self._command_df[key]
        keyword_score = 0.0
        for key, pattern in signature.keywords:
            if pattern.search(text):
                keyword_score += KEYWORD_WEIGHT / self._keyword_df[key]
        for key, pattern in signature.title_words:
            if key not in self._weak_title_words and pattern.search(text):
                keyword_score += TITLE_WORD_WEIGHT / self._keyword_df[key]
        score += min(keyword_score, KEYWORD_CAP)
        if unit.code is not None and question.code is not None:
            kind = unit.code.kind
            if kind is question.code or (question.code is CodeKind.COMPOSE and kind is CodeKind.YAML):
                score += CODE_WEIGHT
        if unit.kind is UnitKind.HEADING or (unit.marker is not None and unit.marker.rest):
            title = fold(unit.marker.rest if unit.marker is not None else strip_markdown(unit.text))
            if title and fuzz.token_set_ratio(title, signature.title) >= TITLE_THRESHOLD:
                score += TITLE_WEIGHT
        return score
