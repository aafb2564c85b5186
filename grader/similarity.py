"""Answers suspiciously alike: fingerprints per answer, then pairs of students, per question.

The classic document-fingerprinting method (Schleimer, Wilkerson & Aiken,
"Winnowing", SIGMOD 2003; what MOSS and ``copydetect`` do): each answer
becomes a sequence of normalised tokens, every run of ``K`` tokens is hashed,
and winnowing keeps a small, position-independent subset of those hashes.
Two answers sharing many fingerprints share long passages, whatever order the
paragraphs are in; rewording a sentence breaks only the fingerprints that
cross the changed words.

Normalisation is what makes light edits useless: prose is folded (case,
accents), stop words are dropped and words are cut to their stem; in Python
code every identifier becomes ``V`` (renaming variables changes nothing), as
``copydetect`` does. What is not evidence of copying is removed: the lab's
prompt text and the code it hands out (the rubric's prompts, intros and
commands are fingerprinted once and subtracted), and any fingerprint that a
large part of the class shares (the answer everyone writes, e.g. the
Dockerfile the lab asks for). Two answers are alike when they share a few
fingerprints (``MIN_SHARED``) making up a large part of the shorter one
(``MIN_CONTAINMENT``); a pair of students is flagged when their answers alike
add up to much shared text (``PAIR_EVIDENCE``) or one answer alone shares a
long passage (``LONG_PASSAGE``). Measured on the corpus (13 independent TP1
reports and the 3 seeds): no independent pair shares more than 8 fingerprints
in total (the lab's code, which every student writes alike), while a lightly
edited copy of any of them (reworded sentences, swapped paragraphs, renamed
variables) shares 59 to 1023 (``tests/test_similarity.py``).

``copydetect`` itself was tried and not used: it hashes with Python's
per-process randomised ``hash()`` (fingerprints computed in worker processes
or stored between runs cannot be compared) and pulls numpy and matplotlib
into a grader that needs neither. The algorithm is short enough to own.

Fingerprints are computed by the batch's workers (``answer_prints``) and
stored with each result; comparison (``find_similar``) runs in the parent on
an inverted index, so a class of 300 costs well under a second.
"""

from __future__ import annotations

import hashlib
import keyword
import re
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any, NamedTuple

from grader.models import IMAGE_MARKUP, CodeKind, Report
from grader.rubric import Rubric

K = 5
"""Tokens per hashed run (after stop words are dropped: about a clause of prose)."""
WINDOW = 3
"""Winnowing window: every shared run of ``K + WINDOW - 1`` tokens is always detected."""
MIN_SHARED = 4
"""Fingerprints two answers must share to count as alike at all (more than a phrase)."""
MIN_CONTAINMENT = 0.4
"""Share of the shorter answer's fingerprints found in the other for the answers to count."""
PAIR_EVIDENCE = 24
"""Shared fingerprints, summed over the answers alike, that flag a pair of students."""
LONG_PASSAGE = 16
"""Shared fingerprints in one answer (at least half of it) that flag a pair on their own."""
COMMON_SHARE = 0.1
"""A fingerprint found in more than this share of the class (and in more than
``COMMON_MIN`` students) is the answer everyone writes, not evidence of copying."""
COMMON_MIN = 3
MAX_PASSAGES = 3
PASSAGE_PAIRS = 200
"""Pairs (the most alike first) whose shared passages are extracted; a class where
everyone copies would otherwise spend seconds on passages nobody reads."""
PASSAGE_CHARS = 400

_STOPWORDS = frozenset("""
a à au aux avec c ce ces cet cette d dans de des du elle elles en est et été être il ils je
l la le les leur leurs lui m ma mais me mes mon n ne nos notre nous on ou où par pas plus
pour qu que qui s sa se ses son sont sur t ta te tes ton tu un une vos votre vous y ça cela
ceci donc alors ainsi aussi bien très tout tous toute toutes fait faire peut comme car si
an and are as at be been but by can do does for from has have how if in into is it its of
on or so that the their then there these this those to was were what when which will with
""".split())
_WORD = re.compile(r"\w+")
_CODE_TOKEN = re.compile(r"[^\W\d]\w*|\d+(?:\.\d+)*|\"[^\"\n]*\"|'[^'\n]*'|\S")
_FENCE = re.compile(r"^\s*(```|~~~)")
_PY_KEEP = frozenset(keyword.kwlist) | {"print", "self", "True", "False", "None"}


