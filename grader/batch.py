"""Grade a whole class: workers, progress, timeouts, fault isolation, the results store.

``run_batch`` finds the class's submissions (``archives``), decides which need
grading (``digests`` and the ``store``: a submission whose files, rubric,
overrides and grader code are unchanged keeps its earlier result), grades the
others in worker processes (``worker``), commits each result as it arrives,
then computes answer similarity and writes the output folder (``outputs``).
One batch at a time writes an output folder (a lock file).

Workers are a ``pebble`` process pool: each grading is a task with a
deadline; a task that hangs past it has its worker killed and replaced, a
worker that dies (segfault, ``os._exit``) is replaced too, and either way the
student gets a sheet saying what happened while the rest of the class is
graded. ``concurrent.futures`` cannot kill a running task, which is why it is
not used. Workers start from a fork server (``forkserver`` context): they do
not inherit the parent's open SQLite connection or its progress-bar thread,
and the grader is imported once in the server, so starting or replacing a
worker is cheap. Rubrics are handed to each worker once, at its start.

Determinism: a sheet depends only on the submission's files, the rubric, the
overrides and the grader's code, never on timing or order, so a batch killed
midway and run again ends with exactly the sheets of an uninterrupted run.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, as_completed
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pebble import ProcessExpired, ProcessPool

from grader.archives import Discovery, Limits, discover, slugify
from grader.digests import code_digest, folder_digest, load_rubrics
from grader.errors import GraderError
from grader.ocr import engine_id as ocr_engine
from grader.outputs import OVERRIDES_FILE, sync_overrides_file, write_outputs
from grader.roster import Roster, load_roster
from grader.rubric import Rubric
from grader.sheetcodec import overrides_digest
from grader.store import STORE_NAME, Store, StudentRecord
from grader.worker import Outcome, Task, failure, grade_task, init_worker, place_staged
from grader.workerserver import start_worker_server

if TYPE_CHECKING:
    from grader.sandbox import SandboxRunner

DEFAULT_TIMEOUT = 120.0
OCR_ALLOWANCE = 180.0
"""Seconds added to the default deadline when screenshots are read (about 1 s each, and
a worker stopped mid-way keeps in the store what it had read)."""


@dataclass(frozen=True, slots=True)
class BatchOptions:
    class_path: Path
    out: Path
    rubric: str | None = None
    """Rubric id or file; ``None``: detect each report's lab among ``rubrics/``."""
    jobs: int | None = None
    """Worker processes; ``None``: one per core."""
    timeout: float | None = None
    """Seconds one submission may take before its worker is killed; ``None``:
    ``DEFAULT_TIMEOUT``, or enough for the sandbox's builds and stack when it runs."""
    force: bool = False
    """Grade every submission again, even unchanged ones."""
    roster: Path | None = None
    html: bool = True
    similarity: bool = True
    templates: Path | None = None
    limits: Limits = field(default_factory=Limits)
    sandbox: SandboxRunner | None = None
    """The checked runner of ``--sandbox`` (its caller sweeps it at the end); each worker
    makes its own runner with the same run id and limits."""
    grade_fn: str = "grader.pipeline:grade_submission"
    """What workers call to grade one folder (``module:function``); tests swap in a
    function that crashes or hangs, the way a real submission can."""
    ocr: bool = True
    """Read the screenshots (Tesseract) in the workers, their texts cached in the results
    store by content (``--no-ocr``: off). Without Tesseract the sheets say so and
    screenshots count by their presence."""


class Progress(Protocol):
    """What the batch reports while it runs (the CLI draws a rich progress bar)."""

    def start(self, total: int, reused: int) -> None: ...
    def advance(self, student: str, status: str) -> None: ...
    def stop(self) -> None: ...


