"""Helpers shared by the parser tests: report fixtures, submission folders, summaries."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from grader.models import Report

ROOT = Path(__file__).resolve().parents[1]
REPORTS = Path(__file__).resolve().parent / "fixtures" / "reports"

GRADED = tuple(f"{exercise}.{letter}" for exercise, letters in
               ((2, "abcd"), (3, "abc"), (4, "abcd"), (5, "abcde"), (6, "abcd"),
                (7, "abcde"), (8, "ab")) for letter in letters)
"""TP1's graded question ids (2.a to 8.b), written out so the tests do not trust the rubric."""

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35"
       b"\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
"""A valid 1×1 PNG, written wherever a fixture's screenshot must exist."""

SETUP: dict[str, dict[str, Any]] = {
    "headings.md": {"detect": True},
    "bold_crlf.md": {},
    "hash4_ids.md": {"images": ["captures/alpine.png", "captures/run.png"]},
    "numbered_list.md": {},
    "number_subs.md": {},
    "one_heading_per_exercise.md": {
        "report_path": "reports/rapport_tp1.md",
        "images": [f"screenshots/{name}.png" for name in
                   ("Q2b", "Q2c", "Q2d", "Q4a", "Q4b", "Q4c", "Q4d", "Q6b")],
    },
    "etapes.md": {},
    "typos.md": {},
    "mislabelled.md": {},
    "topical.md": {"images": ["Picture1.png", "Picture2.png", "Picture3.png", "Picture4.png"]},
    "roman.md": {"images": ["captures/2.png", "captures/3.png"]},
    "letters.md": {"images": ["captures/alpine.png", "captures/ps.png"]},
    "merged.md": {"images": ["captures/run.png", "captures/health et ps.png"]},
    "statement_pasted.md": {"images": ["static/img/ps-a.png"]},
    "code_shapes.md": {},
    "images.md": {
        "report_path": "reports/rapport_tp1.md",
        "images": ["reports/img/a.png", "reports/my shot.png", "up.png", "screenshots/q.png",
                   "notes/c.png"],
    },
    "other_lab.md": {"report_path": "rapport.md", "detect": True},
}
"""How each fixture is handed in: where the report sits, which screenshots exist, and
whether the lab is detected (the fixture answers enough of TP1) or forced (it is focused on a
few questions, so detection would rightly reject it)."""


# The lab's api/Dockerfile and api/app.py as a student commits them (submission folders
# built by the CLI and batch tests).
DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
COPY app.py .
RUN pip install fastapi uvicorn
CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]
"""
APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health():
    return {"status": "ok"}
"""


def fixture_bytes(name: str) -> bytes:
    return (REPORTS / name).read_bytes()


def fixture_text(name: str) -> str:
    """The fixture as the parser sees it: UTF-8 with ``\\n`` line endings."""
    return fixture_bytes(name).decode("utf-8").replace("\r\n", "\n")


def line_of(text: str, needle: str, *, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle`` (fails when absent)."""
    hits = [i for i, line in enumerate(text.split("\n"), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} occurs {len(hits)} times in the fixture"
    return hits[occurrence - 1]


def build_submission(root: Path, name: str, *, report_path: str = "rapport_tp1.md",
                     images: Iterable[str] = ()) -> Path:
    """A student's folder under ``root``: the fixture's bytes at ``report_path``, 1×1 PNGs."""
    folder = root / "student"
    target = folder / report_path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(fixture_bytes(name))
    for image in images:
        path = folder / image
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PNG)
    return folder


def starts(report: Report) -> dict[str, int]:
    """Question id → first line of its answer."""
    return {answer.id: answer.lines[0] for answer in report.answers}


def graded_starts(report: Report) -> dict[str, int]:
    """Like ``starts``, graded questions only (exercise 1 carries no points)."""
    return {qid: line for qid, line in starts(report).items() if qid in GRADED}


def summary(report: Report) -> dict[str, Any]:
    """A compact, stable view of a parse for golden files (no messages, no absolute paths).

    Empty fields are left out; line ranges are written ``first-last``."""
    answers = []
    for answer in report.answers:
        entry: dict[str, Any] = {
            "id": answer.id,
            "lines": f"{answer.lines[0]}-{answer.lines[1]}",
            "found_by": answer.found_by,
        }
        if answer.label is not None:
            entry["label"] = answer.label
        if answer.prompt_lines:
            entry["prompt_lines"] = list(answer.prompt_lines)
        if answer.code_blocks:
            entry["code"] = [f"{block.kind.value} {block.lines[0]}-{block.lines[1]} "
                             f"{block.origin.value}{' repaired' if block.repaired else ''}"
                             for block in answer.code_blocks]
        if answer.images:
            entry["images"] = [f"{image.src} -> {image.status.value}"
                               f"{' ' + image.path if image.path else ''}"
                               for image in answer.images]
        answers.append(entry)
    return {
        "lab": report.lab,
        "answers": answers,
        "diagnostics": [f"{d.code}@{d.line}" if d.line is not None else d.code
                        for d in report.diagnostics],
    }


COMPOSE = """\
version: "3.9"
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: demo
      POSTGRES_PASSWORD: demo
      POSTGRES_DB: demo
    ports:
      - "5432:5432"
  api:
    build: ./api
    ports:
      - "8000:8000"
    depends_on:
      - db
"""
"""The lab's docker-compose.yml, as students paste it in their reports."""
