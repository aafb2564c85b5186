"""Property tests: whatever a student hands in, parsing never raises and stays in bounds."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from grader.decode import decode_bytes
from grader.ingest import read_submission
from grader.models import Report
from grader.parse import parse_report, parse_text
from grader.rubric import Rubric

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

PIECES = [*"#>`*-_ .:()[]!/|~\t\n\r0123456789abcdefhqQEeÉé",
          "\r\n", "```", "Question ", "Exercice ", "Étape ", "docker ", "![x](", "<img src=",
          "services:", "    ", "> ", "## ", "2.a", "a) ", "II. "]
MARKDOWNISH = st.lists(st.sampled_from(PIECES), max_size=150).map("".join)
"""Text made of the pieces markdown and question labels are made of, so that the
parser's interesting paths (headings, fences, quotes, markers, images) are reached."""

LINES = st.lists(
    st.one_of(
        st.sampled_from(["## Exercice 2", "### Question 2.a", "#### 2.B", "Etape 1 :", "a)",
                         "```", "```bash", "    docker ps -a", "> *docker ps -a*", "---",
                         "services:", "db:", "image: postgres:16", "- \"5432:5432\"",
                         "![](img/a.png)", "![[c.png]]", "<img src=\"../../x.png\">",
                         "from fastapi import FastAPI", "FROM python:3.11-slim", "",
                         "Questio 2.c", "## II. Images", "### 1. Définitions"]),
        st.text(max_size=40),
    ),
    max_size=60,
).map(lambda lines: "\n".join(lines).replace("\r", "\n"))
"""Documents assembled from realistic report lines in random order (``\\n`` endings)."""


def check_bounds(report: Report, text: str) -> None:
    # A lone CR ends a line too (as in editors, and as ``decode`` reads it).
    count = len(normalised(text).split("\n"))
    for answer in report.answers:
        first, last = answer.lines
        assert 1 <= first <= last <= count, (answer.id, answer.lines, count)
        assert all(first <= line <= last for line in answer.prompt_lines)
        for block in answer.code_blocks:
            assert first <= block.lines[0] <= block.lines[1] <= last
        for image in answer.images:
            assert first <= image.line <= last
    for block in report.code_blocks:
        assert 1 <= block.lines[0] <= block.lines[1] <= count
    for image in report.images:
        assert 1 <= image.line <= count
    for diagnostic in report.diagnostics:
        assert diagnostic.line is None or 1 <= diagnostic.line <= count


def normalised(text: str) -> str:
    """What ingest hands the parser: ``\\n`` line endings only."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@SETTINGS
@given(text=st.text(max_size=300))
def test_any_text_parses_within_bounds(tp1: Rubric, text: str) -> None:
    """Any text with the line endings ingest hands over (``decode`` turns ``\\r`` into
    ``\\n``): every other character, control and separator included, is fair game."""
    clean = normalised(text)
    check_bounds(parse_text(clean, tp1), clean)


@SETTINGS
@given(text=MARKDOWNISH)
def test_markdownish_text_parses_within_bounds(tp1: Rubric, text: str) -> None:
    clean = normalised(text)
    check_bounds(parse_text(clean, tp1), clean)


@SETTINGS
@given(text=MARKDOWNISH)
@example(text="a\rb")
def test_raw_text_with_carriage_returns_parses_within_bounds(tp1: Rubric, text: str) -> None:
    """``parse_text`` is public: text that did not go through ``decode`` must work too."""
    check_bounds(parse_text(text, tp1), text)


@SETTINGS
@given(text=LINES)
def test_shuffled_report_lines_parse_within_bounds(tp1: Rubric, text: str) -> None:
    report = parse_text(text, tp1)
    check_bounds(report, text)
    ids = [answer.id for answer in report.answers]
    assert len(ids) == len(set(ids)), ids
    assert all(tp1.question(qid) is not None for qid in ids)


@SETTINGS
@given(data=st.binary(max_size=600))
def test_any_bytes_decode_and_parse_within_bounds(tp1: Rubric, data: bytes) -> None:
    decoded = decode_bytes(data)
    check_bounds(parse_text(decoded.text, tp1), decoded.text)


@SETTINGS
@given(text=MARKDOWNISH, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_encoded_reports_decode_and_parse_within_bounds(tp1: Rubric, text: str,
                                                        encoding: str) -> None:
    data = text.encode(encoding, errors="replace")
    decoded = decode_bytes(data)
    check_bounds(parse_text(decoded.text, tp1), decoded.text)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=400),
                      MARKDOWNISH.map(lambda text: text.encode("utf-8"))))
def test_any_report_file_goes_through_ingest_and_parse(tp1: Rubric, data: bytes) -> None:
    """The whole front of the pipeline on a file of any content: a result, never a crash."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "rapport_tp1.md").write_bytes(data)
        submission = read_submission(folder)
        for forced in (None, tp1):
            report = parse_report(submission, [tp1], forced=forced)
            check_bounds(report, submission.text)
