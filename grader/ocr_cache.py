"""OCR results and their cache, by the SHA-256 of the image's bytes.

OCR costs about a second per screenshot, so ``grader.ocr.collect_ocr`` keeps each result
under the SHA-256 (hex) of the image's bytes: a re-grade of unchanged screenshots does no
OCR at all. ``MemoryOcrCache`` lives for one run; ``SqliteOcrCache`` keeps results in a
SQLite table (the batch uses the results store's file) and ignores rows made by another
Tesseract version, language set or pre-processing (``grader.ocr.engine_id``). Everything
here is re-exported by ``grader.ocr``.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OcrResult:
    """What reading one image gave."""

    text: str
    """Recognised text (blank lines and trailing spaces removed); ``""`` when none."""
    ok: bool
    """The image was decoded and Tesseract ran; ``False``: ``note`` says why not."""
    seconds: float
    note: str | None = None
    """Why the image could not be read (English, for diagnostics), or ``None``."""


class OcrCache(Protocol):
    """OCR results by SHA-256 (hex) of the image's bytes."""

    def get(self, digest: str) -> OcrResult | None: ...

    def put(self, digest: str, result: OcrResult) -> None: ...


def cacheable(result: OcrResult) -> bool:
    """Successful results and failures that the same bytes would repeat (a corrupt or
    enormous file); not timeouts or Tesseract crashes, which may pass next time."""
    return result.ok or (result.note or "").startswith(("image too large", "not a readable"))


class MemoryOcrCache:
    """An ``OcrCache`` in a dict: one process, one run."""

    def __init__(self) -> None:
        self._items: dict[str, OcrResult] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> OcrResult | None:
        with self._lock:
            return self._items.get(digest)

    def put(self, digest: str, result: OcrResult) -> None:
        with self._lock:
            self._items[digest] = result

    def __len__(self) -> int:
        return len(self._items)


OCR_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS ocr_cache (
    sha256 TEXT NOT NULL, engine TEXT NOT NULL, text TEXT NOT NULL, ok INTEGER NOT NULL,
    seconds REAL NOT NULL, note TEXT, PRIMARY KEY (sha256, engine));
"""
"""The cache table; the results store (``grader.store``) has it too."""


class SqliteOcrCache:
    """An ``OcrCache`` in a SQLite file's ``ocr_cache`` table, shared by processes.

    Each ``put`` is its own short transaction (WAL journal, 30 s busy timeout), so batch
    workers can fill it while the batch's parent writes results to the same file, and a
    worker killed mid-way keeps what it had already read. Only rows of ``engine``
    (default: this machine's ``engine_id()``) are returned.
    """

    def __init__(self, path: Path, *, engine: str | None = None) -> None:
        if engine is None:
            from grader.ocr import engine_id

            engine = engine_id()
        self.path = path
        self.engine = engine
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(OCR_TABLE_SQL)
        self._lock = threading.Lock()

    def get(self, digest: str) -> OcrResult | None:
        with self._lock:
            row = self._db.execute(
                "SELECT text, ok, seconds, note FROM ocr_cache WHERE sha256=? AND engine=?",
                (digest, self.engine)).fetchone()
        return None if row is None else OcrResult(row[0], bool(row[1]), row[2], row[3])

    def put(self, digest: str, result: OcrResult) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO ocr_cache VALUES (?, ?, ?, ?, ?, ?)",
                             (digest, self.engine, result.text, int(result.ok),
                              result.seconds, result.note))

    def __len__(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM ocr_cache WHERE engine=?",
                                   (self.engine,)).fetchone()
        return int(row[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqliteOcrCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
