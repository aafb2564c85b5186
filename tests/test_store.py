"""The results store (``grader/store.py``): sheets kept and rebuilt, overrides and their
history, atomic transactions."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from batch_support import make_student

from grader.models import Override, QuestionScore, ScoreSheet
from grader.pipeline import grade_submission
from grader.rubric import Rubric
from grader.sheetcodec import StoredOverride, apply_overrides, encode_sheet, sheet_from_json
from grader.store import NewResult, Store, StoreError, StudentRecord, pack

AT = "2025-01-10T09:00:00+00:00"


@pytest.fixture
def graded_sheet(tmp_path: Path, tp1: Rubric) -> ScoreSheet:
    return grade_submission(make_student(tmp_path, "alice"), [tp1], forced=tp1).sheet


def _stored(question: str, score: float, auto_before: float | None = None) -> StoredOverride:
    return StoredOverride("alice", question, Override(score, "vu en TP", "prof", AT), auto_before)


def _store_with(tmp_path: Path, sheet: ScoreSheet, key: str = "alice") -> Store:
    store = Store(tmp_path / "out" / "results.sqlite")
    run = store.begin_run(started=AT, class_path="class", rubric_digest="r",
                          students=[StudentRecord(key, "Alice Martin", key, lms_id="101",
                                                  email="alice@example.org")])
    store.save_result(run, NewResult(student=key, input_key="k1", status="graded",
                                     sheet=pack(encode_sheet(sheet)), mark=sheet.mark))
    return store


def test_a_sheet_survives_the_round_trip(graded_sheet: ScoreSheet) -> None:
    rebuilt = sheet_from_json(json.loads(encode_sheet(graded_sheet)))
    assert rebuilt == graded_sheet
    assert rebuilt.mark == graded_sheet.mark


def test_an_override_wins_and_totals_follow(graded_sheet: ScoreSheet) -> None:
    first = graded_sheet.questions[0]
    new_score = 0.0 if first.auto_score else first.points
    sheet = apply_overrides(graded_sheet, {first.id: _stored(first.id, new_score,
                                                             first.auto_score)})
    assert sheet.questions[0].score == new_score
    assert sheet.questions[0].auto_score == first.auto_score
    assert sheet.total == pytest.approx(graded_sheet.total - first.auto_score + new_score)
    assert not [d for d in sheet.diagnostics if d.code.startswith("override.")]


def test_a_changed_automatic_score_under_an_override_is_flagged(
        graded_sheet: ScoreSheet) -> None:
    first = graded_sheet.questions[0]
    stale = first.auto_score + 0.5
    sheet = apply_overrides(graded_sheet, {first.id: _stored(first.id, 0.25, stale)})
    assert sheet.questions[0].score == 0.25  # the override stays
    notes = [d for d in sheet.diagnostics if d.code == "override.auto_changed"]
    assert len(notes) == 1 and first.id in notes[0].message
    again = apply_overrides(sheet, {first.id: _stored(first.id, 0.25, stale)})
    assert again.diagnostics == sheet.diagnostics  # applying twice adds nothing


def test_orphan_and_out_of_range_overrides_are_flagged(graded_sheet: ScoreSheet) -> None:
    first = graded_sheet.questions[0]
    sheet = apply_overrides(graded_sheet, {"9.z": _stored("9.z", 1),
                                           first.id: _stored(first.id, first.points + 1)})
    codes = {d.code for d in sheet.diagnostics}
    assert {"override.orphan", "override.out_of_range"} <= codes
    assert sheet.questions[0].score == first.points + 1


def test_set_override_checks_the_sheet_and_keeps_history(tmp_path: Path,
                                                         graded_sheet: ScoreSheet) -> None:
    store = _store_with(tmp_path, graded_sheet)
    question: QuestionScore = graded_sheet.questions[1]
    with pytest.raises(StoreError, match="no question"):
        store.set_override("alice", "9.z", 1, comment="", author="prof", at=AT, source="cli")
    with pytest.raises(StoreError, match="outside"):
        store.set_override("alice", question.id, question.points + 1, comment="", author="p",
                           at=AT, source="cli")
    stored = store.set_override("alice", question.id, 0.5, comment="capture floue",
                                author="prof", at=AT, source="cli")
    assert stored is not None and stored.auto_before == question.auto_score
    store.set_override("alice", question.id, 0.75, comment="revu", author="prof2",
                       at="2025-01-11T09:00:00+00:00", source="overrides.csv")
    store.set_override("alice", question.id, None, comment="", author="prof",
                       at="2025-01-12T09:00:00+00:00", source="cli")
    assert store.overrides() == {}
    history = store.history("alice")
    assert [(h.old_score, h.new_score, h.author, h.source) for h in history] == [
        (None, 0.5, "prof", "cli"), (0.5, 0.75, "prof2", "overrides.csv"),
        (0.75, None, "prof", "cli")]
    assert history[1].at == "2025-01-11T09:00:00+00:00"


def test_resolve_student_by_name_id_or_email(tmp_path: Path, graded_sheet: ScoreSheet) -> None:
    store = _store_with(tmp_path, graded_sheet)
    for text in ("alice", "Alice Martin", "alice martin", "101", "alice@example.org"):
        assert store.resolve_student(text) == "alice"
    with pytest.raises(StoreError, match="no student"):
        store.resolve_student("zoe")


def test_latest_result_and_reuse(tmp_path: Path, graded_sheet: ScoreSheet) -> None:
    store = _store_with(tmp_path, graded_sheet)
    (rid, key, status), = store.latest_keys().values()
    assert (key, status) == ("k1", "graded")
    students = store.class_students()
    run2 = store.begin_run(started=AT, class_path="class", rubric_digest="r",
                           students=students)
    store.reuse(run2, {"alice": rid})
    assert store.results(["alice"])["alice"].id == rid
    assert store.sheet(rid) == graded_sheet
    assert [s.email for s in store.class_students(run2)] == ["alice@example.org"]


def test_a_failed_transaction_leaves_nothing(tmp_path: Path, graded_sheet: ScoreSheet) -> None:
    store = _store_with(tmp_path, graded_sheet)
    with pytest.raises(RuntimeError), store.transaction():
        store.db.execute("DELETE FROM latest")
        raise RuntimeError("killed half-way")
    assert len(store.latest_keys()) == 1


def test_the_store_is_in_wal_mode_and_refuses_another_schema(tmp_path: Path,
                                                             graded_sheet: ScoreSheet) -> None:
    store = _store_with(tmp_path, graded_sheet)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    db = sqlite3.connect(tmp_path / "out" / "results.sqlite")
    db.execute("UPDATE meta SET value='99' WHERE key='schema'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="another version"):
        Store(tmp_path / "out" / "results.sqlite")


def test_file_hashes_are_remembered(tmp_path: Path) -> None:
    store = Store(tmp_path / "results.sqlite")
    store.remember_hashes({"/a/b.md": (10, 123, "abc")})
    assert store.file_hashes() == {"/a/b.md": (10, 123, "abc")}
