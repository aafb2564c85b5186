"""Command line: thin wrappers that parse options, call the core and print.

The only module importing click. ``GraderError`` from the core becomes a
``click.ClickException`` with its own exit code; a student's problem never
reaches here as an exception (it is a diagnostic in the output).

Each command imports the part of the grader it uses: ``grader --help`` or the re-run of
an unchanged batch need not load the parser, the criteria and the HTML views, and a
batch starts its workers' server sooner.
"""

from __future__ import annotations

import gc
import json
import signal
import sys
import webbrowser
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from grader import __version__
from grader.errors import GraderError
from grader.models import AUDIENCES

if TYPE_CHECKING:
    from grader.sandbox import SandboxRunner


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2


def _click_error(exc: GraderError) -> click.ClickException:
    """The core's error as click's, keeping the core's exit code."""
    kind = type("GraderFailure", (click.ClickException,), {"exit_code": exc.exit_code})
    return kind(str(exc))


class _GraderGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GraderError as exc:
            raise _click_error(exc) from exc


@click.group(cls=_GraderGroup)
@click.version_option(__version__, prog_name="grader")
def main() -> None:
    """Grade students' Docker lab reports against YAML rubrics."""


def _rubrics(rubric: str | None):  # type: ignore[no-untyped-def]
    from grader.rubric import load_all_rubrics, load_rubric, resolve_rubric

    if rubric:
        forced = load_rubric(resolve_rubric(rubric))
        # The other labs stay known, so that a report of another lab is not graded.
        others = [r for r in load_all_rubrics() if r.id != forced.id]
        return forced, [forced, *others]
    rubrics = load_all_rubrics()
    if not rubrics:
        raise click.ClickException("no rubric found in ./rubrics; pass --rubric FILE")
    return None, rubrics


@main.command()
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.option("--report", "report_path", type=click.Path(path_type=Path),
              help="Use this file as the report instead of guessing.")
