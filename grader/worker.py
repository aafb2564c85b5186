"""One grading in a batch worker process: grade, apply overrides, fingerprint, render.

The batch's workers (``grader/batch.py`` runs them in a ``pebble`` pool)
each receive their rubrics once (``init_worker``), then one ``Task`` per
submission, and send back an ``Outcome`` whose payloads are already packed
for the store, so the parent only writes them; the student's pages are
written too, staged in the output folder's ``.tmp`` for the parent to move
into place once the result is saved. A student's crash is caught
here and becomes a failed outcome with its traceback; a hang or a dying
worker is turned into one by the parent (``failure``).
"""

from __future__ import annotations

import errno
import importlib
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from grader.models import Diagnostic, Report, ScoreSheet, Severity, Submission
from grader.outputs import student_files
from grader.rubric import Rubric
from grader.sheetcodec import StoredOverride, apply_overrides, encode_sheet
from grader.similarity import answer_prints
from grader.store import STORE_NAME, NewResult, pack

if TYPE_CHECKING:
    from grader.pipeline import Graded


@dataclass(frozen=True, slots=True)
class Task:
    student: str
    slug: str
    folder: str
    input_key: str
    notes: tuple[Diagnostic, ...]
    overrides: tuple[StoredOverride, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a worker sends back: the result, its payloads already packed for the store."""

    result: NewResult
    """All but ``report_digest``, which the parent knows (it hashed the files)."""
    report_path: str | None = None
    """The graded report, relative to the submission folder."""
    staged: tuple[tuple[str, str], ...] = ()
    """The student's pages (``student_files``) the worker wrote, complete, into
    ``staging``: (name in the output folder, staged path)."""
    staging: str | None = None
    """The folder in the output folder's ``.tmp`` where the worker staged this grading's
    pages and screenshots. The parent puts them in place once the result is saved
    (``place_staged``), so the folder never shows a result the store does not hold: a
    worker left running after its batch was killed only writes in ``.tmp``."""


def sheet_flags(sheet: ScoreSheet) -> tuple[str, ...]:
    """The codes of a sheet's warnings and errors, stored beside it for the summary."""
    return tuple(sorted({d.code for d in sheet.diagnostics if d.severity is not Severity.INFO}))


@dataclass(slots=True)
class _Worker:
    rubrics: Sequence[Rubric]
    forced: Rubric | None
    html: bool
    similarity: bool
    templates: Path | None
    grade: Callable[..., Graded]
    sandbox: Any = None
    out: Path | None = None
    """The output folder: screenshots go next to the pages (``sheets/<slug>_files/``)."""
    ocr: Any = None
    """The OCR cache (``grader.ocr.SqliteOcrCache`` on the results store) when screenshots
    are read; ``None`` when they are not."""


_WORKER: _Worker | None = None


def init_worker(rubrics: Sequence[Rubric], forced: Rubric | None, html: bool,
                 similarity: bool, templates: Path | None, grade_fn: str,
                 sandbox: tuple[Any, str, bool, Path | None] | None, out: Path,
                 ocr: Path | None = None) -> None:
    global _WORKER
    module, _, name = grade_fn.partition(":")
    runner = None
    if sandbox is not None:
        from grader.sandbox import SandboxRunner

        limits, run_id, keep, log_dir = sandbox
        runner = SandboxRunner(limits, run_id=run_id, keep=keep, jobs=1, log_dir=log_dir)
    cache = None
    if ocr is not None:  # the store's file: this worker's own connection to its OCR table
        from grader.ocr import SqliteOcrCache

        cache = SqliteOcrCache(ocr)
    # hadolint's findings shared with the other workers and kept for the next runs, in the
    # results store, as OCR's texts are
    from grader.criteria.dockerfile import share_lint_results

    share_lint_results(out / STORE_NAME)
    _WORKER = _Worker(rubrics, forced, html, similarity, templates,
                      getattr(importlib.import_module(module), name), runner, out, cache)


def failed_sheet(student: str, code: str, message: str) -> ScoreSheet:
    return ScoreSheet(student=student, rubric=None, rubric_title=None, rubric_digest=None,
                      report_path=None, questions=(), out_of=None,
                      diagnostics=(Diagnostic(code, message, Severity.ERROR),))


def _render(graded: Graded, rubric: Rubric | None, templates: Path | None,
            assets: Path | None = None) -> tuple[str | None, str | None]:
    """Both audiences' pages (student, instructor). With ``assets`` (a ``<slug>_files``
    folder, staged), screenshots are files there, to be placed beside the pages
    (``sheets/<slug>_files/``, hard-linked into ``students/``), rather than base64 inside
    each page: a class's pages would otherwise carry every screenshot twice through the
    pipe, the store and the disk."""
    try:
        from grader.render import render_sheets
    except ImportError:  # the HTML views are optional
        return None, None
    pages = render_sheets(graded, audiences=("student", "instructor"), rubric=rubric,
                          assets=assets, templates=templates)
    return pages[0], pages[1]


def _publish(folder: Path, targets: Sequence[Path]) -> None:
    """Move each file into the first target and link it into the others, each file
    appearing complete or not at all (names carry the content's hash, so an existing
    file is the same file)."""
    for path in sorted(folder.iterdir()):
        first = targets[0] / path.name
        first.parent.mkdir(parents=True, exist_ok=True)
        if first.exists():  # the same content, published by another grading or run
            path.unlink()
        else:
            _move(path, first)
        for other in targets[1:]:
            target = other / path.name
            if target.exists():
                continue
            other.mkdir(parents=True, exist_ok=True)
            _copy_in(first, target)


def _copy_in(source: Path, target: Path) -> None:
    """``source`` under the name ``target`` too: a hard link where the filesystem allows
    it, else a copy, made beside ``target`` and renamed onto it (complete or absent)."""
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def _move(path: Path, target: Path) -> None:
    """``os.replace``, or, when ``target`` is on another filesystem (an output folder
    whose ``sheets/`` links elsewhere), a copy put in place (``_copy_in``) and the
    original removed: complete or absent either way."""
    try:
        os.replace(path, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        _copy_in(path, target)
        path.unlink()


def grade_task(task: Task) -> Outcome:
    """Grade one submission in a worker. Any exception becomes a failed outcome, with the
    traceback kept for the instructor: one student's crash never stops the class."""
    state = _WORKER
    assert state is not None, "grade_task runs in a worker started by _init_worker"
    start = time.perf_counter()
    staging: Path | None = None
    try:
        extra = {"sandbox": state.sandbox} if state.sandbox is not None else {}
        if state.ocr is not None:
            extra["ocr"] = state.ocr
        graded = state.grade(task.folder, state.rubrics, forced=state.forced,
                             student=task.student, **extra)
        sheet = graded.sheet
        if task.notes:
            sheet = replace(sheet, diagnostics=task.notes + sheet.diagnostics)
        sheet = apply_overrides(sheet, {o.question: o for o in task.overrides})
        graded = replace(graded, sheet=sheet)
        rubric = next((r for r in state.rubrics if r.id == sheet.rubric), None)
        prints = (answer_prints(graded.report, rubric)
                  if rubric is not None and state.similarity else None)
        staging = _staging(state.out, task.slug) if state.out is not None else None
        html = (_render(graded, rubric, state.templates,
                        staging / f"{task.slug}_files" if staging is not None else None)
                if state.html else (None, None))
        sheet_text = encode_sheet(sheet, graded.report)
        similarity = pack(orjson.dumps(prints).decode()) if prints else None
        staged = (_stage_pages(staging, task.slug, state.html, {
            "sheet": sheet_text, "html_student": html[0], "html_instructor": html[1]})
            if staging is not None else ())
    except Exception as exc:  # the student's sheet says what broke; the batch goes on
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        return failure(task, "batch.error", f"grading failed: {type(exc).__name__}: {exc}; "
                        "the other submissions are not affected",
                        traceback.format_exc(), time.perf_counter() - start, state)
    return Outcome(
        NewResult(student=task.student, input_key=task.input_key,
                  status="graded" if sheet.rubric else "ungraded", sheet=pack(sheet_text),
                  rubric_digest=sheet.rubric_digest, mark=sheet.mark,
                  similarity=similarity,
                  html_student=_pack(html[0]), html_instructor=_pack(html[1]),
                  seconds=time.perf_counter() - start, flags=sheet_flags(sheet)),
        report_path=graded.submission.report_path, staged=staged,
        staging=str(staging) if staging is not None else None)


def _pack(text: str | None) -> bytes | None:
    return None if text is None else pack(text)


def _staging(out: Path, slug: str) -> Path:
    """A new folder in ``out/.tmp`` (emptied at each batch's start) for one grading's
    files: its pages, and its screenshots in ``<slug>_files/``."""
    (out / ".tmp").mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{slug[:40]}.", dir=out / ".tmp"))


def _stage_pages(staging: Path, slug: str, html: bool,
                 texts: dict[str, str | None]) -> tuple[tuple[str, str], ...]:
    """Write the student's files, complete, into ``staging``, with the permissions any
    output file gets (``open``'s, under the umask; not ``mkstemp``'s 0600)."""
    staged = []
    for index, (name, column) in enumerate(student_files(slug, html).items()):
        text = texts.get(column)
        if text is None:
            continue
        path = staging / f"page{index}"
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
        staged.append((name, str(path)))
    return tuple(staged)


def place_staged(out: Path, outcome: Outcome) -> list[str]:
    """Put a saved result's staged files in place: its screenshots first (so that a page
    never links to one missing), then its pages, a rename each (atomic); the names of the
    pages placed. A page that cannot be moved (gone, or the folder refuses it) is left to
    ``write_outputs``, which writes it from the store."""
    if outcome.staging is None:
        return []
    staging = Path(outcome.staging)
    placed = []
    try:
        for folder in staging.glob("*_files"):
            _publish(folder, [out / "sheets" / folder.name, out / "students" / folder.name])
        for name, path in outcome.staged:
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            _move(Path(path), target)
            placed.append(name)
    except OSError:
        pass  # what is not placed is written by ``write_outputs``
    finally:
        _remove_staging(staging)
    return placed


def _remove_staging(staging: Path) -> None:
    """Remove a grading's staging folder. Once placed, it only holds empty folders
    (``_publish`` moves or drops each screenshot), which go with an ``rmdir`` each;
    whatever was left (a placement that failed) goes with ``rmtree``, which costs a walk
    with file descriptors per folder."""
    try:
        for folder in staging.iterdir():
            folder.rmdir()
        staging.rmdir()
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)


def failure(task: Task, code: str, message: str, error: str, seconds: float,
             state: _Worker | None = None, templates: Path | None = None) -> Outcome:
    sheet = failed_sheet(task.student, code, message)
    sheet = replace(sheet, diagnostics=task.notes + sheet.diagnostics)
    html: tuple[str | None, str | None] = (None, None)
    if state is None or state.html:
        from grader.pipeline import Graded  # the parent's failures only: imported on need

        graded = Graded(Submission(Path(task.folder), task.student, None, "", ""),
                        Report(None, "", None, ()), sheet)
        try:
            html = _render(graded, None, state.templates if state else templates)
        except Exception:  # a failed page must not hide the failure
            html = (None, None)
    return Outcome(NewResult(
        student=task.student, input_key=task.input_key, status="failed",
        sheet=pack(encode_sheet(sheet)), error=error, html_student=_pack(html[0]),
        html_instructor=_pack(html[1]), seconds=seconds, flags=sheet_flags(sheet),
        note=message))
