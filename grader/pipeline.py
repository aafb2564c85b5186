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

from grader.ingest import rank_reports, read_submission
from grader.models import Diagnostic, Report, SandboxOutcome, ScoreSheet, Severity, Submission
from grader.parse import MIN_FIT, detect_lab, named_for, parse_report
from grader.rubric import Rubric
from grader.scoring import score_report, unscored_sheet

if TYPE_CHECKING:
    from grader.ocr import OcrCache
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
                     sandbox: SandboxRunner | None = None, ocr: bool | OcrCache = False,
                     ocr_jobs: int = 1) -> Graded:
    """Grade one submission; with ``sandbox``, its code is also built and run (between
    parse and score) for the sandbox criteria. A report of no known lab is not run.

    With ``ocr`` (``True``, or an ``OcrCache`` that keeps results between gradings), the
    answers' screenshots are read with Tesseract (``ocr_jobs`` at a time) for the
    criteria that look at them; when Tesseract is not available the sheet says so and
    screenshots count by their presence, as with ``ocr=False``.

    With ``forced`` and no ``report``, the report of that lab is picked among the
    folder's reports (a repository holds ``rapport_tp1.md`` and ``rapport_tp2.md``);
    a report that is clearly another known lab's is never graded with ``forced``."""
    if forced is not None and report is None:
        report = report_for_lab(Path(folder), forced, rubrics)
    submission = read_submission(folder, report=report, encoding=encoding, student=student)
    parsed = parse_report(submission, rubrics, forced=forced)
    if forced is not None:
        other = _better_lab(submission, parsed, forced, rubrics)
        if other is not None:
            note = Diagnostic(
                "lab.mismatch", f"{submission.report_path} is a {other.id} report, not "
                f"{forced.id}; no {forced.id} report was found, so nothing was graded",
                Severity.ERROR)
            return Graded(submission, parsed,
                          unscored_sheet(submission.student, parsed, (*parsed.diagnostics, note)))
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
        texts, notes, ocr_note = _read_screenshots(submission, parsed, ocr, ocr_jobs)
        sheet = score_report(parsed, rubric, student=submission.student,
                             sources=submission.sources, sandbox=outcome,
                             diagnostics=(*diagnostics, *notes), ocr=texts, ocr_note=ocr_note)
    return Graded(submission, parsed, sheet, outcome)


def _read_screenshots(submission: Submission, report: Report, ocr: bool | OcrCache,
                      jobs: int) -> tuple[dict[str, str] | None, tuple[Diagnostic, ...],
                                          str | None]:
    """(texts by image path or ``None``, diagnostics, why no text) for ``score_report``."""
    from grader import ocr as reader

    if ocr is False:
        return None, (), "OCR désactivé"
    if not reader.answer_images(report):
        return {}, (), None
    if not reader.available():
        reason = reader.unavailable_reason() or "Tesseract is not available"
        note = Diagnostic("image.ocr_unavailable", f"screenshots were not read: {reason}; "
                          "they count by their presence only", Severity.INFO)
        return None, (note,), "OCR non disponible"
    cache = reader.MemoryOcrCache() if ocr is True else ocr
    texts, notes = reader.collect_ocr(submission, report, cache, jobs=jobs)
    return texts, notes, None


MAX_REPORTS = 8
"""Report-like files of a folder examined when looking for each lab's report."""


def report_for_lab(folder: Path, rubric: Rubric, rubrics: Sequence[Rubric]) -> str | None:
    """The folder's report for ``rubric``: one named for it (``rapport_tp2.md``) first,
    else the most report-like one that is not named for another known lab."""
    root = folder.parent if folder.is_file() else folder
    if folder.is_file():
        return folder.name
    candidates = [c.path for c in rank_reports(root)[:MAX_REPORTS]]
    named = [c for c in candidates if named_for(c, rubric)]
    if named:
        return named[0]
    others = [r for r in rubrics if r.id != rubric.id]
    free = [c for c in candidates if not any(named_for(c, r) for r in others)]
    return free[0] if free else (candidates[0] if candidates else None)


def _better_lab(submission: Submission, parsed: Report, forced: Rubric,
                rubrics: Sequence[Rubric]) -> Rubric | None:
    """Another known lab this report clearly belongs to, when ``forced`` does not fit."""
    if submission.report_path is None or not any(
            d.code == "lab.poor_fit" for d in parsed.diagnostics):
        return None
    others = [r for r in rubrics if r.id != forced.id]
    if not others:
        return None
    best, _ = detect_lab(submission.text, others, path=submission.report_path)
    return best.rubric if best is not None else None


def grade_repository(folder: str | Path, rubrics: Sequence[Rubric], *,
                     encoding: str | None = None, student: str | None = None,
                     sandbox: SandboxRunner | None = None, ocr: bool | OcrCache = False,
                     ocr_jobs: int = 1) -> list[Graded]:
    """Every lab report of a folder graded against its own lab: a student's repository
    holds one report per lab (``reports/rapport_tp1.md``, ``reports/rapport_tp2.md``).
    A folder with no report of a known lab gives one ungraded sheet, as before."""
    folder = Path(folder)
    if folder.is_file():
        return [grade_submission(folder, rubrics, encoding=encoding, student=student,
                                 sandbox=sandbox, ocr=ocr, ocr_jobs=ocr_jobs)]
    best: dict[str, tuple[float, str]] = {}
    for candidate in rank_reports(folder)[:MAX_REPORTS]:
        submission = read_submission(folder, report=candidate.path, encoding=encoding,
                                     student=student)
        if not submission.text:
            continue
        found, _ = detect_lab(submission.text, rubrics, path=submission.report_path)
        if found is not None and found.fit > best.get(found.rubric.id, (-1.0, ""))[0]:
            best[found.rubric.id] = (found.fit, candidate.path)
    if not best:
        return [grade_submission(folder, rubrics, encoding=encoding, student=student,
                                 sandbox=sandbox, ocr=ocr, ocr_jobs=ocr_jobs)]
    # Each report with the lab it was found to be; one that only its name makes that
    # lab's (an unfinished report) is detected again, so that its sheet says so.
    return [grade_submission(folder, rubrics,
                             forced=rubric if best[rubric.id][0] >= MIN_FIT else None,
                             report=best[rubric.id][1], encoding=encoding, student=student,
                             sandbox=sandbox, ocr=ocr, ocr_jobs=ocr_jobs)
            for rubric in rubrics if rubric.id in best]
