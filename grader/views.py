"""Terminal and JSON views of the pipeline's records (no logic, only display).

The JSON shapes are a contract with other tools: keys documented in the
README stay stable; new keys may be added.
"""

from __future__ import annotations

from collections import Counter
from typing import IO, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from grader.models import ImageStatus, Report, ScoreSheet, Submission

PARSE_SCHEMA = 1


def parse_json(submission: Submission, report: Report) -> dict[str, Any]:
    """The ``grader parse --json`` object."""
    return {
        "schema": PARSE_SCHEMA,
        "student": submission.student,
        "report": report.path,
        "encoding": submission.encoding,
        "lab": report.lab,
        "answers": [
            {
                "id": answer.id,
                "lines": list(answer.lines),
                "found_by": answer.found_by,
                "label": answer.label,
                "words": answer.word_count,
                "prompt_lines": list(answer.prompt_lines),
                "code_blocks": [
                    {"kind": str(block.kind), "lines": list(block.lines),
                     "origin": str(block.origin), "info": block.info,
                     "repaired": block.repaired is not None}
                    for block in answer.code_blocks
                ],
                "images": [
                    {"src": image.src, "line": image.line, "status": str(image.status),
                     "path": image.path}
                    for image in answer.images
                ],
            }
            for answer in report.answers
        ],
        "files": [{"path": f.path, "kind": str(f.kind), "size": f.size}
                  for f in submission.files],
        "diagnostics": [d.as_dict() for d in report.diagnostics],
    }


def parse_table(submission: Submission, report: Report, *, console_file: IO[str]) -> None:
    """The ``grader parse`` table: one row per answer."""
    console = Console(file=console_file, highlight=False, soft_wrap=True)
    console.print(f"[bold]{escape(submission.student)}[/bold]  report: {report.path or '—'}  "
                  f"encoding: {submission.encoding or '—'}  lab: {report.lab or '—'}")
    table = Table(show_edge=False, pad_edge=False)
    for column in ("id", "lines", "words", "code", "images", "found by"):
        table.add_column(column, justify="right" if column in ("words",) else "left")
    for answer in report.answers:
        kinds = Counter(str(block.kind) for block in answer.code_blocks)
        code = ", ".join(f"{k}×{n}" if n > 1 else k for k, n in sorted(kinds.items())) or "—"
        found = sum(1 for i in answer.images if i.status in (ImageStatus.FOUND,
                                                              ImageStatus.EMBEDDED))
        missing = len(answer.images) - found
        images = f"{found} found" + (f", {missing} missing" if missing else "") \
            if answer.images else "—"
        table.add_row(answer.id, f"{answer.lines[0]}–{answer.lines[1]}", str(answer.word_count),
                      code, images, answer.found_by + (f" ({answer.label})" if answer.label
                                                         else ""))
    console.print(table)
    for diagnostic in report.diagnostics:
        where = f" (line {diagnostic.line})" if diagnostic.line else ""
        console.print(f"  [{diagnostic.severity}] {diagnostic.code}{where}: {diagnostic.message}",
                      markup=False)


SHEET_SCHEMA = 1
"""Version of the score sheet JSON; bumped when a documented key changes meaning."""


def sheet_json(sheet: ScoreSheet, *, report: Report | None = None) -> dict[str, Any]:
    """The ``grader grade --json`` object (documented in the README)."""
    answers = {a.id: a for a in report.answers} if report is not None else {}
    return {
        "schema": SHEET_SCHEMA,
        "student": sheet.student,
        "rubric": sheet.rubric,
        "rubric_title": sheet.rubric_title,
        "rubric_digest": sheet.rubric_digest,
        "report": sheet.report_path,
        "questions": [
            {
                "id": q.id,
                "title": q.title,
                "score": q.score,
                "points": q.points,
                "auto_score": q.auto_score,
                "answered": q.answered,
                "lines": list(q.lines) if q.lines else None,
                "found_by": answers[q.id].found_by if q.id in answers else None,
                "override": ({"score": q.override.score, "comment": q.override.comment,
                              "author": q.override.author, "at": q.override.at}
                             if q.override else None),
                "missing": list(q.missing),
                "criteria": [r.as_dict() for r in q.results],
            }
            for q in sheet.questions
        ],
        "total": sheet.total,
        "max_total": sheet.max_total,
        "mark": sheet.mark,
        "out_of": sheet.out_of,
        "diagnostics": [d.as_dict() for d in sheet.diagnostics],
    }


def _fmt(value: float) -> str:
    return f"{value:g}"


def sheet_table(sheet: ScoreSheet, *, console_file: IO[str]) -> None:
    """The ``grader grade`` table: one row per question with what is missing."""
    console = Console(file=console_file, highlight=False, soft_wrap=False, width=120)
    title = sheet.rubric_title or "no lab recognised"
    console.print(f"[bold]{escape(sheet.student)}[/bold]  {escape(title)}  "
                  f"report: {escape(sheet.report_path or '—')}")
    if not sheet.questions:
        for diagnostic in sheet.diagnostics:
            console.print(f"  [{diagnostic.severity}] {diagnostic.code}: {diagnostic.message}",
                          markup=False)
        console.print("mark: — (not graded)")
        return
    table = Table(show_edge=False, pad_edge=False, expand=False)
    table.add_column("id")
    table.add_column("score", justify="right")
    table.add_column("missing", overflow="fold", max_width=90)
    for q in sheet.questions:
        score = f"{_fmt(q.score)}/{_fmt(q.points)}" + (" ✎" if q.override else "")
        missing = "non trouvée" if not q.answered and not q.score else "; ".join(q.missing)
        table.add_row(q.id, score, Text(missing or "—"))
    console.print(table)
    mark = "—" if sheet.mark is None else f"{_fmt(sheet.mark)}/{_fmt(sheet.out_of or 0)}"
    console.print(f"total {_fmt(sheet.total)}/{_fmt(sheet.max_total)}   mark {mark}")
    for diagnostic in sheet.diagnostics:
        if diagnostic.severity != "info":
            console.print(f"  [{diagnostic.severity}] {diagnostic.code}: {diagnostic.message}",
                          markup=False)