@dataclass(slots=True)
class BatchSummary:
    run_id: int
    out: Path
    students: int = 0
    graded: int = 0
    """Submissions graded in this run (the others kept their stored result)."""
    reused: int = 0
    ungraded: list[str] = field(default_factory=list)
    """Reports that match no lab (no mark)."""
    failed: dict[str, str] = field(default_factory=dict)
    """Student → why grading failed (crash, timeout, unreadable)."""
    flagged: dict[str, list[str]] = field(default_factory=dict)
    """Student → diagnostic codes that need the instructor (override changed under, …)."""
    similar_pairs: int = 0
    class_notes: list[str] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per phase (discover, hash, grade, similarity, outputs), for tuning."""

    def lap(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[phase] = round(self.timings.get(phase, 0.0) + now - since, 3)
        return now

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "students": self.students, "graded": self.graded,
                "reused": self.reused, "ungraded": self.ungraded, "failed": self.failed,
                "flagged": self.flagged, "similar_pairs": self.similar_pairs,
                "class_notes": self.class_notes,
                "outputs": {k: str(v) for k, v in self.outputs.items()},
                "seconds": round(self.seconds, 3), "timings": self.timings}


# ---------------------------------------------------------------- the class

def _records(discovery: Discovery, roster: Roster | None) -> list[StudentRecord]:
    records = []
    slugs: set[str] = set()
    for student in discovery.students:
        slug = base = slugify(student.key)
        n = 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.add(slug)
        person = roster.find(student.key, student.name, student.lms_id, student.login) \
            if roster is not None else None
        extra = {}
        if person is not None:
            extra = {k: v for k, v in (("sis_user_id", person.sis_user_id),
                                       ("sis_login_id", person.sis_login_id),
                                       ("section", person.section)) if v}
        records.append(StudentRecord(
            key=student.key, name=(person.name if person and person.name else student.name),
            slug=slug, folder=str(student.folder), source=student.source,
            lms_id=(person.id if person and person.id else student.lms_id or ""),
            email=person.email if person else "",
            login=(person.login if person and person.login else student.login or ""),
            extra=extra))
    return records


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------- the run

def run_batch(options: BatchOptions, progress: Progress | None = None) -> BatchSummary:
    """Grade the class of ``options.class_path`` into ``options.out``."""
    started = time.perf_counter()
    out = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with _exclusive(out):
        shutil.rmtree(out / ".tmp", ignore_errors=True)  # left by workers killed mid-page
        try:
            return _run(options, out, started, progress)
        finally:  # the workers are gone: what one staged before dying or timing out goes
            shutil.rmtree(out / ".tmp", ignore_errors=True)


@contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """One batch at a time per output folder: a second one would interleave pages and
    overrides. The lock is released by the system even when the batch is killed."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock, as before
        yield
        return
    with (out / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BatchBusy(f"another 'grader batch' is writing {out}; wait for it to end, "
                            "or choose another --out") from None
        yield


@contextmanager
def _long_lived() -> Iterator[Callable[[], None]]:
    """Keep what is alive now, and what the caller keeps with the callable it is given,
    out of the cyclic garbage collector until the block ends. The grader, the rubrics and
    the results decoded for the outputs live until the end of the batch, yet each full
    collection scanned them all again: a tenth of a second each, three of them in the
    class-wide step that no worker shares. Objects frozen are still freed by reference
    counting; only cycles among them wait for the block's end."""
    gc.freeze()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


class BatchBusy(GraderError):
    """Another batch holds the output folder."""


def _run(options: BatchOptions, out: Path, started: float,
         progress: Progress | None) -> BatchSummary:
    forced, rubrics = load_rubrics(options.rubric, out / ".cache")
    roster = load_roster(options.roster) if options.roster else None
    options = replace(options, out=out, class_path=options.class_path.resolve())
    discovery = discover(options.class_path, out / "extracted", options.limits)
    records = _records(discovery, roster)
    by_key = {s.key: s for s in discovery.students}
    rubric_digest = hashlib.sha256("".join(r.digest for r in rubrics).encode()).hexdigest()
    with Store.in_folder(out) as store:
        run_id = store.begin_run(started=_now(), class_path=str(options.class_path),
                                 rubric_digest=rubric_digest, students=records)
        summary = BatchSummary(run_id, out, students=len(records),
                               class_notes=[d.message for d in discovery.notes])
        clock = summary.lap("discover", started)
        sync_overrides_file(store, out / OVERRIDES_FILE, at=_now())
        overrides = store.overrides()
        known = store.file_hashes()
        fresh: dict[str, tuple[int, int, str]] = {}
        settings = json.dumps([code_digest(), rubric_digest, forced.id if forced else None,
                               options.html, options.similarity,
                               str(options.templates or ""), options.sandbox is not None]
                              + ([ocr_engine()] if options.ocr else []))
        latest = store.latest_keys()
        tasks: list[Task] = []
        reused: dict[str, int] = {}
        for record in records:
            student = by_key[record.key]
            mine = overrides.get(record.key, {})
            key = hashlib.sha256(json.dumps([
                settings, folder_digest(student.folder, known, fresh),
                [d.as_dict() for d in student.notes], overrides_digest(mine)]).encode()
            ).hexdigest()
            previous = latest.get(record.key)
            if (not options.force and previous is not None and previous[1] == key
                    and previous[2] != "failed"):
                reused[record.key] = previous[0]
            else:
                if not tasks:  # the workers' server imports the grader while hashing goes on
                    start_worker_server()
                tasks.append(Task(record.key, record.slug, str(student.folder), key,
                                  student.notes,
                                  tuple(mine[q] for q in sorted(mine))))
        store.remember_hashes(fresh)
        clock = summary.lap("hash", clock)
        store.reuse(run_id, reused)
        summary.reused = len(reused)
        hashes = {**known, **fresh}
        if progress is not None:
            progress.start(len(records), len(reused))
        fresh_files: dict[str, int] = {}
        with _long_lived() as keep:
            try:
                _grade_all(tasks, options, forced, rubrics, store, run_id, hashes, summary,
                           progress, fresh_files)
            finally:
                if progress is not None:
                    progress.stop()
            clock = summary.lap("grade", clock)
            keep()  # the results decoded while grading: read until the end
            write_outputs(store, out, rubrics=rubrics, summary=summary, html=options.html,
                          similarity=options.similarity, templates=options.templates,
                          fresh=fresh_files)
        summary.seconds = time.perf_counter() - started
        store.finish_run(run_id, finished=_now(), summary=summary.as_dict())
    return summary


def _grade_all(tasks: Sequence[Task], options: BatchOptions, forced: Rubric | None,
               rubrics: Sequence[Rubric], store: Store, run_id: int,
               hashes: Mapping[str, tuple[int, int, str]], summary: BatchSummary,
               progress: Progress | None, fresh_files: dict[str, int]) -> None:
    """Grade ``tasks`` in worker processes, saving each result as it arrives, then moving
    the pages its worker staged into place; those are added to ``fresh_files`` (name →
    result id)."""
    if not tasks:
        return
    runner = options.sandbox
    jobs = options.jobs or (runner.jobs if runner is not None else os.cpu_count()) or 1
    jobs = max(1, min(jobs, len(tasks)))
    sandbox = ((runner.limits, runner.run_id, runner.keep, runner.log_dir)
               if runner is not None else None)
    timeout = task_timeout(options)
    context = start_worker_server()
    pool = ProcessPool(max_workers=jobs, context=context, initializer=init_worker,
                       initargs=(tuple(rubrics), forced, options.html, options.similarity,
                                 options.templates, options.grade_fn, sandbox, options.out,
                                 options.out / STORE_NAME if options.ocr else None))
    futures: dict[Future[Outcome], Task] = {}
    try:
        for task in tasks:
            futures[pool.schedule(grade_task, (task,), timeout=timeout)] = task
        for future in as_completed(futures):
            task = futures[future]
            outcome = _outcome(future, task, options)
            report_digest = None
            if outcome.report_path is not None:
                hit = hashes.get(str(Path(task.folder) / outcome.report_path))
                report_digest = hit[2] if hit else None
            result = replace(outcome.result, report_digest=report_digest)
            result_id = store.save_result(run_id, result)
            fresh_files.update(dict.fromkeys(place_staged(options.out, outcome), result_id))
            status = result.status
            if status == "graded":
                # Decoded now, while the workers grade (this process is otherwise idle):
                # the class-wide outputs read them at the end.
                store.keep_decoded(result_id, result)
            summary.graded += 1
            if progress is not None:
                progress.advance(task.student, status)
    except BaseException:
        pool.stop()
        raise
    finally:
        pool.close()
        pool.join()


def task_timeout(options: BatchOptions) -> float:
    """The per-submission deadline: given, or the default, or (with the sandbox) two
    builds, two compose runs and the readiness waits; plus ``OCR_ALLOWANCE`` when the
    screenshots are read."""
    if options.timeout is not None:
        return options.timeout
    extra = OCR_ALLOWANCE if options.ocr else 0.0
    if options.sandbox is not None:
        limits = options.sandbox.limits
        return (2 * limits.build_timeout + 2 * limits.compose_timeout
                + 4 * limits.ready_timeout + extra)
    return DEFAULT_TIMEOUT + extra


def _outcome(future: Future[Outcome], task: Task, options: BatchOptions) -> Outcome:
    """The worker's outcome, or a failed one saying how the worker failed."""
    timeout = task_timeout(options)
    try:
        return future.result()
    except FutureTimeout:
        return failure(task, "batch.timeout",
                        f"grading took longer than {timeout:g} s and was stopped; "
                        "the report may be pathological: grade it alone with 'grader grade'",
                        f"timeout after {timeout:g} s", timeout, templates=options.templates)
    except ProcessExpired as exc:
        return failure(task, "batch.crashed",
                        f"the grading process died (exit code {exc.exitcode}); grade the "
                        "submission alone with 'grader grade' to see why",
                        f"worker died: {exc}", 0.0, templates=options.templates)
    except Exception as exc:  # an outcome that could not be sent back, for instance
        return failure(task, "batch.error", f"grading failed: {type(exc).__name__}: {exc}",
                        "".join(traceback.format_exception(exc)), 0.0,
                        templates=options.templates)




# ---------------------------------------------------------------- reporting

class RichProgress:
    """A progress bar on the terminal (stderr), with the last student graded."""

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        self.bar = Bar(TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn(), TimeRemainingColumn(),
                       TextColumn("{task.fields[last]}"),
                       console=console or Console(stderr=True), transient=False)
        self.task: Any = None

    def start(self, total: int, reused: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("grading", total=total, completed=reused,
                                      last=f"{reused} unchanged" if reused else "")

    def advance(self, student: str, status: str) -> None:
        self.bar.update(self.task, advance=1,
                        last=student if status != "failed" else f"{student} (failed)")

    def stop(self) -> None:
        self.bar.stop()


def summary_lines(summary: BatchSummary) -> list[str]:
    """The end-of-run report: counts, what failed and why, what needs a look, where the
    outputs are."""
    ok = summary.students - len(summary.failed) - len(summary.ungraded)
    lines = [f"{summary.students} submissions: {ok} graded, {len(summary.ungraded)} not "
             f"graded (no lab recognised), {len(summary.failed)} failed, "
             f"{len(summary.flagged)} flagged — {summary.graded} graded now, "
             f"{summary.reused} unchanged ({summary.seconds:.1f} s)"]
    lines += [f"  failed   {who}: {why}" for who, why in sorted(summary.failed.items())]
    lines += [f"  flagged  {who}: {', '.join(codes)}"
              for who, codes in sorted(summary.flagged.items())]
    if summary.similar_pairs:
        lines.append(f"  {summary.similar_pairs} pairs of students with answers alike "
                     "(dashboard, similarity.json)")
    lines += [f"  archive: {note}" for note in summary.class_notes]
    names = {"dashboard": "dashboard", "sheets": "sheets", "students": "student sheets",
             "grades": "CSV export", "similarity": "similarity", "overrides": "overrides",
             "store": "results store"}
    lines += [f"{label:>15}: {summary.outputs[key]}" for key, label in names.items()
              if key in summary.outputs]
    return lines
