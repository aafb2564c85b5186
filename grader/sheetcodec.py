"""Score sheets to JSON and back, and the instructor's overrides applied to a sheet.

The JSON is the README's score sheet (``views.sheet_json``, schema 1) plus
``rounding``, so that a sheet read back from the store is the same
``ScoreSheet`` and its mark can be derived again after an override. Overrides
are applied here, on the sheet, never by re-scoring: the automatic score stays
what the criteria earned, the override's score counts, and a sheet whose
automatic score moved under an override says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson

from grader.models import (
    CriterionResult,
    Diagnostic,
    Evidence,
    ImageReading,
    Override,
    QuestionScore,
    Report,
    ScoreSheet,
    Severity,
    Status,
)
from grader.views import sheet_json

OVERRIDE_CODES = ("override.auto_changed", "override.orphan", "override.out_of_range")


@dataclass(frozen=True, slots=True)
class StoredOverride:
    """An instructor's override as kept in the store."""

    student: str
    question: str
    override: Override
    auto_before: float | None
    """The automatic score when the override was set; a re-grade that changes it is flagged."""


def encode_sheet(sheet: ScoreSheet, report: Report | None = None) -> str:
    """The sheet's JSON (README schema 1) plus ``rounding``, so that the store can rebuild
    the sheet and recompute its mark after an override."""
    data = sheet_json(sheet, report=report)
    data["rounding"] = sheet.rounding
    # orjson: the same indented JSON as ``json.dumps(indent=2)``, whose indenting falls back
    # to the pure-Python encoder (a few ms per sheet, paid by every student of a batch).
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()


def overrides_digest(overrides: Mapping[str, StoredOverride]) -> str:
    """What about a student's overrides changes their sheet (part of the re-grade key)."""
    return json.dumps(sorted((o.question, o.override.score, o.override.comment,
                              o.override.author, o.override.at, o.auto_before)
                             for o in overrides.values()))


def apply_overrides(sheet: ScoreSheet, overrides: Mapping[str, StoredOverride]) -> ScoreSheet:
    """The sheet with the instructor's scores in place, and a warning where one needs a look:
    the automatic score changed under it, its question is gone, or it exceeds the points."""
    notes = [d for d in sheet.diagnostics if d.code not in OVERRIDE_CODES]
    questions = []
    known = {q.id for q in sheet.questions}
    for q in sheet.questions:
        stored = overrides.get(q.id)
        questions.append(replace(q, override=stored.override if stored else None))
        if stored is None:
            continue
        if stored.auto_before is not None and abs(q.auto_score - stored.auto_before) > 1e-9:
            notes.append(Diagnostic(
                "override.auto_changed",
                f"{q.id}: the automatic score changed from {stored.auto_before:g} to "
                f"{q.auto_score:g} since the override ({stored.override.score:g}) was set; "
                "the override is kept: set it again or clear it", Severity.WARNING))
        if stored.override.score > q.points:
            notes.append(Diagnostic(
                "override.out_of_range", f"{q.id}: override {stored.override.score:g} exceeds "
                f"the question's {q.points:g} points", Severity.WARNING))
    for question in sorted(set(overrides) - known):
        notes.append(Diagnostic(
            "override.orphan", f"{question}: an override exists but the sheet has no such "
            "question (rubric changed or report not graded); it is not counted",
            Severity.WARNING))
    return replace(sheet, questions=tuple(questions), diagnostics=tuple(notes))


def sheet_from_json(data: Mapping[str, Any]) -> ScoreSheet:
    """Rebuild a ``ScoreSheet`` from its JSON (``views.sheet_json``, schema 1)."""
    questions = []
    for q in data.get("questions", []):
        results = tuple(
            CriterionResult(
                code=r["code"], kind=r["kind"], weight=r["weight"], status=Status(r["status"]),
                fraction=r["fraction"], feedback=r["feedback"],
                evidence=tuple(Evidence(e["text"], e["source"], e.get("line"))
                               for e in r.get("evidence", [])),
                advice=tuple(r.get("advice", [])), cap=r.get("cap"))
            for r in q.get("criteria", []))
        override = q.get("override")
        questions.append(QuestionScore(
            id=q["id"], title=q["title"], points=q["points"], auto_score=q["auto_score"],
            answered=q["answered"], results=results,
            lines=tuple(q["lines"]) if q.get("lines") else None,
            override=Override(override["score"], override.get("comment", ""),
                              override.get("author", ""), override.get("at", ""))
            if override else None,
            images=tuple(ImageReading(i["path"], i["found"], i.get("ocr_text"),
                                      i.get("ocr_note")) for i in q.get("images", []))))
    rounding = data.get("rounding")
    return ScoreSheet(
        student=data["student"], rubric=data.get("rubric"),
        rubric_title=data.get("rubric_title"), rubric_digest=data.get("rubric_digest"),
        report_path=data.get("report"), questions=tuple(questions), out_of=data.get("out_of"),
        rounding=float(rounding) if rounding is not None else 0.0,
        diagnostics=tuple(Diagnostic(d["code"], d["message"], Severity(d["severity"]),
                                     d.get("line")) for d in data.get("diagnostics", [])))
