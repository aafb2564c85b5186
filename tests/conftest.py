"""Shared fixtures for the parser tests: the TP1 rubric and report fixtures parsed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import SETUP, build_submission

from grader.ingest import read_submission
from grader.models import Report
from grader.parse import parse_report
from grader.rubric import Rubric, load_rubric


@pytest.fixture(scope="session")
def tp1() -> Rubric:
    """The TP1 rubric, loaded once."""
    return load_rubric(Path(__file__).parents[1] / "rubrics" / "tp1-docker.yaml")


@pytest.fixture
def parse_fixture(tmp_path: Path, tp1: Rubric) -> Callable[[str], Report]:
    """Parse a report fixture as the grader would: build the student's folder (report and
    screenshots as listed in ``support.SETUP``), ingest it, then detect or force TP1."""

    def parse(name: str) -> Report:
        setup = SETUP[name]
        report_path = setup.get("report_path", "rapport_tp1.md")
        folder = build_submission(tmp_path, name, report_path=report_path,
                                  images=setup.get("images", ()))
        submission = read_submission(folder)
        assert submission.report_path == report_path
        return parse_report(submission, [tp1], forced=None if setup.get("detect") else tp1)

    return parse

