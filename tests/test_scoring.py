"""The engine (``grader.scoring``): criteria judge, the engine weighs them into points.

Rubrics are built here from YAML with ``parse_rubric``; reports are built directly, so the
tests depend on the engine and the criteria, not on the parser.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from grader.criteria import REGISTRY, Context
from grader.criteria.base import Criterion, Params
from grader.models import (
    Answer,
    Diagnostic,
    FileKind,
    Judgement,
    Override,
    Report,
    ScoreSheet,
    Severity,
    SourceFile,
    Status,
)
from grader.rubric import Rubric, parse_rubric
from grader.scoring import question_share, score_report, unscored_sheet

HEADER = """\
schema: 1
id: demo-lab
title: Demo lab
scale: {{out_of: 20, rounding: {rounding}}}
exercises:
  - {{number: 1, title: First}}
questions:
"""


def rubric(questions: str, *, rounding: float = 0.25) -> Rubric:
    return parse_rubric(HEADER.format(rounding=rounding) + questions, source="demo.yaml")


def report(**answers: str) -> Report:
    """A report with one answer per keyword (``q1a="text"`` is the answer to 1.a)."""
    built: list[Answer] = []
    line = 1
    for key, text in answers.items():
        qid = f"{key[1]}.{key[2]}"
        count = text.count("\n") + 1
        built.append(Answer(id=qid, lines=(line, line + count - 1), text=text, student_text=text))
        line += count + 1
    full = "\n\n".join(answers.values())
    return Report(path="rapport.md", text=full, lab="demo-lab", answers=tuple(built))


def grade(rub: Rubric, rep: Report, **kwargs: Any) -> ScoreSheet:
    return score_report(rep, rub, student="alice", **kwargs)


WEIGHTED = """\
  - id: "1.a"
    exercise: 1
    title: Weighted
    points: 2
    criteria:
      - {kind: concepts, groups: [[image]], weight: 3, missed: "Définissez l'image."}
      - {kind: concepts, groups: [[conteneur]], weight: 1, missed: "Définissez le conteneur."}
"""


@pytest.mark.parametrize(("text", "expected"), [
    ("une image et un conteneur", 2.0),
    ("une image", 1.5),
    ("un conteneur", 0.5),
    ("rien", 0.0),
])
def test_points_are_the_weighted_share(text: str, expected: float) -> None:
    sheet = grade(rubric(WEIGHTED), report(q1a=text))
    (question,) = sheet.questions
    assert question.auto_score == expected
    assert question.score == expected
    assert question.points == 2
    assert sheet.total == expected
    assert sheet.max_total == 2


def test_results_carry_codes_status_and_feedback() -> None:
    sheet = grade(rubric(WEIGHTED), report(q1a="une image"))
    first, second = sheet.questions[0].results
    assert (first.code, first.kind, first.weight) == ("T101:1.a#1", "concepts", 3)
    assert first.status is Status.MET and first.fraction == 1.0
    assert first.feedback == ""
    assert second.code == "T101:1.a#2"
    assert second.status is Status.MISSED and second.fraction == 0.0
    assert second.feedback.startswith("Définissez le conteneur. (")
    assert sheet.questions[0].missing == (second.feedback,)


PARTIAL = """\
  - id: "1.a"
    exercise: 1
    title: Partial
    points: 4
    criteria:
      - kind: concepts
        groups: [[processus principal], [terminé], [exited], [echo]]
        missed: "Expliquez l'arrêt."
        met: "Bien expliqué."
"""


@pytest.mark.parametrize(("text", "status", "expected"), [
    ("le processus principal", Status.PARTIAL, 1.0),
    ("le processus principal est terminé", Status.PARTIAL, 2.0),
    ("le processus principal (echo) est terminé : Exited", Status.MET, 4.0),
    ("voir capture", Status.MISSED, 0.0),
])
def test_partial_credit(text: str, status: Status, expected: float) -> None:
    (question,) = grade(rubric(PARTIAL), report(q1a=text)).questions
    (result,) = question.results
    assert result.status is status
    assert question.auto_score == expected
    if status is Status.MET:
        assert result.feedback == "Bien expliqué."
        assert question.missing == ()
    else:
        assert result.feedback.startswith("Expliquez l'arrêt. (idées trouvées : ")
        assert question.missing == (result.feedback,)


CAPPED = """\
  - id: "1.a"
    exercise: 1
    title: Capped
    points: 2
    criteria:
      - {kind: concepts, groups: [[db], [hostname]], weight: 1, cap: 0.5,
         missed: "Le hostname est db."}
      - {kind: concepts, groups: [["5432"]], weight: 3, missed: "Le port est 5432."}
