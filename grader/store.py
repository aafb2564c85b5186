"""The results database: every run's score sheets, the students, manual overrides.

One SQLite file in the batch's output folder (``results.sqlite``). The batch's
parent process is the only writer of results; each graded submission is
committed in its own transaction (WAL journal), so killing the batch loses
nothing already graded and never leaves a half-written sheet. Results are immutable rows: a
run either grades a submission (a new row) or reuses the row of an earlier
run whose inputs were identical (``input_key``: the files' hashes, the rubric
digest, the grader version, the student's overrides), so each run's sheets
can be found again and an unchanged re-run does no grading at all.

The ``ocr_cache`` table keeps the text OCR read in each screenshot, by the
SHA-256 of its bytes (``grader.ocr.SqliteOcrCache``): a re-grade reads no
screenshot twice. The ``lint_cache`` table, created by the workers, keeps
hadolint's findings by the Dockerfile's SHA-256 and hadolint's identity
(``grader.criteria.dockerfile.share_lint_results``). These two are the tables
the batch's workers write themselves, one short transaction per entry, so that
a worker killed on a timeout keeps what it had done; they hold no result.

Overrides are the instructor's: they live here with their full history (who,
when, old and new value) and are applied to every sheet, whatever re-grade
happens. An override remembers the automatic score it replaced, so a
re-grade that changes that score (a new rubric) is flagged, not silently
hidden under the manual score.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from grader.errors import GraderError
from grader.models import (
    Override,
    ScoreSheet,
)
from grader.ocr import OCR_TABLE_SQL
from grader.roster import normalize
from grader.sheetcodec import StoredOverride, sheet_from_json

STORE_NAME = "results.sqlite"
SCHEMA = 1

_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT, class_path TEXT,
    rubric_digest TEXT, status TEXT NOT NULL, summary TEXT);
CREATE TABLE IF NOT EXISTS students (
    key TEXT PRIMARY KEY, name TEXT NOT NULL, slug TEXT NOT NULL, folder TEXT,
    source TEXT, lms_id TEXT, email TEXT, login TEXT, extra TEXT);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, student TEXT NOT NULL,
    input_key TEXT NOT NULL, rubric_digest TEXT, report_digest TEXT, status TEXT NOT NULL,
    mark REAL, sheet BLOB NOT NULL, error TEXT, similarity BLOB, html_student BLOB,
    html_instructor BLOB, seconds REAL, brief TEXT);
CREATE TABLE IF NOT EXISTS run_items (
    run_id INTEGER NOT NULL, student TEXT NOT NULL, result_id INTEGER, action TEXT NOT NULL,
    PRIMARY KEY (run_id, student));
CREATE TABLE IF NOT EXISTS latest (student TEXT PRIMARY KEY, result_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS overrides (
    student TEXT NOT NULL, question TEXT NOT NULL, score REAL NOT NULL, comment TEXT,
    author TEXT, at TEXT, auto_before REAL, PRIMARY KEY (student, question));
CREATE TABLE IF NOT EXISTS override_history (
    id INTEGER PRIMARY KEY, student TEXT NOT NULL, question TEXT NOT NULL, old_score REAL,
    new_score REAL, old_comment TEXT, comment TEXT, author TEXT, at TEXT, source TEXT);
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, digest TEXT NOT NULL, value BLOB);
"""
_SCHEMA_SQL += OCR_TABLE_SQL  # screenshots' text by content (grader.ocr.SqliteOcrCache)


class StoreError(GraderError):
    """The results database cannot be used as asked (no such student, bad override)."""


def pack(text: str) -> bytes:
    """Sheets and pages are stored compressed (workers compress, in parallel)."""
    return zlib.compress(text.encode("utf-8"), 1)


def unpack(blob: bytes | None) -> str | None:
    return None if blob is None else zlib.decompress(blob).decode("utf-8")


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    student: str
    question: str
    old_score: float | None
    new_score: float | None
    """``None`` when the override was cleared."""
    comment: str
    author: str
    at: str
    source: str
    """``cli`` or ``overrides.csv``."""


@dataclass(frozen=True, slots=True)
class StudentRecord:
    key: str
    name: str
    slug: str
    folder: str = ""
    source: str = "folder"
    lms_id: str = ""
    email: str = ""
    login: str = ""
    extra: Mapping[str, str] | None = None
    """Other roster columns (SIS ids, section) the exports may want."""


