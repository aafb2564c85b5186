"""Grading one submission: ingest → parse → (sandbox) → score.

What ``grader grade`` runs, and what each ``grader batch`` worker will run.
Every stage's problems about the student's work end up as diagnostics on the
sheet; only an instructor's problem (a missing folder, a broken rubric)
raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.ingest import read_submission
from grader.models import Report, ScoreSheet, Submission
from grader.parse import parse_report
from grader.rubric import Rubric
from grader.scoring import score_report, unscored_sheet


@dataclass(frozen=True, slots=True)
class Graded:
    """Everything one grading produced, for the views."""

    submission: Submission
    report: Report
    sheet: ScoreSheet


def grade_submission(folder: str | Path, rubrics: Sequence[Rubric], *,
                     forced: Rubric | None = None, report: str | Path | None = None,
                     encoding: str | None = None, student: str | None = None) -> Graded:
    submission = read_submission(folder, report=report, encoding=encoding, student=student)
    parsed = parse_report(submission, rubrics, forced=forced)
    rubric = forced or next((r for r in rubrics if r.id == parsed.lab), None)
    if rubric is None:
        sheet = unscored_sheet(submission.student, parsed, parsed.diagnostics)
    else:
        sheet = score_report(parsed, rubric, student=submission.student,
                             sources=submission.sources, diagnostics=parsed.diagnostics)
    return Graded(submission, parsed, sheet)
