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
from grader.parse.text import strip_markdown
from grader.parse.units import Unit, UnitKind
from grader.rubric import Question, Rubric
from grader.wording import SynonymIndex, find, fold, prepare

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
class Term:
    """A command to look for, with a literal that must be in the text first (a
    substring test is far cheaper than the regular expression)."""

    key: str
    pattern: re.Pattern[str]
    literal: str

    def found_in(self, text: str) -> bool:
        return self.literal in text and self.pattern.search(text) is not None


@dataclass(frozen=True, slots=True)
class Signature:
    question: Question
    commands: tuple[Term, ...]
    keywords: tuple[str, ...]
    """Words and phrases matched by stem (see ``grader.wording``)."""
    title: str
    title_words: tuple[str, ...] = ()


def _key(question: Question) -> tuple[object, ...]:
    return (question.id, question.title, question.commands, question.keywords, question.code)


def build_signature(question: Question) -> Signature:
    """The question's signature, built once per distinct question text."""
    return _signature(question, _key(question))


_SIGNATURES: dict[tuple[object, ...], Signature] = {}


def _signature(question: Question, key: tuple[object, ...]) -> Signature:
    cached = _SIGNATURES.get(key)
    if cached is None:
        cached = _SIGNATURES[key] = _build_signature(question)
    return cached


def _build_signature(question: Question) -> Signature:
    commands = []
    for command in question.commands:
        tokens = command_tokens(command)
        if len(tokens) >= 2:  # ``ls`` or ``exit`` alone say nothing about the question
            key = " ".join(tokens)
            commands.append(Term(key, _command_pattern(tokens), max(tokens, key=len)))
    keywords = tuple(dict.fromkeys(fold(k) for k in question.keywords if k.strip()))
    words = tuple(w for w in title_words(question.title) if w not in keywords)
    return Signature(question, tuple(commands), keywords, fold(question.title), words)


class AffinityModel:
    """Scores units against the candidate questions of one region of a report.

    Weights are relative to the candidates: a command shared by two candidates
    (``docker ps -a`` in 2.c and 4.d) counts half as much as a unique one.
    """

    def __init__(self, signatures: Sequence[Signature], *,
                 common_words: frozenset[str] = frozenset()) -> None:
        self.signatures = list(signatures)
        command_df: Counter[str] = Counter()
        keyword_df: Counter[str] = Counter()
        title_df: Counter[str] = Counter()
        commands: dict[str, Term] = {}
        keywords: set[str] = set()
        for signature in self.signatures:
            command_df.update({t.key for t in signature.commands})
            keyword_df.update(set(signature.keywords + signature.title_words))
            title_df.update(set(signature.title_words))
            commands.update((t.key, t) for t in signature.commands)
            keywords.update(signature.keywords + signature.title_words)
        # A word in many titles (``docker``) tells the questions apart no better than noise.
        weak = {w for w, n in title_df.items() if n >= 3} | set(common_words)
        self._commands = commands
        self._indexed = frozenset(keywords - weak)
        self._keywords = SynonymIndex(sorted(self._indexed))
        self._command_weight = {k: COMMAND_WEIGHT / n for k, n in command_df.items()}
        self._keyword_df = keyword_df
        # ``docker ps`` must not count where the text says ``docker ps -a`` (another question).
        self._longer = {key: [other for other in commands if other.startswith(key + " ")]
                        for key in commands}

    def scores(self, unit: Unit) -> list[float]:
        if unit.is_title:
            return [0.0] * len(self.signatures)
        words = _IMAGES.sub(" ", unit.text)
        text = normalise_command_text(words)
        found = {k for k, term in self._commands.items() if term.found_in(text)}
        commands = {k for k in found if not any(o in found for o in self._longer[k])}
        prepared = prepare(words)
        keywords = {k for k in self._keywords.candidates(prepared)
                    if find(prepared, k, fuzzy=False, written=False) is not None}
        return [self._score(unit, commands, keywords, signature) for signature in self.signatures]

    def score(self, unit: Unit, index: int) -> float:
        """``scores(unit)[index]``, looking only for that question's own commands and
        words: the lab fit asks one question of each answer, not all of them."""
        if unit.is_title:
            return 0.0
        signature = self.signatures[index]
        words = _IMAGES.sub(" ", unit.text)
        text = normalise_command_text(words)
        commands = {term.key for term in signature.commands
                    if term.found_in(text)
                    and not any(self._commands[o].found_in(text) for o in self._longer[term.key])}
        prepared = prepare(words)
        keywords = {k for k in signature.keywords + signature.title_words
                    if k in self._indexed and find(prepared, k, fuzzy=False, written=False)
                    is not None}
        return self._score(unit, commands, keywords, signature)

    def _score(self, unit: Unit, commands: set[str], keywords: set[str],
               signature: Signature) -> float:
        question = signature.question
        score = 0.0
        if unit.prompt_of == question.id:
            score += PROMPT_WEIGHT
        for term in signature.commands:
            if term.key in commands:
                score += self._command_weight[term.key]
        keyword_score = 0.0
        for keyword in signature.keywords:
            if keyword in keywords:
                keyword_score += KEYWORD_WEIGHT / self._keyword_df[keyword]
        for word in signature.title_words:
            if word in keywords:
                keyword_score += TITLE_WORD_WEIGHT / self._keyword_df[word]
        score += min(keyword_score, KEYWORD_CAP)
        if unit.code is not None and question.code is not None:
            kind = unit.code.kind
            if kind is question.code or (question.code is CodeKind.COMPOSE
                                         and kind is CodeKind.YAML):
                score += CODE_WEIGHT
        if unit.kind is UnitKind.HEADING or (unit.marker is not None and unit.marker.rest):
            title = fold(unit.marker.rest if unit.marker is not None else strip_markdown(unit.text))
            # One word ("Snapshots") is a subset of many titles: it proves nothing.
            if len(title.split()) >= 2 and \
                    fuzz.token_set_ratio(title, signature.title) >= TITLE_THRESHOLD:
                score += TITLE_WEIGHT
        return score


def affinity_model(rubric: Rubric, questions: Sequence[Question]) -> AffinityModel:
    """The model for ``questions`` of ``rubric``. Words of the lab's own title ("Docker")
    are in every report's title and tell no question apart."""
    key = (rubric.title, tuple(_key(q) for q in questions))
    model = _MODELS.get(key)
    if model is None:
        if len(_MODELS) >= MAX_MODELS:
            _MODELS.pop(next(iter(_MODELS)))
        model = _MODELS[key] = AffinityModel(
            [build_signature(q) for q in questions],
            common_words=frozenset(title_words(rubric.title)))
    return model


MAX_MODELS = 1024
"""Models kept: a lab's reports ask for the same few sets of candidate questions again
and again (each region of each report), and a model's keyword index is not free."""
_MODELS: dict[tuple[object, ...], AffinityModel] = {}
