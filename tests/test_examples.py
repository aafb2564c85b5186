"""The bundled example class (``submissions/``, built from the five seeds), graded as
``./scripts/run.sh`` grades it: every rubric known from the repository root, lab detected."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import GRADED, ROOT

from grader.models import Status
from grader.pipeline import Graded, grade_submission
from grader.rubric import Rubric, load_all_rubrics

SUBMISSIONS = ROOT / "submissions"
TP1 = ("seed000", "seed001", "seed002")
NOT_TP1 = ("seed003", "seed004")


@pytest.fixture(scope="module")
def rubrics() -> list[Rubric]:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        return load_all_rubrics()


@pytest.fixture(scope="module")
def graded(rubrics: list[Rubric]) -> dict[str, Graded]:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        return {folder.name: grade_submission(folder, rubrics)
                for folder in sorted(SUBMISSIONS.iterdir()) if folder.is_dir()}


def test_the_example_class_is_all_there(graded: dict[str, Graded]) -> None:
    assert sorted(graded) == sorted(TP1 + NOT_TP1)


def test_rubrics_are_found_from_the_repository_root(rubrics: list[Rubric]) -> None:
    assert "tp1-docker" in [r.id for r in rubrics]


@pytest.mark.parametrize("name", TP1)
def test_tp1_reports_are_graded(graded: dict[str, Graded], name: str) -> None:
    result = graded[name]
    sheet = result.sheet
    assert result.report.lab == "tp1-docker"
    assert sheet.rubric == "tp1-docker"
    assert sheet.student == name
    assert [q.id for q in sheet.questions] == list(GRADED)
    answered = [q.id for q in sheet.questions if q.answered]
    assert len(answered) >= 24, f"{name}: only {len(answered)} answered"
    assert sheet.mark is not None and 12 <= sheet.mark <= 20
    assert sheet.max_total == 27
    assert "lab.detected" in [d.code for d in sheet.diagnostics]
    assert not any(r.status is Status.ERROR for q in sheet.questions for r in q.results), \
        [r.feedback for q in sheet.questions for r in q.results if r.status is Status.ERROR]
    for question in sheet.questions:
        assert 0 <= question.score <= question.points
        if question.answered:
            assert question.lines is not None
        else:
            assert question.lines is None


def test_tp1_reports_are_found_where_they_are(graded: dict[str, Graded]) -> None:
    assert graded["seed000"].sheet.report_path == "reports/rapport_tp1.md"
    assert graded["seed001"].sheet.report_path == "rapport_tp1.md"
    assert graded["seed002"].sheet.report_path == "README.md"


def test_seed001_code_files_are_read(graded: dict[str, Graded]) -> None:
    result = graded["seed001"]
    assert {s.path for s in result.submission.sources} >= {"api/app.py", "api/Dockerfile"}


@pytest.mark.parametrize("name", NOT_TP1)
def test_other_documents_get_no_mark(graded: dict[str, Graded], name: str) -> None:
    sheet = graded[name].sheet
    assert sheet.rubric is None
    assert sheet.questions == ()
    assert sheet.mark is None
    assert graded[name].report.answers == ()
    assert "lab.unknown" in [d.code for d in sheet.diagnostics]


def test_the_mojibake_guide_is_repaired(graded: dict[str, Graded]) -> None:
    result = graded["seed004"]
    assert result.sheet.report_path == "GUIDE.md"
    assert "encoding.mojibake" in [d.code for d in result.sheet.diagnostics]
    assert "Ã©" not in result.submission.text
    assert "é" in result.submission.text


def test_grading_is_deterministic(rubrics: list[Rubric], graded: dict[str, Graded],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    again = grade_submission(Path("submissions") / "seed001", rubrics)
    assert again.sheet == graded["seed001"].sheet