@click.option("--rubric", help="Rubric id or YAML file (default: detect the lab).")
@click.option("--encoding", help="Decode the report with this encoding (e.g. cp1252).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def parse(folder: Path, report_path: Path | None, rubric: str | None, encoding: str | None,
          as_json: bool) -> None:
    """Split a submission's report into answers by question id."""
    from grader.ingest import read_submission
    from grader.parse import parse_report
    from grader.views import parse_json, parse_table

    forced, rubrics = _rubrics(rubric)
    try:
        submission = read_submission(folder, report=report_path, encoding=encoding)
    except LookupError as exc:
        raise click.BadParameter(f"unknown encoding {encoding!r}", param_hint="--encoding") from exc
    report = parse_report(submission, rubrics, forced=forced)
    if as_json:
        json.dump(parse_json(submission, report), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        parse_table(submission, report, console_file=sys.stdout)


def sandbox_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--sandbox`` options, shared by ``grade`` and ``batch``; pass their values to
    ``sandbox_runner``."""
    options = [
        click.option("--sandbox", is_flag=True,
                     help="Also build and run the student's Dockerfile and compose stack on "
                          "the Docker engine (DOCKER_HOST) for the sandbox criteria."),
        click.option("--sandbox-timeout", type=click.FloatRange(1), default=300,
                     show_default=True, help="Seconds allowed for one image build or "
                                             "'docker compose up'."),
        click.option("--sandbox-jobs", type=click.IntRange(1), default=2, show_default=True,
                     help="Submissions built and run at the same time."),
        click.option("--sandbox-logs", type=click.Path(file_okay=False, path_type=Path),
                     default=Path("out/sandbox"), show_default=True,
                     help="Folder for the full build, container and compose logs."),
        click.option("--keep", is_flag=True,
                     help="Keep the students' images on the engine (containers and stacks "
                          "are always removed)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@contextmanager
def sandbox_runner(sandbox: bool, sandbox_timeout: float, sandbox_jobs: int,
                   sandbox_logs: Path, keep: bool) -> Iterator[SandboxRunner | None]:
    """A checked ``SandboxRunner`` (``None`` without ``--sandbox``), swept on the way out,
    including on Ctrl-C and SIGTERM (turned into KeyboardInterrupt so ``finally`` runs)."""
    if not sandbox:
        yield None
        return
    from grader.sandbox import SandboxRunner
    from grader.sandbox.engine import SandboxLimits

    limits = SandboxLimits(build_timeout=sandbox_timeout, compose_timeout=sandbox_timeout)
    runner = SandboxRunner(limits, keep=keep, jobs=sandbox_jobs, log_dir=sandbox_logs)
    click.echo(f"sandbox: {runner.check()}", err=True)

    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupted)
    try:
        yield runner
    finally:
        removed = runner.close()
        if removed:
            click.echo(f"sandbox: removed {removed} leftover objects of run {runner.run_id}",
                       err=True)
        signal.signal(signal.SIGTERM, previous)


@main.command()
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.option("--rubric", help="Rubric id or YAML file (default: detect the lab).")
@click.option("--report", "report_path", type=click.Path(path_type=Path),
              help="Use this file as the report instead of guessing.")
@click.option("--encoding", help="Decode the report with this encoding (e.g. cp1252).")
@click.option("--json", "json_out", type=click.Path(allow_dash=True, path_type=Path),
              help="Write the full score sheet as JSON to this file ('-' for stdout).")
@click.option("--html", "html_out", type=click.Path(path_type=Path),
              help="Write the HTML score sheet: a .html file, or a folder that gets "
                   "<student>.html.")
@click.option("--audience", type=click.Choice(AUDIENCES), default="student", show_default=True,
              help="Who the HTML sheet is for; 'instructor' adds expected answers and notes.")
@click.option("--assets", is_flag=True,
              help="Copy screenshots next to the HTML sheet instead of embedding them.")
@click.option("--templates", "templates_dir",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of templates that override the packaged ones by file name.")
@sandbox_options
@click.option("--ocr/--no-ocr", default=True, show_default=True,
              help="Read the screenshots with Tesseract for the criteria that look at them; "
                   "without Tesseract they count by their presence and the sheet says so.")
@click.option("--ocr-cache", type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite file keeping the text read in each screenshot (by content), so "
                   "that grading again reads none twice.")
def grade(folder: Path, rubric: str | None, report_path: Path | None, encoding: str | None,
          json_out: Path | None, html_out: Path | None, audience: str, assets: bool,
          templates_dir: Path | None, ocr: bool, ocr_cache: Path | None,
          **sandbox: Any) -> None:
    """Grade one submission: a per-question table, the total and the mark."""
    import os

    from grader.ocr import OcrCache, SqliteOcrCache, unavailable_reason
    from grader.pipeline import grade_repository, grade_submission
    from grader.render import write_sheet
    from grader.views import sheet_json, sheet_table

    forced, rubrics = _rubrics(rubric)
    if ocr and (reason := unavailable_reason()) is not None:
        click.echo(f"ocr: screenshots will count by their presence only: {reason}", err=True)
    jobs = os.cpu_count() or 1
    reading: bool | OcrCache = SqliteOcrCache(ocr_cache) if ocr and ocr_cache else ocr
    try:
        with sandbox_runner(**sandbox) as runner:
            if forced is None and report_path is None:
                # A repository may hold several labs' reports: each gets its own lab.
                results = grade_repository(folder, rubrics, encoding=encoding, sandbox=runner,
                                           ocr=reading, ocr_jobs=jobs)
            else:
                results = [grade_submission(folder, rubrics, forced=forced, report=report_path,
                                            encoding=encoding, sandbox=runner, ocr=reading,
                                            ocr_jobs=jobs)]
    except LookupError as exc:
        raise click.BadParameter(f"unknown encoding {encoding!r}", param_hint="--encoding") from exc
    several = len(results) > 1
    if html_out is not None:
        for graded in results:
            used = next((r for r in rubrics if r.id == graded.sheet.rubric), None)
            target = html_out
            if several and html_out.suffix.lower() == ".html":
                target = html_out.with_name(f"{html_out.stem}.{graded.sheet.rubric}.html")
            page = write_sheet(graded, target, audience=audience, rubric=used, assets=assets,
                               templates=templates_dir)
            click.echo(f"wrote {page}", err=True)
    if json_out is not None:
        sheets = [sheet_json(g.sheet, report=g.report, sandbox=g.sandbox) for g in results]
        data = json.dumps(sheets if several else sheets[0], ensure_ascii=False,
                          indent=2) + "\n"
        if str(json_out) == "-":
            sys.stdout.write(data)
            return
        json_out.write_text(data, encoding="utf-8")
    for index, graded in enumerate(results):
        if several:
            if index:
                click.echo()
            click.echo(f"{graded.sheet.report_path} → {graded.sheet.rubric}")
        sheet_table(graded.sheet, console_file=sys.stdout, sandbox=graded.sandbox)


@main.group()
def rubric() -> None:
    """Check or show a rubric file."""


@rubric.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def rubric_check(file: Path) -> None:
    """Validate a rubric; on error print file:line: key: problem and exit 3."""
    from grader.rubric import load_rubric

    loaded = load_rubric(file)
    criteria = sum(len(q.criteria) for q in loaded.questions)
    click.echo(f"{file}: ok — {loaded.id}, {len(loaded.questions)} questions "
               f"({len(loaded.graded_questions)} graded, {loaded.max_total:g} points), "
               f"{criteria} criteria")


@rubric.command("new")
@click.option("--from", "statement", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The lab statement, in markdown or pasted as plain text.")
@click.option("--id", "lab_id", required=True, help="The new lab's id, e.g. tp3-features.")
@click.option("--title", help="The lab's title (default: the statement's first line).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the draft here (default: stdout).")
def rubric_new(statement: Path, lab_id: str, title: str | None, output: Path | None) -> None:
    """Draft a rubric from a lab statement (exercises, questions, prompts, code)."""
    from grader.decode import decode_bytes
    from grader.scaffold import draft_rubric, rubric_yaml

    text = decode_bytes(statement.read_bytes()).text
    draft = rubric_yaml(draft_rubric(text, lab_id=lab_id, title=title))
    if output is None:
        click.echo(draft, nl=False)
    else:
        output.write_text(draft, encoding="utf-8")
        questions = draft.count("\n- id: ")
        click.echo(f"{output}: {questions} questions drafted; add keywords and criteria")


@rubric.command("show")
@click.argument("file")
def rubric_show(file: str) -> None:
    """List a rubric's questions and criteria."""
    from grader.rubric import load_rubric, resolve_rubric

    loaded = load_rubric(resolve_rubric(file))
    click.echo(f"{loaded.id}: {loaded.title} (mark /{loaded.scale.out_of:g})")
    for question in loaded.questions:
        click.echo(f"{question.id:>5}  {question.points:g} pt  {question.title}")
        for spec in question.criteria:
            cap = f", cap {spec.cap:g}" if spec.cap is not None else ""
            click.echo(f"         - {spec.kind} (weight {spec.weight:g}{cap}): {spec.missed}")


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--serve", is_flag=True,
              help="Serve the folder on 127.0.0.1 (a free port) instead of opening the file.")
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="Port for --serve (default: a free one).")
@click.option("--no-browser", is_flag=True, help="Only print the address; open nothing.")
def view(path: Path, serve: bool, port: int, no_browser: bool) -> None:
    """Open an HTML sheet or dashboard in the browser.

    PATH is a .html file, or a folder whose index.html is opened; with --serve the folder
    is served on 127.0.0.1 instead (until Ctrl-C)."""
    from grader.serve import make_server
    from grader.serve import url as server_url

    page = path / "index.html" if path.is_dir() else path
    if not serve:
        if not page.is_file():
            raise click.ClickException(f"{page} does not exist; pass a .html file, a folder "
                                       "with index.html, or use --serve")
        address = page.resolve().as_uri()
    else:
        server = make_server(path if path.is_dir() else path.parent, port)
        address = server_url(server, page.name if page.is_file() else "")
    click.echo(address)
    if not no_browser and not webbrowser.open(address):
        click.echo("no browser found: open the address above yourself", err=True)
    if serve:
        click.echo("serving on 127.0.0.1 only; press Ctrl-C to stop", err=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


@main.command()
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("folders", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--rubric", help="Rubric id or YAML file (default: detect each lab).")
@click.option("--audience", type=click.Choice(AUDIENCES), default="student", show_default=True,
              help="Who the sheets are for (the dashboard itself is for instructors).")
@click.option("--assets", is_flag=True,
              help="Copy screenshots next to the sheets instead of embedding them.")
@click.option("--templates", "templates_dir",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of templates that override the packaged ones by file name.")
def dashboard(outdir: Path, folders: tuple[Path, ...], rubric: str | None, audience: str,
              assets: bool, templates_dir: Path | None) -> None:
    """Grade FOLDERs into HTML sheets and a dashboard.

    Each submission is graded in turn; OUTDIR gets <student>.html per student and
    index.html, the class dashboard with links to the sheets."""
    from grader.models import Diagnostic, Severity
    from grader.pipeline import grade_submission
    from grader.render import DashboardEntry, sheet_filename, write_dashboard, write_sheet

    forced, rubrics = _rubrics(rubric)
    outdir.mkdir(parents=True, exist_ok=True)
    entries: list[DashboardEntry] = []
    labs: Counter[str] = Counter()
    taken: set[str] = set()
    for folder in folders:
        try:
            graded = grade_submission(folder, rubrics, forced=forced)
        except GraderError as exc:
            problem = Diagnostic("grading.failed", str(exc), Severity.ERROR)
            entries.append(DashboardEntry(folder.name, None, None, (problem,)))
            continue
        used = forced or next((r for r in rubrics if r.id == graded.sheet.rubric), None)
        labs.update([used.id] if used is not None else [])
        name = sheet_filename(graded.sheet.student)
        stem, number = name.removesuffix(".html"), 2
        while name in taken:
            name, number = f"{stem}-{number}.html", number + 1
        taken.add(name)
        write_sheet(graded, outdir / name, audience=audience, rubric=used, assets=assets,
                    templates=templates_dir)
        entries.append(DashboardEntry.from_graded(graded, href=name))
    lab = labs.most_common(1)[0][0] if labs else None
    index = write_dashboard(entries, outdir / "index.html", templates=templates_dir,
                            rubric=forced or next((r for r in rubrics if r.id == lab), None))
    click.echo(f"wrote {len(taken)} sheets and {index}")


@main.group()
def images() -> None:
    """Base images for the sandbox on an engine without a registry."""


@images.command("prepare")
@click.option("--force", is_flag=True, help="Remake the images even if they exist.")
@click.option("--mirror", help="Debian mirror for debootstrap (default: $GRADER_DEBIAN_MIRROR "
                               "or http://deb.debian.org/debian).")
@click.option("--only", multiple=True, help="Make only this image (repeatable), e.g. "
                                            "python:3.11-slim.")
def images_prepare(force: bool, mirror: str | None, only: tuple[str, ...]) -> None:
    """Make the sandbox's base images from Debian packages (no registry needed).

    python:3.11-slim (with FastAPI and Uvicorn) and a postgres:16 stand-in, for offline
    classrooms and CI; needs root and debootstrap. Existing images are kept unless --force.
    """
    from grader.sandbox.images import prepare_images

    prepare_images(force=force, mirror=mirror, only=only,
                   echo=lambda line: click.echo(line, err=True))


# ---------------------------------------------------------------- class grading (batch)

@main.command()
@click.argument("class_path", metavar="CLASS", type=click.Path(exists=True, path_type=Path))
@click.option("--rubric", help="Rubric id or YAML file (default: detect each report's lab).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True, help="Output folder: results store, sheets, dashboard, CSV.")
@click.option("--jobs", "-j", type=click.IntRange(min=1),
              help="Worker processes (default: one per core).")
@click.option("--timeout", type=click.FloatRange(min=0.1),
              help="Seconds one submission may take before it is stopped and marked failed "
                   "(default: 120, or enough for the sandbox's builds with --sandbox).")
@click.option("--force", is_flag=True, help="Grade every submission again, even unchanged ones.")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV mapping students to their LMS id and e-mail (student,id,email,…).")
@click.option("--no-html", is_flag=True, help="Write JSON sheets and CSV only, no HTML pages.")
@click.option("--no-similarity", is_flag=True, help="Do not look for answers alike.")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of templates overriding the packaged ones, file by file.")
@sandbox_options
@click.option("--ocr/--no-ocr", default=True, show_default=True,
              help="Read the screenshots with Tesseract (in the workers, cached in the results "
                   "store); without Tesseract they count by their presence.")
def batch(class_path: Path, rubric: str | None, out: Path, jobs: int | None,
          timeout: float | None, force: bool, roster: Path | None, no_html: bool,
          no_similarity: bool, templates_dir: Path | None, ocr: bool, **sandbox: Any) -> None:
    """Grade a whole class in parallel into an output folder.

    CLASS is a folder of student folders, a Moodle "download all submissions" zip, or
    GitHub Classroom clones. Unchanged submissions keep their stored result: run it again
    after a rubric change or an interruption."""
    from grader.store import STORE_NAME
    from grader.workerserver import start_worker_server

    if force or not (out / STORE_NAME).is_file():
        start_worker_server()  # a first run grades everyone: the workers' server starts now
    from grader.batch import BatchOptions, RichProgress, run_batch, summary_lines
    from grader.ocr import unavailable_reason

    if ocr and (reason := unavailable_reason()) is not None:
        click.echo(f"ocr: screenshots will count by their presence only: {reason}", err=True)
    source = click.get_current_context().get_parameter_source("sandbox_logs")
    if source is click.core.ParameterSource.DEFAULT:
        sandbox["sandbox_logs"] = out / "sandbox"  # beside the class's other outputs
    try:
        with sandbox_runner(**sandbox) as runner:
            options = BatchOptions(class_path, out, rubric=rubric, jobs=jobs, timeout=timeout,
                                   force=force, roster=roster, html=not no_html,
                                   similarity=not no_similarity, templates=templates_dir,
                                   sandbox=runner, ocr=ocr)
            summary = run_batch(options, progress=RichProgress())
    except KeyboardInterrupt:
        click.echo(f"interrupted: every submission graded so far is kept in {out}; run the "
                   "same command again to finish", err=True)
        raise SystemExit(130) from None
    for line in summary_lines(summary):
        click.echo(line)
    if summary.students <= MARKS_SHOWN and "store" in summary.outputs:
        click.echo(marks_table(summary.outputs["store"], summary.run_id))
    # The process ends here: the interpreter's last garbage collection would scan the
    # whole class's results for cycles just before freeing them (a tenth of a second).
    gc.freeze()


MARKS_SHOWN = 40
"""A class up to this size gets its marks printed after a batch (larger ones: the CSV)."""


def marks_table(store_path: Path, run_id: int) -> str:
    """Each student's mark (overrides applied) and lab, as the terminal shows them."""
    from grader.export import grade_rows
    from grader.store import Store

    with Store(store_path) as store:
        rows = grade_rows(store, run_id)
    width = max((len(r.student.key) for r in rows), default=0)
    lines = ["marks:"]
    for row in rows:
        if row.mark is not None and row.sheet is not None:
            shown = f"{row.mark:>5g}/{row.sheet.out_of:g}  {row.sheet.rubric}"
        else:
            shown = {"ungraded": "— (no lab recognised)", "failed": "— (failed)"}.get(
                row.status, "— (not graded yet)")
        lines.append(f"  {row.student.key:<{width}}  {shown}")
    return "\n".join(lines)


@main.command()
@click.argument("student")
@click.argument("question", required=False)
@click.argument("score", required=False, type=float)
@click.option("--comment", default="", help="Why: shown to the student with the score.")
@click.option("--clear", is_flag=True, help="Remove the override: the automatic score counts.")
@click.option("--author", help="Who sets it (default: the login name).")
@click.option("--history", is_flag=True, help="Show the student's override history.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True, help="The batch's output folder.")
def override(student: str, question: str | None, score: float | None, comment: str,
             clear: bool, author: str | None, history: bool, out: Path) -> None:
    """Set an instructor's score for one question of a student's sheet.

    The SCORE wins over the automatic score in sheets and exports and survives every
    re-grade; --clear removes it, --history lists every change."""
    import getpass
    from datetime import UTC, datetime

    from grader.outputs import OVERRIDES_FILE, sync_overrides_file, write_overrides_file
    from grader.store import STORE_NAME, Store

    if not (out / STORE_NAME).is_file():
        raise click.ClickException(f"no results in {out}; run 'grader batch CLASS --out {out}' "
                                   "first")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with Store.in_folder(out) as store:
        sync_overrides_file(store, out / OVERRIDES_FILE, at=now)
        key = store.resolve_student(student)
        if history:
            for entry in store.history(key):
                if question and entry.question != question:
                    continue
                old = "—" if entry.old_score is None else f"{entry.old_score:g}"
                new = "cleared" if entry.new_score is None else f"{entry.new_score:g}"
                click.echo(f"{entry.at}  {entry.question}  {old} → {new}  by {entry.author} "
                           f"({entry.source})  {entry.comment}")
            return
        if question is None or (score is None) == (not clear):
            raise click.UsageError("give QUESTION and SCORE, or QUESTION with --clear")
        who = author or getpass.getuser()
        store.set_override(key, question, None if clear else score, comment=comment,
                           author=who, at=now, source="cli")
        write_overrides_file(store, out / OVERRIDES_FILE)
    what = "cleared" if clear else f"set to {score:g}"
    click.echo(f"{key} {question}: override {what}. 'grader export' uses it now; run "
               "'grader batch' again to refresh the sheets and the dashboard.")


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "moodle", "canvas", "json"]),
              default="csv", show_default=True, help="Gradebook format.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True, help="The batch's output folder.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Where to write (default: a file in --out; '-' for stdout).")
@click.option("--assignment", help="Canvas: the assignment column's header, e.g. 'TP1 (1234)'.")
def export_grades(fmt: str, out: Path, output: Path | None, assignment: str | None) -> None:
    """Export the class's marks for an LMS (overrides applied)."""
    from datetime import UTC, datetime

    from grader.export import default_name, export, grade_rows
    from grader.outputs import OVERRIDES_FILE, sync_overrides_file, write_atomic
    from grader.store import STORE_NAME, Store

    if not (out / STORE_NAME).is_file():
        raise click.ClickException(f"no results in {out}; run 'grader batch CLASS --out {out}' "
                                   "first")
    with Store.in_folder(out) as store:
        sync_overrides_file(store, out / OVERRIDES_FILE,
                            at=datetime.now(UTC).isoformat(timespec="seconds"))
        rows = grade_rows(store)
        text = export(rows, fmt, assignment=assignment)
    unknown = [r.student.key for r in rows if not r.student.lms_id]
    if fmt in ("moodle", "canvas") and unknown:
        click.echo(f"warning: no LMS identifier for {len(unknown)} student(s) "
                   f"({', '.join(unknown[:5])}{', …' if len(unknown) > 5 else ''}); the LMS "
                   "will not match them: run 'grader batch' with --roster", err=True)
    if output is not None and str(output) == "-":
        click.echo(text, nl=False)
        return
    target = output or out / default_name(fmt)
    write_atomic(target, text)
    click.echo(f"wrote {target}")


def run() -> NoReturn:  # pragma: no cover - console entry for ``python -m grader``
    main()
    raise SystemExit(ExitStatus.OK)
