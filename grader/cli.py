"""Command line: thin wrappers that parse options, call the core and print.

The only module importing click. ``GraderError`` from the core becomes a
``click.ClickException`` with its own exit code; a student's problem never
reaches here as an exception (it is a diagnostic in the output).
"""

from __future__ import annotations

import json
import sys
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn

import click

from grader import __version__
from grader.errors import GraderError
from grader.ingest import read_submission
from grader.parse import parse_report
from grader.rubric import load_all_rubrics, load_rubric, resolve_rubric
from grader.views import parse_json, parse_table


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2


class _GraderGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GraderError as exc:
            error = click.ClickException(str(exc))
            error.exit_code = exc.exit_code
            raise error from exc


@click.group(cls=_GraderGroup)
@click.version_option(__version__, prog_name="grader")
def main() -> None:
    """Grade students' Docker lab reports against YAML rubrics."""


def _rubrics(rubric: str | None):  # type: ignore[no-untyped-def]
    if rubric:
        forced = load_rubric(resolve_rubric(rubric))
        return forced, [forced]
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


def run() -> NoReturn:  # pragma: no cover - console entry for ``python -m grader``
    main()
    raise SystemExit(ExitStatus.OK)