class Token(NamedTuple):
    """A token and its span in the answer's text (a tuple: made by the thousand per
    answer)."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    word = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in word if not unicodedata.combining(c))


def prose_tokens(text: str, offset: int = 0) -> list[Token]:
    """Content words, folded and cut to a 6-letter stem (``conteneurs`` → ``conten``)."""
    out = []
    for match in _WORD.finditer(text):
        word = _fold(match.group())
        if word in _STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        start, end = match.span()
        out.append(Token(word[:6], offset + start, offset + end))
    return out


def code_tokens(text: str, kind: CodeKind | None, offset: int = 0) -> list[Token]:
    """Code tokens; Python identifiers become ``V`` so renaming variables changes nothing."""
    out = []
    for match in _CODE_TOKEN.finditer(text):
        token = match.group()
        if kind is CodeKind.PYTHON and (token[0].isalpha() or token[0] == "_") \
                and token not in _PY_KEEP:
            token = "V"
        elif token in "()[]{},;:.":
            continue  # punctuation carries no authorship and pads runs
        out.append(Token(_fold(token), offset + match.start(), offset + match.end()))
    return out


@lru_cache(maxsize=65536)
def _token_hash(text: str) -> int:
    """A token's hash, the same in every process (``hash()`` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(),
                          "big") % _PRIME


_PRIME = (1 << 61) - 1
_BASE = 1_000_003


def _gram_hashes(tokens: Sequence[Token], k: int) -> list[int]:
    """The hash of each run of ``k`` tokens, rolled (Rabin–Karp modulo a Mersenne prime):
    one multiplication per token instead of hashing every k-gram's text."""
    values = [_token_hash(t.text) for t in tokens]
    if len(values) < k:
        return []
    top = pow(_BASE, k - 1, _PRIME)
    h = 0
    for value in values[:k]:
        h = (h * _BASE + value) % _PRIME
    hashes = [h]
    for i in range(k, len(values)):
        h = ((h - values[i - k] * top) * _BASE + values[i]) % _PRIME
        hashes.append(h)
    return hashes


def winnow(tokens: Sequence[Token], *, k: int = K,
           window: int = WINDOW) -> list[tuple[int, int, int]]:
    """(hash, start, end) of the fingerprints kept: the smallest hash of each window of
    ``window`` consecutive k-grams (the rightmost on ties), each position once."""
    grams = [(h, tokens[i].start, tokens[i + k - 1].end)
             for i, h in enumerate(_gram_hashes(tokens, k))]
    if len(grams) <= window:
        return grams
    # The minimum of each window, rightmost on ties, with a monotonic queue of candidate
    # positions (hashes increasing from its left): each k-gram enters and leaves once.
    chosen: list[int] = []
    queue: deque[int] = deque()
    for j, gram in enumerate(grams):
        value = gram[0]
        while queue and grams[queue[-1]][0] >= value:
            queue.pop()
        queue.append(j)
        if queue[0] <= j - window:
            queue.popleft()
        if j >= window - 1 and (not chosen or chosen[-1] != queue[0]):
            chosen.append(queue[0])
    return [grams[j] for j in chosen]


def tokens_of(text: str, code_lines: Mapping[int, CodeKind] | None = None) -> list[Token]:
    """Tokens of a text whose lines are prose, or code of a known kind (by line index)."""
    tokens: list[Token] = []
    offset = 0
    for index, line in enumerate(text.split("\n")):
        kind = (code_lines or {}).get(index)
        if not _FENCE.match(line):
            tokens.extend(code_tokens(line, kind, offset) if kind is not None
                          else prose_tokens(line, offset))
        offset += len(line) + 1
    return tokens


