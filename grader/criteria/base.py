"""What every criterion kind is: a small, pure, registered unit with a stable code.

A criterion *judges* one aspect of one answer and returns a ``Judgement``
(a fraction earned and its evidence); the engine (``grader.scoring``) weighs
judgements into points, and views display them. Criteria never touch the
network, Docker or the file system: everything they read arrives in the
``Context`` (the answer, the whole report, the submission's code files, and
later the sandbox and OCR outcomes).

Each kind documents itself in its class docstring, in three parts: what it
does, why it matters, and an example of rubric YAML.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from grader.models import (
    Answer,
    CodeBlock,
    CodeKind,
    Evidence,
    FileKind,
    Judgement,
    Report,
    SourceFile,
)
from grader.rubric import Question

CODE_PATTERN = re.compile(r"^[A-Z]\d{3}$")


class Params(BaseModel):
    """Base of each kind's parameters: unknown keys are rubric errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a criterion may look at for one question of one submission."""

    question: Question
    answer: Answer | None
    report: Report
    sources: tuple[SourceFile, ...] = ()
    ocr: dict[str, str] = field(default_factory=dict)
    """Text recognised in screenshots, by image path (empty when OCR did not run)."""
    sandbox: Any = None
    """Outcomes of building and running the student's code, when ``--sandbox`` ran."""

    @property
    def student_text(self) -> str:
        return self.answer.student_text if self.answer is not None else ""

    def code(self, *kinds: CodeKind, file_kinds: tuple[FileKind, ...] = ()
             ) -> Iterator[tuple[str, Evidence]]:
        """Code of the wanted kinds, nearest first: the answer's own blocks, then the
        rest of the report, then the submission's files. Each comes with where it was."""
        seen: set[int] = set()
        if self.answer is not None:
            for block in self.answer.code_blocks:
                if block.kind in kinds:
                    seen.add(id(block))
                    yield block.effective_text, _block_evidence(block, "answer")
        for block in self.report.code_blocks:
            if block.kind in kinds and id(block) not in seen and not _inside(block, self.answer):
                yield block.effective_text, _block_evidence(block, "report")
        for source in self.sources:
            if source.kind in file_kinds:
                yield source.text, Evidence(source.path, f"file:{source.path}")


def _inside(block: CodeBlock, answer: Answer | None) -> bool:
    if answer is None:
        return False
    return answer.lines[0] <= block.lines[0] and block.lines[1] <= answer.lines[1]


def _block_evidence(block: CodeBlock, source: str) -> Evidence:
    first = block.effective_text.strip().split("\n", 1)[0]
    return Evidence(first[:120], source, block.lines[0])


@lru_cache(maxsize=8)
def _rows(report: str) -> tuple[str, ...]:
    return tuple(report.split("\n"))


def report_line(report: str, first: int, lines: list[str], index: int) -> int | None:
    """1-based report line of ``lines[index]`` for a code block starting at report line
    ``first``: the block's lines are matched in order, so fences, blank lines and lines
    the parser rebuilt are skipped, and a repeated line is found at the right place."""
    rows = _rows(report)
    row, found = first - 1, None
    for number, line in enumerate(lines[:index + 1]):
        wanted = line.strip()
        if not wanted:
            continue
        match = next((r for r in range(row, min(len(rows), row + 8)) if wanted in rows[r]), None)
        if match is not None:
            row = match + 1
            found = match + 1 if number == index else None
    return found


def where(evidence: Evidence) -> str:
    """French phrase saying where something was found, for feedback."""
    if evidence.source == "answer":
        return f"dans la réponse (ligne {evidence.line})" if evidence.line else "dans la réponse"
    if evidence.source == "report":
        return f"ailleurs dans le rapport (ligne {evidence.line})"
    if evidence.source.startswith("file:"):
        return f"dans le fichier {evidence.source[5:]}"
    if evidence.source.startswith("screenshot:"):
        return f"sur la capture {evidence.source[11:]}"
    return evidence.source


BaseParams = Params


T = TypeVar("T")


def best_candidate(judged: Iterable[tuple[Judgement, T]]) -> tuple[Judgement, T] | None:
    """The best of the candidates a code criterion judged (the earliest on ties) with
    what it was judged on. Candidates come lazily: after a full-credit one, the others
    are never read."""
    best: tuple[Judgement, T] | None = None
    for judgement, item in judged:
        if best is None or judgement.fraction > best[0].fraction:
            best = (judgement, item)
        if best[0].fraction >= 1:
            break
    return best


def no_code_found(what: str) -> Judgement:
    """The judgement of a code criterion with nothing of its kind to read anywhere."""
    return Judgement(0.0, detail=f"aucun {what} trouvé dans la réponse, le rapport ni les "
                     "fichiers rendus")


class Criterion(ABC):
    """A criterion kind. Subclasses set ``kind``, ``code`` and ``Params``."""

    kind: ClassVar[str]
    code: ClassVar[str]
    Params: ClassVar[type[BaseParams]]
    summary: ClassVar[str] = ""
    """One line for ``grader rubric show`` and the docs."""

    @classmethod
    def parse(cls, params: dict[str, Any]) -> BaseParams:
        return cls.Params.model_validate(params)

    @classmethod
    @abstractmethod
    def judge(cls, params: Any, ctx: Context) -> Judgement:
        """Judge one answer; raise only on a bug (the engine turns it into ERROR)."""


def valid_pattern(pattern: str | None, advice: str, *, named: bool = True) -> str | None:
    """A rubric's regular expression, checked when the rubric is loaded: an error names
    the pattern (``named``) and gives ``advice`` on how to write it."""
    if pattern is None:
        return None
    try:
        re.compile(pattern)
    except re.error as exc:
        problem = (f"pattern {pattern!r} is not a valid regular expression" if named
                   else "invalid regular expression")
        raise ValueError(f"{problem} ({exc}); {advice}") from exc
    return pattern
