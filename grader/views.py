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

from grader.models import (
    HealthOutcome,
    ImageStatus,
    Report,
    SandboxOutcome,
    ScoreSheet,
    Submission,
)

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


def _health_json(health: HealthOutcome | None) -> dict[str, Any] | None:
    if health is None:
        return None
    return {"ok": health.ok, "status": health.status, "body": health.body,
            "seconds": health.seconds, "error": health.error, "exit_code": health.exit_code,
            "logs": health.logs}


def sandbox_json(outcome: SandboxOutcome | None) -> dict[str, Any]:
    """The sheet's ``sandbox`` object: each part ``null`` when it did not run."""
    if outcome is None:
        return {"ran": False, "source": None, "files": {}, "build": None, "health": None,
                "compose": None, "db": None, "refused": [], "rewritten": [], "notes": [],
                "run_id": None, "log_dir": None}
    build, compose, db = outcome.build, outcome.compose, outcome.db
    return {
        "ran": True,
        "source": outcome.source,
        "files": dict(outcome.files),
        "build": None if build is None else {
            "ok": build.ok, "seconds": build.seconds, "log_tail": build.log_tail,
            "error": build.error, "timed_out": build.timed_out, "dockerfile": build.dockerfile,
            "log_path": build.log_path},
        "health": _health_json(outcome.health),
        "compose": None if compose is None else {
            "ok": compose.ok, "services": dict(compose.services), "seconds": compose.seconds,
            "error": compose.error, "health": _health_json(compose.health),
            "logs": compose.logs},
        "db": None if db is None else {"ok": db.ok, "output": db.output, "service": db.service,
                                       "error": db.error},
        "refused": list(outcome.refused),
        "rewritten": list(outcome.rewritten),
        "notes": list(outcome.notes),
        "run_id": outcome.run_id,
        "log_dir": outcome.log_dir,
    }


def sheet_json(sheet: ScoreSheet, *, report: Report | None = None,
               sandbox: SandboxOutcome | None = None) -> dict[str, Any]:
    """The ``grader grade --json`` object (documented in the README); ``sandbox`` is what
    ``--sandbox`` observed (``pipeline.Graded.sandbox``), ``None`` when it did not run."""
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
                "images": [image.as_dict() for image in q.images],
            }
            for q in sheet.questions
        ],
        "total": sheet.total,
        "max_total": sheet.max_total,
        "mark": sheet.mark,
        "out_of": sheet.out_of,
        "diagnostics": [d.as_dict() for d in sheet.diagnostics],
        "sandbox": sandbox_json(sandbox),
    }


def _fmt(value: float) -> str:
    return f"{value:g}"


def sandbox_line(outcome: SandboxOutcome) -> str:
    """One line summing up the sandbox run, under the ``grader grade`` table."""
    parts = [f"code: {outcome.source}"]
    if outcome.build is not None:
        parts.append(f"build {'ok' if outcome.build.ok else 'FAILED'} "
                     f"({outcome.build.seconds:g} s)")
    if outcome.health is not None:
        parts.append(f"/health {outcome.health.status or '—'}")
    if outcome.refused:
        parts.append(f"compose REFUSED ({len(outcome.refused)} violations)")
    elif outcome.compose is not None:
        states = " ".join(f"{k}={v}" for k, v in outcome.compose.services)
        parts.append(f"compose {states or outcome.compose.error or '—'}")
    if outcome.db is not None:
        parts.append(f"db {'ok' if outcome.db.ok else 'FAILED'}")
    return "sandbox: " + " · ".join(parts)


def sheet_table(sheet: ScoreSheet, *, console_file: IO[str],
                sandbox: SandboxOutcome | None = None) -> None:
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
    if sandbox is not None:
        console.print(sandbox_line(sandbox), markup=False)
    for diagnostic in sheet.diagnostics:
        if diagnostic.severity != "info":
            console.print(f"  [{diagnostic.severity}] {diagnostic.code}: {diagnostic.message}",
                          markup=False)
