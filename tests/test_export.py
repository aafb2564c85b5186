"""Gradebook exports (``grader/export.py``), checked column by column on a store holding
hand-made sheets: one graded student with an override, one whose report matches no lab,
one whose grading failed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from grader.export import export, grade_rows
from grader.models import Diagnostic, QuestionScore, ScoreSheet, Severity
from grader.sheetcodec import encode_sheet
from grader.store import NewResult, Store, StudentRecord, pack
from grader.worker import failed_sheet

AT = "2025-01-10T09:00:00+00:00"


def _sheet(student: str, scores: dict[str, float], points: float = 1.0) -> ScoreSheet:
    return ScoreSheet(
        student=student, rubric="tp1-docker", rubric_title="TP1 — Docker", rubric_digest="d",
        report_path="rapport_tp1.md",
        questions=tuple(QuestionScore(qid, f"Question {qid}", points, score, answered=True)
                        for qid, score in scores.items()),
        out_of=20, rounding=0.25,
        diagnostics=(Diagnostic("image.missing", "capture absente", Severity.WARNING),))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "results.sqlite")
    students = [
        StudentRecord("alice", "Alice Martin", "alice", lms_id="101", email="alice@u.fr",
                      extra={"sis_user_id": "S101", "section": "G1"}),
        StudentRecord("bob", "Bob Durand", "bob", lms_id="bob@u.fr", email="bob@u.fr",
                      login="bobd"),
        StudentRecord("chloe", "Chloé Petit", "chloe", lms_id="103"),
        StudentRecord("dan", "Dan Roy", "dan", lms_id="104"),
    ]
    run = store.begin_run(started=AT, class_path="class", rubric_digest="r", students=students)
    # alice: 2 + 0.5 + 0 + 0.66 = 3.16 / 4 → 15.8 → 15.75 with a 0.25 rounding
    alice = _sheet("alice", {"2.a": 1, "2.b": 0.5, "2.c": 0, "2.d": 0.66})
    other_lab = ScoreSheet("bob", None, None, None, "README.md", (), None,
                           diagnostics=(Diagnostic("lab.unknown", "no lab", Severity.WARNING),))
    for key, status, sheet in (("alice", "graded", alice), ("bob", "ungraded", other_lab),
                               ("chloe", "failed", failed_sheet("chloe", "batch.timeout",
                                                                "too long"))):
        store.save_result(run, NewResult(student=key, input_key="k", status=status,
                                         sheet=pack(encode_sheet(sheet)), mark=sheet.mark,
                                         error="timeout" if status == "failed" else None))
    store.set_override("alice", "2.c", 1.0, comment="capture montrée en TP", author="prof",
                       at=AT, source="cli")
    return store


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_plain_csv_has_one_column_per_question(store: Store) -> None:
    header, alice, bob, chloe, dan = _rows(export(grade_rows(store), "csv"))
    assert header == ["student", "name", "lms_id", "email", "status", "mark", "out_of",
                      "total", "max_total", "2.a", "2.b", "2.c", "2.d", "overridden", "flags"]
    # the override (2.c: 0 → 1) counts: 3.16 / 4 × 20 = 15.8 → 15.75
    assert alice == ["alice", "Alice Martin", "101", "alice@u.fr", "graded", "15.75", "20",
                     "3.16", "4", "1", "0.5", "1", "0.66", "2.c", "image.missing"]
    assert bob == ["bob", "Bob Durand", "bob@u.fr", "bob@u.fr", "ungraded", "", "", "", "",
                   "", "", "", "", "", "lab.unknown"]
    assert chloe[4:6] == ["failed", ""] and chloe[-1] == "batch.timeout"
    assert dan[4:6] == ["missing", ""]


def test_moodle_worksheet_columns(store: Store) -> None:
    header, alice, bob, chloe, dan = _rows(export(grade_rows(store), "moodle"))
    assert header == ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade",
                      "Feedback comments"]
    assert alice[:5] == ["Participant 101", "Alice Martin", "alice@u.fr", "15.75", "20"]
    feedback = alice[5].split("\n")
    assert feedback[0] == "TP1 — Docker : 15.75/20 (total 3.16/4)"
    assert "2.c : 1/1 (note modifiée par l'enseignant : capture montrée en TP)" in feedback
    assert "2.a : 1/1" in feedback
    assert bob[:5] == ["bob@u.fr", "Bob Durand", "bob@u.fr", "", ""]  # no mark: not graded
    assert "non noté" in bob[5]
    assert chloe[0] == "Participant 103" and chloe[3] == ""
    assert "à la main" in chloe[5]
    assert dan[3] == ""


def test_canvas_gradebook_columns(store: Store) -> None:
    header, points, alice, bob, chloe, dan = _rows(export(grade_rows(store), "canvas",
                                                          assignment="TP1 (1234)"))
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "TP1 (1234)"]
    assert points == ["Points Possible", "", "", "", "", "20"]
    assert alice == ["Alice Martin", "101", "S101", "", "G1", "15.75"]
    assert bob == ["Bob Durand", "bob@u.fr", "", "bobd", "", ""]
    assert chloe[-1] == "" and dan[-1] == ""


def test_canvas_column_defaults_to_the_rubric_title(store: Store) -> None:
    header = _rows(export(grade_rows(store), "canvas"))[0]
    assert header[-1] == "TP1 — Docker"


def test_json_export_holds_identities_and_sheets(store: Store) -> None:
    data = json.loads(export(grade_rows(store), "json"))
    assert data["schema"] == 1
    alice, bob, chloe, dan = data["students"]
    assert (alice["student"], alice["lms_id"], alice["email"], alice["mark"]) == (
        "alice", "101", "alice@u.fr", 15.75)
    question = next(q for q in alice["sheet"]["questions"] if q["id"] == "2.c")
    assert (question["score"], question["auto_score"]) == (1.0, 0)
    assert question["override"]["comment"] == "capture montrée en TP"
    assert (bob["status"], bob["mark"]) == ("ungraded", None)
    assert (chloe["status"], chloe["error"]) == ("failed", "timeout")
    assert (dan["status"], dan["sheet"]) == ("missing", None)


def test_exports_follow_an_override_without_regrading(store: Store) -> None:
    store.set_override("alice", "2.c", None, comment="", author="prof", at=AT, source="cli")
    alice = _rows(export(grade_rows(store), "csv"))[1]
    # back to the automatic 2.16 / 4 × 20 = 10.8 → 10.75
    assert alice[5:8] == ["10.75", "20", "2.16"] and alice[-2] == ""