"""


@pytest.mark.parametrize(("text", "expected"), [
    ("le hostname est db, port 5432", 2.0),     # capped criterion met: no cap
    ("port 5432", 1.0),                         # 3/4 of 2 = 1.5, capped at half of 2
    ("le hostname localhost, port 5432", 1.0),  # capped criterion partial (1/2): still capped
    ("le hostname est db", 0.5),                # 1/4 of 2, under the cap
    ("rien", 0.0),
])
def test_an_unmet_capped_criterion_limits_the_question(text: str, expected: float) -> None:
    (question,) = grade(rubric(CAPPED), report(q1a=text)).questions
    assert question.auto_score == expected
    assert question.results[0].cap == 0.5
    assert question.results[1].cap is None


class _NotRun(Criterion):
    """A check that cannot run here (a sandbox check without ``--sandbox``).

    Example::

        - kind: test_not_run
          missed: "x"
    """

    kind: ClassVar[str] = "test_not_run"
    code: ClassVar[str] = "Z998"
    Params = Params

    @classmethod
    def judge(cls, params: Any, ctx: Context) -> Judgement:
        return Judgement(0.0, detail="sandbox absente", status=Status.NOT_RUN)


class _Boom(Criterion):
    """A criterion with a bug.

    Example::

        - kind: test_boom
          missed: "x"
    """

    kind: ClassVar[str] = "test_boom"
    code: ClassVar[str] = "Z999"
    Params = Params

    @classmethod
    def judge(cls, params: Any, ctx: Context) -> Judgement:
        raise RuntimeError("boom in the criterion")


@pytest.fixture
def fake_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the two fake kinds for one test (the rubric is validated against REGISTRY)."""
    monkeypatch.setitem(REGISTRY, _NotRun.kind, _NotRun)
    monkeypatch.setitem(REGISTRY, _Boom.kind, _Boom)


NOT_RUN = """\
  - id: "1.a"
    exercise: 1
    title: Sandbox and words
    points: 2
    criteria:
      - {kind: test_not_run, weight: 5, cap: 0.1, missed: "L'API doit répondre."}
      - {kind: concepts, groups: [[uvicorn]], weight: 1, missed: "Citez uvicorn."}
"""


@pytest.mark.usefixtures("fake_kinds")
@pytest.mark.parametrize(("text", "expected"), [("uvicorn démarre", 2.0), ("rien", 0.0)])
def test_criteria_that_did_not_run_are_left_out_of_the_share(text: str,
                                                              expected: float) -> None:
    (question,) = grade(rubric(NOT_RUN), report(q1a=text)).questions
    not_run, words = question.results
    assert not_run.status is Status.NOT_RUN
    assert not_run.feedback == "L'API doit répondre."  # no detail for what did not run
    assert not_run.code == "Z998:1.a#1"
    assert question.auto_score == expected  # neither its weight nor its cap count
    assert words.status is (Status.MET if expected else Status.MISSED)


def test_question_share_directly() -> None:
    sheet = grade(rubric(WEIGHTED), report(q1a="une image"))
    results = sheet.questions[0].results
    assert question_share(results) == pytest.approx(0.75)
    assert question_share(()) == 0.0


TWO_QUESTIONS = """\
  - id: "1.a"
    exercise: 1
    title: Buggy criterion
    points: 2
    criteria:
      - {kind: test_boom, weight: 1, missed: "Vérifiez la route."}
      - {kind: concepts, groups: [[fastapi]], weight: 1, missed: "Citez FastAPI."}
  - id: "1.b"
    exercise: 1
    title: Healthy
    points: 1
    criteria:
      - {kind: concepts, groups: [[uvicorn]], missed: "Citez uvicorn."}
"""


