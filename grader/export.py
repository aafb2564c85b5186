"""Gradebook exports: what an LMS imports, and plain CSV/JSON for everything else.

Every export reads the results store and applies the instructor's current
overrides first, so ``grader override`` followed by ``grader export`` gives
the right marks without re-grading. Marks are the sheets' own (``/20`` with the
rubric's rounding, derived by ``ScoreSheet.mark``); a student whose grading
failed or whose report matches no lab gets an empty grade, which every LMS
reads as "not graded" rather than 0.

- ``moodle``: the assignment's offline grading worksheet (``Identifier`` =
  ``Participant <id>``, ``Full name``, ``Email address``, ``Grade``, ``Maximum
  Grade``, ``Feedback comments``), uploaded with "Upload grading worksheet".
- ``canvas``: Canvas's gradebook CSV (``Student``, ``ID``, ``SIS User ID``,
  ``SIS Login ID``, ``Section``, then the assignment's column; a ``Points
  Possible`` row first).
- ``csv``: one line per student, one column per question, which questions were
  overridden and which warnings the sheet carries.
- ``json``: the full score sheets with the students' identities.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from grader.models import ScoreSheet, Severity
from grader.sheetcodec import apply_overrides
from grader.store import Store, StudentRecord
from grader.views import sheet_json

FORMATS = ("csv", "moodle", "canvas", "json")


@dataclass(frozen=True, slots=True)
class GradeRow:
    student: StudentRecord
    status: str
    """``graded``, ``ungraded`` (no lab recognised), ``failed`` or ``missing`` (never
    graded: the batch was stopped before it)."""
    sheet: ScoreSheet | None
    error: str | None = None

    @property
    def mark(self) -> float | None:
        return self.sheet.mark if self.sheet is not None and self.status == "graded" else None


def grade_rows(store: Store, run_id: int | None = None) -> list[GradeRow]:
    """The class of a run (the last by default) with each student's latest sheet, the
    current overrides applied."""
    students = store.class_students(run_id)
    results = store.results(s.key for s in students)
    overrides = store.overrides()
    rows = []
    for student in students:
        result = results.get(student.key)
        if result is None:
            rows.append(GradeRow(student, "missing", None))
            continue
        sheet = apply_overrides(store.sheet(result.id), overrides.get(student.key, {}))
        rows.append(GradeRow(student, result.status, sheet, result.error))
    return rows


def _num(value: float | None) -> str:
    return "" if value is None else format(round(value, 4), "g")


def _question_ids(rows: Sequence[GradeRow]) -> list[str]:
    ids: list[str] = []
    for row in rows:
        for q in row.sheet.questions if row.sheet is not None else ():
            if q.id not in ids:
                ids.append(q.id)
    return ids


def _csv(header: Sequence[str], lines: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(lines)
    return buffer.getvalue()


def feedback_text(row: GradeRow) -> str:
    """The feedback an LMS shows the student: the mark, then each question's score with
    what is missing, overrides marked with the instructor's comment."""
    sheet = row.sheet
    if row.status == "failed" or sheet is None:
        return "Correction automatique impossible : le rapport sera corrigé à la main."
    if not sheet.questions:
        return "Aucun rapport de ce TP reconnu dans le dépôt : non noté."
    lines = [f"{sheet.rubric_title or sheet.rubric} : {_num(sheet.mark)}/{_num(sheet.out_of)} "
             f"(total {_num(sheet.total)}/{_num(sheet.max_total)})"]
    for q in sheet.questions:
        line = f"{q.id} : {_num(q.score)}/{_num(q.points)}"
        if q.override is not None:
            line += " (note modifiée par l'enseignant"
            line += f" : {q.override.comment})" if q.override.comment else ")"
        elif q.score < q.points:
            line += " — " + ("réponse non trouvée" if not q.answered and not q.missing
                             else "; ".join(q.missing))
        lines.append(line)
    return "\n".join(lines)


def to_csv(rows: Sequence[GradeRow]) -> str:
    questions = _question_ids(rows)
    header = ["student", "name", "lms_id", "email", "status", "mark", "out_of", "total",
              "max_total", *questions, "overridden", "flags"]
    lines = []
    for row in rows:
        sheet = row.sheet
        scores = {q.id: q for q in sheet.questions} if sheet is not None else {}
        flags = sorted({d.code for d in sheet.diagnostics
                        if d.severity is not Severity.INFO}) if sheet is not None else []
        graded = sheet if row.status == "graded" else None
        lines.append([
            row.student.key, row.student.name, row.student.lms_id, row.student.email,
            row.status, _num(row.mark), _num(graded.out_of) if graded else "",
            _num(graded.total) if graded else "", _num(graded.max_total) if graded else "",
            *(_num(scores[q].score) if q in scores else "" for q in questions),
            ";".join(q.id for q in scores.values() if q.override is not None),
            ";".join(flags)])
    return _csv(header, lines)


def _participant(student: StudentRecord) -> str:
    identifier = student.lms_id
    return f"Participant {identifier}" if identifier.isdigit() else identifier


def to_moodle(rows: Sequence[GradeRow]) -> str:
    header = ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade",
              "Feedback comments"]
    lines = []
    for row in rows:
        out_of = row.sheet.out_of if row.sheet is not None else None
        lines.append([_participant(row.student), row.student.name, row.student.email,
                      _num(row.mark), _num(out_of), feedback_text(row)])
    return _csv(header, lines)


def to_canvas(rows: Sequence[GradeRow], assignment: str | None = None) -> str:
    title = assignment or next((r.sheet.rubric_title for r in rows
                                if r.sheet is not None and r.sheet.rubric_title), "Grade")
    out_of = next((r.sheet.out_of for r in rows if r.sheet is not None and r.sheet.out_of),
                  None)
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", title]
    lines: list[list[str]] = [["Points Possible", "", "", "", "", _num(out_of)]]
    for row in rows:
        extra = row.student.extra or {}
        lines.append([row.student.name, row.student.lms_id, extra.get("sis_user_id", ""),
                      extra.get("sis_login_id", row.student.login),
                      extra.get("section", ""), _num(row.mark)])
    return _csv(header, lines)


def to_json(rows: Sequence[GradeRow]) -> str:
    data = {"schema": 1, "students": [
        {"student": row.student.key, "name": row.student.name, "lms_id": row.student.lms_id,
         "email": row.student.email, "status": row.status, "mark": row.mark,
         "error": row.error, "feedback": feedback_text(row),
         "sheet": sheet_json(row.sheet) if row.sheet is not None else None}
        for row in rows]}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


EXPORTERS: dict[str, Callable[[Sequence[GradeRow]], str]] = {
    "csv": to_csv, "moodle": to_moodle, "canvas": to_canvas, "json": to_json}


def export(rows: Sequence[GradeRow], fmt: str, *, assignment: str | None = None) -> str:
    if fmt == "canvas":
        return to_canvas(rows, assignment)
    return EXPORTERS[fmt](rows)


def default_name(fmt: str) -> str:
    return {"csv": "grades.csv", "moodle": "grades-moodle.csv", "canvas": "grades-canvas.csv",
            "json": "grades.json"}[fmt]