@dataclass(frozen=True, slots=True)
class NewResult:
    """A grading to commit, as a worker produced it (payloads already packed)."""

    student: str
    input_key: str
    status: str
    """``graded``, ``ungraded`` (no lab recognised) or ``failed``."""
    sheet: bytes
    rubric_digest: str | None = None
    report_digest: str | None = None
    mark: float | None = None
    error: str | None = None
    similarity: bytes | None = None
    html_student: bytes | None = None
    html_instructor: bytes | None = None
    seconds: float = 0.0
    flags: tuple[str, ...] = ()
    """Codes of the sheet's warnings and errors (the summary reads them, not the sheet)."""
    note: str = ""
    """One line on the result (why it failed), for the summary."""


@dataclass(frozen=True, slots=True)
class StoredResult:
    id: int
    run_id: int
    student: str
    input_key: str
    status: str
    mark: float | None
    error: str | None
    rubric_digest: str | None
    report_digest: str | None
    flags: tuple[str, ...] = ()
    note: str = ""


class Store:
    """The results database of one output folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sheets: dict[int, ScoreSheet] = {}
        self._prints: dict[int, Any] = {}
        """Decoded payloads by result id (a result row never changes once written)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(_SCHEMA_SQL)  # idempotent; commits each statement
        with self.transaction():
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
            elif int(row[0]) != SCHEMA:
                raise StoreError(f"{path} was written by another version of the grader "
                                 f"(schema {row[0]}, expected {SCHEMA}); use a new --out folder")

    @classmethod
    def in_folder(cls, out: Path) -> Store:
        return cls(out / STORE_NAME)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self) -> _Transaction:
        return _Transaction(self.db)

    # ------------------------------------------------------------ runs and results

    def begin_run(self, *, started: str, class_path: str, rubric_digest: str,
                  students: Sequence[StudentRecord]) -> int:
        """Record a run and the class it grades (so a killed run's class is still known)."""
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO runs (started, class_path, rubric_digest, status) "
                "VALUES (?, ?, ?, 'running')", (started, class_path, rubric_digest))
            run_id = int(cursor.lastrowid or 0)
            for s in students:
                self.db.execute(
                    "INSERT INTO students VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) "
                    "DO UPDATE SET name=excluded.name, slug=excluded.slug, "
                    "folder=excluded.folder, source=excluded.source, lms_id=excluded.lms_id, "
                    "email=excluded.email, login=excluded.login, extra=excluded.extra",
                    (s.key, s.name, s.slug, s.folder, s.source, s.lms_id, s.email, s.login,
                     json.dumps(dict(s.extra or {}), sort_keys=True)))
            self.db.executemany(
                "INSERT INTO run_items (run_id, student, action) VALUES (?, ?, 'pending')",
                [(run_id, s.key) for s in students])
        return run_id

    def finish_run(self, run_id: int, *, finished: str, summary: Mapping[str, Any]) -> None:
        with self.transaction():
            self.db.execute("UPDATE runs SET finished=?, status='done', summary=? WHERE id=?",
                            (finished, json.dumps(summary, sort_keys=True), run_id))

    def latest_keys(self) -> dict[str, tuple[int, str, str]]:
        """Student → (result id, input key, status) of their latest result."""
        rows = self.db.execute(
            "SELECT l.student, r.id, r.input_key, r.status FROM latest l "
            "JOIN results r ON r.id = l.result_id")
        return {student: (rid, key, status) for student, rid, key, status in rows}

    def save_result(self, run_id: int, result: NewResult) -> int:
        """Commit one graded submission: its row, the student's latest pointer and the run's
        item, in one transaction."""
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO results (run_id, student, input_key, rubric_digest, report_digest,"
                " status, mark, sheet, error, similarity, html_student, html_instructor, "
                "seconds, brief) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, result.student, result.input_key, result.rubric_digest,
                 result.report_digest, result.status, result.mark, result.sheet, result.error,
                 result.similarity, result.html_student, result.html_instructor,
                 result.seconds, json.dumps({"flags": result.flags, "note": result.note})))
            result_id = int(cursor.lastrowid or 0)
            self._point(run_id, result.student, result_id, "graded")
        return result_id

    def reuse(self, run_id: int, reused: Mapping[str, int]) -> None:
        """Record that this run kept earlier results (student → result id), in one go."""
        with self.transaction():
            for student, result_id in reused.items():
                self._point(run_id, student, result_id, "reused")

    def _point(self, run_id: int, student: str, result_id: int, action: str) -> None:
        self.db.execute("INSERT INTO latest VALUES (?, ?) ON CONFLICT(student) DO UPDATE SET "
                        "result_id=excluded.result_id", (student, result_id))
        self.db.execute("INSERT INTO run_items VALUES (?, ?, ?, ?) ON CONFLICT(run_id, student)"
                        " DO UPDATE SET result_id=excluded.result_id, action=excluded.action",
                        (run_id, student, result_id, action))

    def last_run(self) -> int | None:
        row = self.db.execute("SELECT max(id) FROM runs").fetchone()
        return None if row[0] is None else int(row[0])

    def class_students(self, run_id: int | None = None) -> list[StudentRecord]:
        """The students of a run (the last one by default), in key order."""
        run_id = self.last_run() if run_id is None else run_id
        rows = self.db.execute(
            "SELECT s.key, s.name, s.slug, s.folder, s.source, s.lms_id, s.email, s.login, "
            "s.extra FROM run_items i JOIN students s ON s.key = i.student WHERE i.run_id = ? "
            "ORDER BY s.key", (run_id,))
        return [StudentRecord(k, n, sl, f or "", src or "folder", lms or "", em or "",
                              lo or "", json.loads(ex or "{}"))
                for k, n, sl, f, src, lms, em, lo, ex in rows]

    def results(self, students: Iterable[str]) -> dict[str, StoredResult]:
        """The latest result of each of these students (absent: never graded)."""
        wanted = list(students)
        out: dict[str, StoredResult] = {}
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk:chunk + 500]
            rows = self.db.execute(
                "SELECT r.id, r.run_id, r.student, r.input_key, r.status, r.mark, r.error, "
                "r.rubric_digest, r.report_digest, r.brief FROM latest l JOIN results r "
                f"ON r.id = l.result_id WHERE l.student IN ({','.join('?' * len(part))})",
                part)
            for rid, run, who, key, status, mark, error, rubric, report, raw in rows:
                brief = json.loads(raw or "{}")
                out[who] = StoredResult(rid, run, who, key, status, mark, error, rubric, report,
                                        tuple(brief.get("flags", ())), brief.get("note", ""))
        return out

    def payload(self, result_id: int, column: str) -> str | None:
        """One packed column of a result (``sheet``, ``similarity``, ``html_student``,
        ``html_instructor``), unpacked."""
        if column not in ("sheet", "similarity", "html_student", "html_instructor"):
            raise ValueError(column)
        row = self.db.execute(f"SELECT {column} FROM results WHERE id=?",
                              (result_id,)).fetchone()
        return None if row is None else unpack(row[0])

    def sheet(self, result_id: int) -> ScoreSheet:
        """A result's score sheet, decoded once per store connection."""
        sheet = self._sheets.get(result_id)
        if sheet is None:
            text = self.payload(result_id, "sheet")
            if text is None:
                raise StoreError(f"result {result_id} not found in {self.path}")
            sheet = self._sheets[result_id] = sheet_from_json(orjson.loads(text))
        return sheet

    def fingerprints(self, result_id: int) -> Any:
        """A result's answer fingerprints (``similarity.answer_prints``), decoded once per
        store connection; ``None`` when it has none."""
        if result_id not in self._prints:
            text = self.payload(result_id, "similarity")
            self._prints[result_id] = orjson.loads(text) if text else None
        return self._prints[result_id]

    def keep_decoded(self, result_id: int, result: NewResult) -> None:
        """Decode a result just saved from the bytes in hand, for ``sheet`` and
        ``fingerprints`` to answer later without reading the row again."""
        self._sheets[result_id] = sheet_from_json(orjson.loads(zlib.decompress(result.sheet)))
        self._prints[result_id] = (orjson.loads(zlib.decompress(result.similarity))
                                   if result.similarity else None)

    # ------------------------------------------------------------ file hashes

    def file_hashes(self) -> dict[str, tuple[int, int, str]]:
        """Path → (size, mtime_ns, sha256) remembered from earlier runs."""
        rows = self.db.execute("SELECT path, size, mtime_ns, sha256 FROM file_hashes")
        return {p: (size, mtime, sha) for p, size, mtime, sha in rows}

    def remember_hashes(self, entries: Mapping[str, tuple[int, int, str]]) -> None:
        if not entries:
            return
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?)",
                                [(p, *v) for p, v in entries.items()])

    # ------------------------------------------------------------ cache

    def cached(self, key: str, digest: str) -> str | None:
        row = self.db.execute("SELECT value FROM cache WHERE key=? AND digest=?",
                              (key, digest)).fetchone()
        return None if row is None else unpack(row[0])

    def remember(self, key: str, digest: str, value: str) -> None:
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO cache VALUES (?, ?, ?)",
                            (key, digest, pack(value)))

    # ------------------------------------------------------------ overrides

    def resolve_student(self, text: str) -> str:
        """The student key that ``text`` names: key, name, slug, LMS id, e-mail or login."""
        rows = self.db.execute(
            "SELECT key, name, slug, lms_id, email, login FROM students").fetchall()
        wanted = normalize(text)
        exact = [r[0] for r in rows if r[0] == text]
        if exact:
            return exact[0]
        hits = sorted({r[0] for r in rows if wanted in {normalize(v) for v in r if v}})
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise StoreError(f"no student {text!r} in {self.path}; run 'grader batch' first or "
                             "check the name (folder name, Moodle name, id, e-mail or login)")
        raise StoreError(f"{text!r} names several students ({', '.join(hits)}); use one of "
                         "these keys")

    def overrides(self, student: str | None = None) -> dict[str, dict[str, StoredOverride]]:
        """Student → question → override."""
        query = "SELECT student, question, score, comment, author, at, auto_before FROM overrides"
        rows = (self.db.execute(query + " WHERE student=?", (student,)) if student
                else self.db.execute(query))
        out: dict[str, dict[str, StoredOverride]] = {}
        for who, question, score, comment, author, at, auto_before in rows:
            out.setdefault(who, {})[question] = StoredOverride(
                who, question, Override(score, comment or "", author or "", at or ""),
                auto_before)
        return out

    def set_override(self, student: str, question: str, score: float | None, *, comment: str,
                     author: str, at: str, source: str, strict: bool = True
                     ) -> StoredOverride | None:
        """Set (or, with ``score=None``, clear) an override, keeping its history.

        The score is checked against the student's latest sheet: the question must exist and
        the score lie between 0 and its points. ``strict=False`` (the overrides file) also
        accepts an override for a student with no graded sheet yet; the sheet flags it if it
        turns out not to fit."""
        auto_before: float | None = None
        latest = self.db.execute("SELECT result_id FROM latest WHERE student=?",
                                 (student,)).fetchone()
        sheet = self.sheet(int(latest[0])) if latest is not None else None
        if score is not None and (strict or (sheet is not None and sheet.questions)):
            if sheet is None or not sheet.questions:
                raise StoreError(f"{student} has no graded sheet yet; run 'grader batch' first "
                                 "(a report that matches no lab has no questions)")
            found = next((q for q in sheet.questions if q.id == question), None)
            if found is None:
                known = ", ".join(q.id for q in sheet.questions)
                raise StoreError(f"{student}'s sheet has no question {question!r} "
                                 f"(questions: {known})")
            if not 0 <= score <= found.points:
                raise StoreError(f"score {score:g} is outside 0–{found.points:g} for "
                                 f"question {question}")
            auto_before = found.auto_score
        with self.transaction():
            old = self.db.execute(
                "SELECT score, comment FROM overrides WHERE student=? AND question=?",
                (student, question)).fetchone()
            if old is None and score is None:
                return None
            if score is None:
                self.db.execute("DELETE FROM overrides WHERE student=? AND question=?",
                                (student, question))
            else:
                self.db.execute("INSERT OR REPLACE INTO overrides VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (student, question, score, comment, author, at, auto_before))
            self.db.execute(
                "INSERT INTO override_history (student, question, old_score, new_score, "
                "old_comment, comment, author, at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (student, question, old[0] if old else None, score, old[1] if old else None,
                 comment, author, at, source))
        if score is None:
            return None
        return StoredOverride(student, question, Override(score, comment, author, at),
                              auto_before)

    def history(self, student: str | None = None) -> list[HistoryEntry]:
        query = ("SELECT student, question, old_score, new_score, comment, author, at, source "
                 "FROM override_history")
        rows = (self.db.execute(query + " WHERE student=? ORDER BY id", (student,)) if student
                else self.db.execute(query + " ORDER BY id"))
        return [HistoryEntry(s, q, o, n, c or "", a or "", at or "", src or "")
                for s, q, o, n, c, a, at, src in rows]


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``: the write lock is taken up front, so a concurrent
    ``grader override`` waits instead of failing half-way."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