@pytest.mark.usefixtures("fake_kinds")
def test_a_criterion_that_raises_becomes_an_error_result() -> None:
    sheet = grade(rubric(TWO_QUESTIONS), report(q1a="app FastAPI", q1b="uvicorn"))
    buggy, healthy = sheet.questions
    error, words = buggy.results
    assert error.status is Status.ERROR
    assert error.fraction == 0.0
    assert error.feedback == ("Vérifiez la route. (erreur interne du critère : "
                              "RuntimeError: boom in the criterion)")
    assert error.feedback in buggy.missing
    assert words.status is Status.MET
    assert buggy.auto_score == 1.0
    assert healthy.auto_score == 1.0
    assert sheet.total == 2.0


OVERRIDES = """\
  - id: "1.a"
    exercise: 1
    title: A
    points: 1
    criteria:
      - {kind: concepts, groups: [[image]], missed: "Définissez l'image."}
  - id: "1.b"
    exercise: 1
    title: B
    points: 1
    criteria:
      - {kind: concepts, groups: [[conteneur]], missed: "Définissez le conteneur."}
  - id: "1.c"
    exercise: 1
    title: C
    points: 1
    criteria:
      - {kind: concepts, groups: [[volume]], missed: "Parlez des volumes."}
"""


def test_overrides_win_and_totals_are_derived() -> None:
    rep = report(q1a="une image", q1b="rien", q1c="rien")
    plain = grade(rubric(OVERRIDES), rep)
    assert [q.score for q in plain.questions] == [1.0, 0.0, 0.0]
    assert plain.total == 1.0
    assert plain.max_total == 3.0
    assert plain.mark == 6.75  # 1/3 × 20 = 6.67, to the nearest quarter

    override = Override(score=0.75, comment="expliqué sur la capture", author="prof",
                        at="2024-10-01T10:00:00")
    sheet = grade(rubric(OVERRIDES), rep, overrides={"1.b": override, "9.z": Override(1.0)})
    a, b, _ = sheet.questions
    assert b.override == override
    assert b.auto_score == 0.0
    assert b.score == 0.75
    assert a.override is None and a.score == 1.0
    assert sheet.total == 1.75
    assert sheet.mark == 11.75  # 1.75/3 × 20 = 11.67 → 11.75

    lower = grade(rubric(OVERRIDES), rep, overrides={"1.a": Override(score=0.0)})
    assert lower.questions[0].auto_score == 1.0
    assert lower.total == 0.0
    assert lower.mark == 0.0


def test_mark_rounding_follows_the_rubric() -> None:
    rep = report(q1a="une image", q1b="rien", q1c="rien")
    assert grade(rubric(OVERRIDES, rounding=0.5), rep).mark == 6.5  # 6.67 → nearest half
    assert grade(rubric(OVERRIDES, rounding=1), rep).mark == 7.0
    assert grade(rubric(OVERRIDES, rounding=0), rep).mark == pytest.approx(6.6667)
    sheet = grade(rubric(OVERRIDES), rep)
    assert sheet.out_of == 20
    assert sheet.rounding == 0.25


SIXTEEN = """\
  - id: "1.a"
    exercise: 1
    title: Big
    points: 16
    criteria:
      - {kind: concepts, groups: [[image]], missed: "Définissez l'image."}
"""


def _mark_with_total(total: float) -> float | None:
    return grade(rubric(SIXTEEN), report(q1a="rien"), overrides={"1.a": Override(total)}).mark


def test_mark_tie_above_an_odd_step_goes_up() -> None:
    assert _mark_with_total(8.7) == 11.0  # 8.7/16 × 20 = 10.875, halfway: up


def test_mark_tie_above_an_even_step_goes_up_too() -> None:
    assert _mark_with_total(8.5) == 10.75  # 8.5/16 × 20 = 10.625, halfway: up