def _answer_view(report: Report, question: str, lines: Sequence[str]
                 ) -> tuple[str, dict[int, CodeKind]] | None:
    """The student's own lines of an answer (prompt lines and image markup removed), and
    which of them are code."""
    answer = report.answer(question)
    if answer is None:
        return None
    prompt = set(answer.prompt_lines)
    kept: list[str] = []
    code: dict[int, CodeKind] = {}
    for number in range(answer.lines[0], answer.lines[1] + 1):
        if number in prompt or number > len(lines):
            continue
        for block in answer.code_blocks:
            if block.lines[0] <= number <= block.lines[1]:
                code[len(kept)] = block.kind
                break
        kept.append(IMAGE_MARKUP.sub(" ", lines[number - 1]))
    return "\n".join(kept), code


_BOILERPLATE: dict[str, frozenset[int]] = {}


def boilerplate(rubric: Rubric) -> frozenset[int]:
    """Fingerprints of everything the lab hands out: prompts (with their code skeletons),
    exercise intros, titles and the commands it asks for, read both as prose and as code.
    Computed once per rubric version and process."""
    cached = _BOILERPLATE.get(rubric.digest)
    if cached is None:
        cached = _BOILERPLATE[rubric.digest] = _boilerplate(rubric)
    return cached


def _boilerplate(rubric: Rubric) -> frozenset[int]:
    texts = [e.intro for e in rubric.exercises] + [e.title for e in rubric.exercises]
    for q in rubric.questions:
        texts += [q.prompt, q.title, *q.commands]
    hashes: set[int] = set()
    for text in texts:
        hashes.update(h for h, _, _ in winnow(tokens_of(text), window=1))
        for kind in (CodeKind.PYTHON, CodeKind.DOCKERFILE):
            lines = dict.fromkeys(range(text.count("\n") + 1), kind)
            hashes.update(h for h, _, _ in winnow(tokens_of(text, lines), window=1))
    return frozenset(hashes)


def answer_prints(report: Report, rubric: Rubric) -> dict[str, Any]:
    """Per graded question: the answer's text and its fingerprints minus the lab's
    (JSON-ready: stored with the student's result, compared later in the parent)."""
    lab = boilerplate(rubric)
    lines = report.text.split("\n")
    out: dict[str, Any] = {}
    for question in rubric.graded_questions:
        view = _answer_view(report, question.id, lines)
        if view is None:
            continue
        text, code = view
        prints = [[h, s, e] for h, s, e in winnow(tokens_of(text, code)) if h not in lab]
        if prints:
            out[question.id] = {"text": text, "fp": prints}
    return out


# ---------------------------------------------------------------- comparison

@dataclass(frozen=True, slots=True)
class Passage:
    a: str
    b: str


@dataclass(frozen=True, slots=True)
class SharedAnswer:
    question: str
    containment: float
    """Share of the shorter answer's fingerprints found in the other."""
    shared: int
    passages: tuple[Passage, ...]


@dataclass(frozen=True, slots=True)
class SimilarPair:
    a: str
    b: str
    answers: tuple[SharedAnswer, ...]

    @property
    def score(self) -> float:
        """The highest share of an answer found in the other student's."""
        return max(s.containment for s in self.answers)

    @property
    def shared(self) -> int:
        """Fingerprints shared over all the answers alike: the weight of the evidence."""
        return sum(s.shared for s in self.answers)

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "score": round(self.score, 3), "shared": self.shared,
                "questions": [{"question": s.question, "containment": round(s.containment, 3),
                               "shared": s.shared,
                               "passages": [{"a": p.a, "b": p.b} for p in s.passages]}
                              for s in self.answers]}


