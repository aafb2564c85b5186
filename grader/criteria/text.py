"""Criteria on what the student wrote: concept groups and regular expressions.

Both read the student's own text (lines copied from the lab statement are
removed by the parser), and optionally the answer's code blocks and the text
recognised in its screenshots (``in: [text, code, screenshots]``).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from grader.criteria.base import Context, Criterion, Params, valid_pattern
from grader.models import IMAGE_MARKUP, Evidence, Judgement, Status
from grader.wording import find_any, fold, prepare

Source = Literal["text", "code", "screenshots"]


def _line_of(ctx: Context, snippet_start: str) -> int | None:
    """Best-effort report line of a matched snippet, for the evidence."""
    if ctx.answer is None:
        return None
    wanted = fold(snippet_start)[:30]
    copied = set(ctx.answer.prompt_lines)
    for offset, line in enumerate(ctx.answer.text.split("\n")):
        number = ctx.answer.lines[0] + offset
        if wanted and number not in copied and wanted in fold(line):
            return number
    return ctx.answer.lines[0]


def gather(ctx: Context, sources: tuple[Source, ...]) -> list[tuple[str, str]]:
    """(text, source label) pieces of the answer to search, in the order asked."""
    pieces: list[tuple[str, str]] = []
    answer = ctx.answer
    if answer is None:
        return pieces
    for source in sources:
        if source == "text":
            # Image references are markup, not the student's words (``user-attachments``).
            pieces.append((IMAGE_MARKUP.sub(" ", answer.student_text), "answer"))
        elif source == "code":
            pieces.extend((block.effective_text, "answer") for block in answer.code_blocks)
        elif source == "screenshots":
            for image in answer.images:
                text = ctx.ocr.get(image.path or image.src)
                if text:
                    pieces.append((text, f"screenshot:{image.path or image.src}"))
    return pieces


class ConceptParams(Params):
    groups: tuple[tuple[str, ...], ...] = Field(min_length=1)
    """Each group lists synonyms (French and English) of one idea."""
    min: int | None = Field(None, ge=1)
    """How many groups must be present for full credit (default: all)."""
    in_: tuple[Source, ...] = Field(("text",), alias="in")

    @field_validator("groups")
    @classmethod
    def _non_empty(cls, groups: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        for index, group in enumerate(groups):
            if not group or not all(s.strip() for s in group):
                raise ValueError(f"group {index + 1} is empty or has an empty synonym; "
                                 "list at least one word per group")
        return groups

    @model_validator(mode="after")
    def _min_fits(self) -> ConceptParams:
        if self.min is not None and self.min > len(self.groups):
            raise ValueError(f"min is {self.min} but there are only {len(self.groups)} groups; "
                             "lower min or add groups")
        return self


class Concepts(Criterion):
    """Checks that the answer expresses given ideas, each by any of its synonyms.

    What it does: each group lists synonyms of one idea in French and English
    ("processus principal", "main process", "PID 1"); a group is present when
    any synonym occurs in the student's own words (accents, case, inflections
    and small typos ignored, see ``grader.wording``). Credit is the
    share of the required number of groups found (``min``, default all).

    Why: an explanation can be worded in many ways; an instructor looks for
    the ideas, not a sentence. Text copied from the statement never counts.

    Example::

        - kind: concepts
          groups:
            - [processus principal, main process, "pid 1", seul processus]
            - [terminé, se termine, fini, finished, exits]
          min: 2
          weight: 2
          missed: "Précisez que le conteneur s'arrête : son processus principal est terminé."
    """

    kind = "concepts"
    code = "T101"
    Params = ConceptParams
    summary = "ideas present in the student's words (synonym groups, k of n)"

    @classmethod
    def judge(cls, params: ConceptParams, ctx: Context) -> Judgement:
        pieces = [(prepare(text), source) for text, source in gather(ctx, params.in_)]
        needed = params.min or len(params.groups)
        found: list[Evidence] = []
        missing: list[str] = []
        for group in params.groups:
            hit = None
            for folded, source in pieces:
                match = find_any(folded, group)
                if match is not None:
                    line = _line_of(ctx, match[1]) if source == "answer" else None
                    hit = Evidence(match[1], source, line)
                    break
            if hit is None:
                missing.append(group[0])
            else:
                found.append(hit)
        fraction = min(len(found), needed) / needed
        detail = None
        if fraction < 1:
            shown = ", ".join(f"« {m} »" for m in missing[:4])
            detail = f"idées trouvées : {len(found)}/{needed} ; absentes : {shown}"
        return Judgement(fraction, tuple(found), detail)


class RegexParams(Params):
    pattern: str
    ignore_case: bool = True
    in_: tuple[Source, ...] = Field(("text", "code"), alias="in")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        valid_pattern(pattern, "escape special characters such as ( ) [ ] { } . with a "
                      "backslash", named=False)
        return pattern


class Regex(Criterion):
    """Checks that the answer contains text matching a regular expression.

    What it does: searches the student's own text (and, by default, the
    answer's code blocks) for ``pattern``; full credit when found.

    Why: some facts have one precise form that synonyms cannot express: a
    version number (``PostgreSQL 16``), a URL (``postgresql://demo:demo@db:5432/demo``),
    a JSON payload.

    Example::

        - kind: regex
          pattern: 'postgres(ql)?\\s*16'
          missed: "Notez la version de PostgreSQL renvoyée par SELECT version() (16.x)."
    """

    kind = "regex"
    code = "T102"
    Params = RegexParams
    summary = "a regular expression found in the answer"

    @classmethod
    def judge(cls, params: RegexParams, ctx: Context) -> Judgement:
        flags = re.IGNORECASE if params.ignore_case else 0
        pattern = re.compile(params.pattern, flags)
        for text, source in gather(ctx, params.in_):
            match = pattern.search(text)
            if match:
                line = _line_of(ctx, match.group(0)) if source == "answer" else None
                return Judgement(1.0, (Evidence(match.group(0)[:120], source, line),))
        return Judgement(0.0, detail=None if ctx.answer else "réponse absente")


__all__ = ["Concepts", "Regex", "Status", "gather"]