NO_ANSWER = """\
  - id: "1.a"
    exercise: 1
    title: Words
    points: 1
    criteria:
      - {kind: concepts, groups: [[image]], missed: "Définissez l'image."}
  - id: "1.b"
    exercise: 1
    title: Layout
    points: 2
    criteria:
      - {kind: files, paths: [api/app.py, api/Dockerfile], weight: 1, missed: "Rendez le code."}
      - {kind: concepts, groups: [[fastapi]], weight: 1, missed: "Citez FastAPI."}
  - id: "1.c"
    exercise: 1
    title: Ungraded
    points: 0
"""


def test_a_question_without_answer_is_still_scored() -> None:
    sources = (SourceFile("api/app.py", FileKind.PYTHON, "from fastapi import FastAPI"),)
    sheet = grade(rubric(NO_ANSWER), report(q1a="une image"), sources=sources)
    assert [q.id for q in sheet.questions] == ["1.a", "1.b"]  # points: 0 is not graded
    words, layout = sheet.questions
    assert words.answered and words.lines == (1, 1)
    assert not layout.answered and layout.lines is None
    assert layout.results[0].fraction == 0.5  # one of the two files
    assert layout.results[1].status is Status.MISSED
    assert layout.auto_score == 0.5
    assert sheet.total == 1.5
    not_found = [d for d in sheet.diagnostics if d.code == "answer.not_found"]
    assert len(not_found) == 1 and "1.b" in not_found[0].message
    assert "1.a" not in not_found[0].message


def test_sheet_keeps_the_rubric_identity_and_diagnostics() -> None:
    rub = rubric(WEIGHTED)
    note = Diagnostic("encoding.legacy", "decoded as cp1252", Severity.INFO)
    sheet = grade(rub, report(q1a="image"), diagnostics=[note])
    assert sheet.student == "alice"
    assert sheet.rubric == "demo-lab"
    assert sheet.rubric_title == "Demo lab"
    assert sheet.rubric_digest == rub.digest and len(rub.digest) == 64
    assert sheet.report_path == "rapport.md"
    assert sheet.diagnostics[0] == note


def test_rubric_defaults_reach_nested_criteria() -> None:
    from grader.models import ImageRef, ImageStatus

    text = HEADER.format(rounding=0.25).replace(
        "exercises:", "defaults:\n  evidence: {missing_credit: 1}\nexercises:") + """\
  - id: "1.a"
    exercise: 1
    title: Screenshot
    points: 1
    criteria:
      - kind: any
        of:
          - {kind: concepts, groups: [[healthy]]}
          - {kind: evidence, min: 1}
        missed: "Montrez la réponse."
"""
    shot = ImageRef("captures/health.png", "", 1, ImageStatus.MISSING, "captures/health.png")
    answer = Answer(id="1.a", lines=(1, 1), text="![](captures/health.png)",
                    student_text="![](captures/health.png)", images=(shot,))
    rep = Report(path="r.md", text=answer.text, lab="demo-lab", answers=(answer,))
    trusting = parse_rubric(text)
    assert grade(trusting, rep).questions[0].auto_score == 1.0
    strict = parse_rubric(text.replace("missing_credit: 1", "missing_credit: 0.5"))
    assert grade(strict, rep).questions[0].auto_score == 0.5


def test_unscored_sheet_has_no_questions_and_no_mark() -> None:
    note = Diagnostic("lab.unknown", "no lab fits", Severity.WARNING)
    rep = Report(path="README.md", text="# iris API", lab=None, answers=())
    sheet = unscored_sheet("bob", rep, [note])
    assert sheet.questions == ()
    assert sheet.rubric is None and sheet.out_of is None
    assert sheet.mark is None
    assert sheet.total == 0 and sheet.max_total == 0
    assert sheet.report_path == "README.md"
    assert sheet.diagnostics == (note,)


def test_a_rubric_with_no_points_has_no_mark() -> None:
    sheet = grade(rubric(NO_ANSWER.split('  - id: "1.c"')[0].replace("points: 1", "points: 0")
                         .replace("points: 2", "points: 0")), report(q1a="image"))
    assert sheet.questions == ()
    assert sheet.mark is None