def _spans(prints: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(set(prints)):
        if merged and start <= merged[-1][1] + 1:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _excerpt(text: str, span: tuple[int, int]) -> str:
    piece = " ".join(text[span[0]:span[1]].split())
    return piece if len(piece) <= PASSAGE_CHARS else piece[:PASSAGE_CHARS - 1] + "…"


def _passages(a: Mapping[str, Any], b: Mapping[str, Any], shared: set[int]) -> tuple[Passage,
                                                                                     ...]:
    """The longest passages of A made of shared fingerprints, each with B's matching text."""
    groups: list[list[Any]] = []  # [start, end, hashes] of A's runs of shared fingerprints
    for s, e, h in sorted((s, e, h) for h, s, e in a["fp"] if h in shared):
        if groups and s <= groups[-1][1] + 1:
            last = groups[-1]
            if e > last[1]:
                last[1] = e
            last[2].add(h)
        else:
            groups.append([s, e, {h}])
    groups.sort(key=lambda g: (g[0] - g[1], g[0]))
    top = groups[:MAX_PASSAGES]
    wanted = set().union(*(g[2] for g in top)) if top else set()
    b_at: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for h, s, e in b["fp"]:
        if h in wanted:
            b_at[h].append((s, e))
    out = []
    for start, end, hashes in top:
        b_spans = _spans(p for h in hashes for p in b_at[h])
        b_text = " … ".join(_excerpt(b["text"], sp) for sp in b_spans[:3])
        out.append(Passage(_excerpt(a["text"], (start, end)), b_text))
    return tuple(out)


def find_similar(prints: Mapping[str, Mapping[str, Any]], *, min_shared: int = MIN_SHARED,
                 min_containment: float = MIN_CONTAINMENT, pair_evidence: int = PAIR_EVIDENCE,
                 long_passage: int = LONG_PASSAGE, common_share: float = COMMON_SHARE,
                 common_min: int = COMMON_MIN,
                 passage_pairs: int = PASSAGE_PAIRS) -> list[SimilarPair]:
    """Flagged pairs of students, most alike first, with their answers alike (and, for
    the first ``passage_pairs`` pairs, the shared passages).

    ``prints`` maps each student to ``answer_prints`` output. Deterministic: the same
    prints give the same pairs in the same order."""
    students = sorted(prints)
    common = max(common_min, int(common_share * len(students)))
    questions = sorted({q for s in students for q in prints[s]})
    alike: dict[tuple[str, str], list[tuple[str, float, int]]] = defaultdict(list)
    sets_of: dict[str, dict[str, set[int]]] = {}
    frequent_of: dict[str, set[int]] = {}
    for question in questions:
        sets = sets_of[question] = {s: {h for h, _, _ in prints[s][question]["fp"]}
                                    for s in students if question in prints[s]}
        postings: dict[int, list[str]] = defaultdict(list)
        for student, hashes in sets.items():
            for h in hashes:
                postings[h].append(student)
        frequent = frequent_of[question] = {h for h, who in postings.items()
                                            if len(who) > common}
        own = {s: len(hashes - frequent) for s, hashes in sets.items()}
        counts: Counter[tuple[str, str]] = Counter()
        for who in postings.values():
            if 1 < len(who) <= common:
                counts.update(combinations(sorted(who), 2))  # counted in C
        for (a, b), shared in counts.items():
            if shared < min_shared:
                continue
            size = min(own[a], own[b])
            containment = shared / size if size else 0.0
            if containment >= min_containment:
                alike[(a, b)].append((question, containment, shared))
    flagged = []
    for (a, b), answers in alike.items():
        evidence = sum(shared for _, _, shared in answers)
        longest = max((shared for _, c, shared in answers if c >= 0.5), default=0)
        if evidence >= pair_evidence or longest >= long_passage:
            top = max(c for _, c, _ in answers)
            flagged.append(((-evidence, -top, a, b), answers))
    flagged.sort(key=lambda item: item[0])
    pairs = []
    for rank, ((_, _, a, b), answers) in enumerate(flagged):
        pairs.append(SimilarPair(a, b, tuple(
            SharedAnswer(q, c, n, _passages(
                prints[a][q], prints[b][q],
                (sets_of[q][a] & sets_of[q][b]) - frequent_of[q])
                if rank < passage_pairs else ())
            for q, c, n in answers)))
    return pairs
