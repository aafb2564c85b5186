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
from typing import TYPE_CHECKING

from grader.ingest import read_submission
from grader.models import Report, SandboxOutcome, ScoreSheet, Submission
from grader.parse import parse_report
from grader.rubric import Rubric
from grader.scoring import score_report, unscored_sheet

if TYPE_CHECKING:
    from grader.sandbox import SandboxRunner


@dataclass(frozen=True, slots=True)
class Graded:
    """Everything one grading produced, for the views."""

    submission: Submission
    report: Report
    sheet: ScoreSheet
    sandbox: SandboxOutcome | None = None
    """What ``--sandbox`` observed; ``None`` when it did not run."""


def grade_submission(folder: str | Path, rubrics: Sequence[Rubric], *,
                     forced: Rubric | None = None, report: str | Path | None = None,
                     encoding: str | None = None, student: str | None = None,
                     sandbox: SandboxRunner | None = None) -> Graded:
    """Grade one submission; with ``sandbox``, its code is also built and run (between
    parse and score) for the sandbox criteria. A report of no known lab is not run."""
    submission = read_submission(folder, report=report, encoding=encoding, student=student)
    parsed = parse_report(submission, rubrics, forced=forced)
    rubric = forced or next((r for r in rubrics if r.id == parsed.lab), None)
    outcome: SandboxOutcome | None = None
    if rubric is None:
        sheet = unscored_sheet(submission.student, parsed, parsed.diagnostics)
    else:
        diagnostics = parsed.diagnostics
        if sandbox is not None:
            from grader.sandbox import outcome_diagnostics

            outcome = sandbox.run(submission, parsed)
            diagnostics = (*diagnostics, *outcome_diagnostics(outcome))
        sheet = score_report(parsed, rubric, student=submission.student,
                             sources=submission.sources, sandbox=outcome,
                             diagnostics=diagnostics)
    return Graded(submission, parsed, sheet, outcome)
