"""Views (``grader.views``): the JSON shapes other tools read, and the terminal tables.

Records are built directly, so these tests pin the views alone.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from grader.models import (
    Answer,
    CodeBlock,
    CodeKind,
    CodeOrigin,
    CriterionResult,
    Diagnostic,
    Evidence,
    FileKind,
    ImageRef,
    ImageStatus,
    Override,
    QuestionScore,
    Report,
    ScoreSheet,
    Severity,
    Status,
    Submission,
    SubmissionFile,
)
from grader.views import parse_json, parse_table, sheet_json, sheet_table

SHOT = ImageRef("captures/ps.png", "ps", 6, ImageStatus.FOUND, "captures/ps.png")
GONE = ImageRef("captures/gone.png", "", 7, ImageStatus.MISSING, "captures/gone.png")
BLOCK = CodeBlock(CodeKind.DOCKERFILE, "FROM python:3.11-slim", (10, 12), CodeOrigin.FENCED,
                  info="dockerfile")
EXITED = "### 2.c\nEcho est terminé.\n![ps](captures/ps.png)\n![](captures/gone.png)"
ANSWERS = (
    Answer("2.c", (4, 7), EXITED, EXITED, images=(SHOT, GONE), label="2.c"),
    Answer("3.b", (9, 12), "### 3.b\n```dockerfile\nFROM python:3.11-slim\n```",
           "### 3.b\n```dockerfile\nFROM python:3.11-slim\n```", prompt_lines=(9,),
           code_blocks=(BLOCK,), found_by="signature"),
)
DETECTED = Diagnostic("lab.detected", "lab tp1-docker detected", Severity.INFO)
MISSING = Diagnostic("image.missing", "captures/gone.png is not in the submission",
                     Severity.WARNING, line=7)


def submission() -> Submission:
    return Submission(root=Path("/nowhere/alice"), student="alice", report_path="rapport.md",
                      text="", encoding="utf-8",
                      files=(SubmissionFile("captures/ps.png", FileKind.IMAGE, 69),
                             SubmissionFile("api/Dockerfile", FileKind.DOCKERFILE, 120)))


def report() -> Report:
    return Report(path="rapport.md", text="\n" * 12, lab="tp1-docker", answers=ANSWERS,
                  diagnostics=(DETECTED, MISSING))


def sheet(*, override: Override | None = None) -> ScoreSheet:
    met = CriterionResult("T101:2.c#1", "concepts", 1.0, Status.MET, 1.0, "",
                          (Evidence("termine", "answer", 5),))
    partial = CriterionResult("E601:2.c#2", "evidence", 0.5, Status.PARTIAL, 0.5,
                              "Ajoutez une capture. (capture absente)", cap=0.5)
    missed = CriterionResult("D401:3.b#1", "dockerfile", 1.0, Status.MISSED, 0.0,
                             "Lancez uvicorn.", advice=("DL3013 ligne 4 : pin versions",))
    questions = (
        QuestionScore("2.c", "Exited", 1.0, 0.83, True, (met, partial), (4, 7)),
        QuestionScore("3.b", "Dockerfile", 2.0, 0.0, True, (missed,), (9, 12), override),
        QuestionScore("4.a", "Ports", 1.0, 0.0, False),
    )
    return ScoreSheet("alice", "tp1-docker", "TP1", "ab" * 32, "rapport.md", questions, 20,
                      0.25, (DETECTED, MISSING))


# --- parse --------------------------------------------------------------------------------

def test_parse_json_keys_and_types() -> None:
    data = parse_json(submission(), report())
    json.dumps(data)  # serialisable as is
    assert data["schema"] == 1
    assert (data["student"], data["report"], data["encoding"], data["lab"]) == \
        ("alice", "rapport.md", "utf-8", "tp1-docker")
    first, second = data["answers"]
    assert first["id"] == "2.c" and first["lines"] == [4, 7]
    assert first["found_by"] == "label" and first["label"] == "2.c"
    assert first["words"] == 5  # "###", "2.c", "Echo", "est", "terminé.": images are not words
    assert first["images"] == [
        {"src": "captures/ps.png", "line": 6, "status": "found", "path": "captures/ps.png"},
        {"src": "captures/gone.png", "line": 7, "status": "missing",
         "path": "captures/gone.png"},
    ]
    assert second["prompt_lines"] == [9]
    assert second["found_by"] == "signature" and second["label"] is None
    assert second["code_blocks"] == [{"kind": "dockerfile", "lines": [10, 12],
                                      "origin": "fenced", "info": "dockerfile",
                                      "repaired": False}]
    assert data["files"] == [{"path": "captures/ps.png", "kind": "image", "size": 69},
                             {"path": "api/Dockerfile", "kind": "dockerfile", "size": 120}]
    assert data["diagnostics"] == [
        {"code": "lab.detected", "message": "lab tp1-docker detected", "severity": "info"},
        {"code": "image.missing", "message": "captures/gone.png is not in the submission",
         "severity": "warning", "line": 7},
    ]


def test_parse_table() -> None:
    out = io.StringIO()
    parse_table(submission(), report(), console_file=out)
    text = out.getvalue()
    assert "alice" in text and "lab: tp1-docker" in text
    rows = {line.split()[0]: line for line in text.splitlines() if line[:1].isdigit()}
    assert set(rows) == {"2.c", "3.b"}
    assert "1 found, 1 missing" in rows["2.c"]
    assert "4–7" in rows["2.c"]
    assert "dockerfile" in rows["3.b"] and "signature" in rows["3.b"]
    assert "image.missing (line 7)" in text


# --- grade --------------------------------------------------------------------------------

def test_sheet_json_keys_and_types() -> None:
    data = sheet_json(sheet(), report=report())
    json.dumps(data)
    assert data["schema"] == 1
    assert data["rubric"] == "tp1-docker" and data["rubric_title"] == "TP1"
    assert data["student"] == "alice" and data["report"] == "rapport.md"
    assert data["total"] == pytest.approx(0.83)
    assert data["max_total"] == 4.0
    assert data["out_of"] == 20
    assert data["mark"] == 4.25  # 0.83/4 × 20 = 4.15, to the nearest quarter
    exited, docker, ports = data["questions"]
    assert exited["id"] == "2.c" and exited["score"] == 0.83 and exited["points"] == 1.0
    assert exited["lines"] == [4, 7] and exited["found_by"] == "label"
    assert exited["missing"] == ["Ajoutez une capture. (capture absente)"]
    assert exited["criteria"][0] == {
        "code": "T101:2.c#1", "kind": "concepts", "weight": 1.0, "status": "met",
        "fraction": 1.0, "feedback": "",
        "evidence": [{"text": "termine", "source": "answer", "line": 5}],
        "advice": [], "cap": None,
    }
    assert exited["criteria"][1]["cap"] == 0.5
    assert docker["criteria"][0]["advice"] == ["DL3013 ligne 4 : pin versions"]
    assert docker["found_by"] == "signature"
    assert ports["answered"] is False and ports["lines"] is None and ports["found_by"] is None
    assert all(q["override"] is None for q in data["questions"])
    assert [d["code"] for d in data["diagnostics"]] == ["lab.detected", "image.missing"]


def test_sheet_json_with_an_override() -> None:
    override = Override(1.5, comment="bonne explication", author="prof", at="2024-10-01")
    data = sheet_json(sheet(override=override))
    docker = data["questions"][1]
    assert docker["override"] == {"score": 1.5, "comment": "bonne explication",
                                  "author": "prof", "at": "2024-10-01"}
    assert docker["score"] == 1.5 and docker["auto_score"] == 0.0
    assert data["total"] == pytest.approx(2.33)
    assert docker["found_by"] is None  # no report given


def test_sheet_table() -> None:
    out = io.StringIO()
    sheet_table(sheet(override=Override(1.5)), console_file=out)
    text = out.getvalue()
    rows = {line.split()[0]: line for line in text.splitlines() if line[:1].isdigit()}
    assert set(rows) == {"2.c", "3.b", "4.a"}
    assert "0.83/1" in rows["2.c"] and "Ajoutez une capture." in rows["2.c"]
    assert "1.5/2 ✎" in rows["3.b"]
    assert "non trouvée" in rows["4.a"]
    assert "total 2.33/4   mark 11.75/20" in text
    assert "image.missing" in text  # warnings are shown
    assert "lab.detected" not in text  # info is not


def test_sheet_table_without_a_lab() -> None:
    unscored = ScoreSheet("bob", None, None, None, "README.md", (), None,
                          diagnostics=(Diagnostic("lab.unknown", "no lab fits",
                                                  Severity.WARNING),))
    out = io.StringIO()
    sheet_table(unscored, console_file=out)
    text = out.getvalue()
    assert "no lab recognised" in text
    assert "lab.unknown: no lab fits" in text
    assert "mark: — (not graded)" in text
    assert sheet_json(unscored)["mark"] is None


def test_sheet_table_prints_brackets_literally() -> None:
    result = CriterionResult("D401:3.b#2", "dockerfile", 1.0, Status.MISSED, 0.0,
                             "Définissez WORKDIR /app. (WORKDIR [/app] au lieu de /app; "
                             "depends_on: [db])")
    question = QuestionScore("3.b", "Dockerfile", 1.0, 0.0, True, (result,), (9, 12))
    odd = ScoreSheet("dupont [groupe 2]", "tp1-docker", "TP1", None, "rapport.md",
                     (question,), 20)
    out = io.StringIO()
    sheet_table(odd, console_file=out)
    text = out.getvalue()
    assert "dupont [groupe 2]" in text
    assert "[/app]" in text and "[db]" in text
