"""The ``grader`` command end to end (click's ``CliRunner``) and its docs, for drift.

Each test builds a student's folder under ``tmp_path`` from the report fixtures: the report,
two 1×1 PNG screenshots, ``api/Dockerfile``, ``api/app.py`` and ``docker-compose.yml``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from support import (
    APP,
    COMPOSE,
    DOCKERFILE,
    GRADED,
    PNG,
    REPORTS,
    ROOT,
    fixture_text,
    line_of,
)

from grader.cli import main
from grader.criteria import KINDS, REGISTRY


def make_submission(root: Path, fixture: str = "headings.md", *,
                    report_path: str = "rapport_tp1.md", name: str = "alice") -> Path:
    folder = root / name
    (folder / "api").mkdir(parents=True)
    (folder / "captures").mkdir()
    report = folder / report_path
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_bytes((REPORTS / fixture).read_bytes())
    (folder / "captures" / "build.png").write_bytes(PNG)
    (folder / "captures" / "health.png").write_bytes(PNG)
    (folder / "api" / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    (folder / "api" / "app.py").write_text(APP, encoding="utf-8")
    (folder / "docker-compose.yml").write_text(COMPOSE, encoding="utf-8")
    return folder


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    return make_submission(tmp_path)


@pytest.fixture
def other_lab(tmp_path: Path) -> Path:
    return make_submission(tmp_path, "other_lab.md", report_path="rapport.md", name="bob")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def run_json(*args: str | Path) -> dict:
    result = run(*args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # exactly one JSON document, nothing else on stdout
    assert isinstance(data, dict)
    return data


# --- grader parse -------------------------------------------------------------------------

def test_parse_table_lists_the_answers(submission: Path) -> None:
    result = run("parse", submission)
    assert result.exit_code == 0, result.output
    assert "lab: tp1-docker" in result.output
    assert "report: rapport_tp1.md" in result.output
    rows = [line.split()[0] for line in result.output.splitlines()
            if re.match(r"^\d\.[a-z]\b", line)]
    assert rows == list(GRADED)


def test_parse_json_has_the_documented_keys(submission: Path) -> None:
    data = run_json("parse", submission, "--json")
    assert data["schema"] == 1
    assert data["report"] == "rapport_tp1.md"
    assert data["lab"] == "tp1-docker"
    assert data["student"] == "alice"
    assert data["encoding"] == "utf-8"
    assert [a["id"] for a in data["answers"]] == list(GRADED)
    text = fixture_text("headings.md")
    for answer in data["answers"]:
        first, last = answer["lines"]
        assert isinstance(first, int) and isinstance(last, int) and first <= last
        assert first == line_of(text, f"### Question {answer['id']}")
        assert answer["found_by"] == "label"
        assert answer["label"] == f"Question {answer['id']}"
    ends = [a["lines"][1] for a in data["answers"]]
    starts = [a["lines"][0] for a in data["answers"]]
    assert all(end < start for end, start in zip(ends, starts[1:], strict=False))
    assert data["diagnostics"]
    for diagnostic in data["diagnostics"]:
        assert isinstance(diagnostic["code"], str) and "." in diagnostic["code"]
        assert isinstance(diagnostic["message"], str) and diagnostic["message"]
        assert diagnostic["severity"] in ("info", "warning", "error")
    assert "lab.detected" in [d["code"] for d in data["diagnostics"]]
    files = {f["path"]: f["kind"] for f in data["files"]}
    assert files == {"captures/build.png": "image", "captures/health.png": "image",
                     "api/Dockerfile": "dockerfile", "api/app.py": "python",
                     "docker-compose.yml": "compose"}


def test_parse_json_of_another_lab(other_lab: Path) -> None:
    data = run_json("parse", other_lab, "--json")
    assert data["lab"] is None
    assert data["answers"] == []
    assert data["report"] == "rapport.md"
    assert "lab.unknown" in [d["code"] for d in data["diagnostics"]]


def test_parse_a_single_report_file(submission: Path) -> None:
    data = run_json("parse", submission / "rapport_tp1.md", "--json")
    assert data["lab"] == "tp1-docker"
    assert [a["id"] for a in data["answers"]] == list(GRADED)


# --- grader grade -------------------------------------------------------------------------

def test_grade_table(submission: Path) -> None:
    result = run("grade", submission)
    assert result.exit_code == 0, result.output
    rows = [line.split()[0] for line in result.output.splitlines()
            if re.match(r"^\d\.[a-z]\b", line)]
    assert rows == list(GRADED)
    summary = re.search(r"^total (\S+)/27\s+mark (\S+)/20$", result.output, re.MULTILINE)
    assert summary, result.output
    sheet = run_json("grade", submission, "--json", "-")
    assert float(summary.group(1)) == sheet["total"]
    assert float(summary.group(2)) == sheet["mark"]


def test_grade_json_has_the_documented_keys(submission: Path) -> None:
    data = run_json("grade", submission, "--json", "-")
    assert isinstance(data["schema"], int) and data["schema"] == 1
    assert data["rubric"] == "tp1-docker"
    assert data["student"] == "alice"
    assert data["report"] == "rapport_tp1.md"
    assert data["out_of"] == 20
    assert len(data["rubric_digest"]) == 64
    assert [q["id"] for q in data["questions"]] == list(GRADED)
    for question in data["questions"]:
        assert 0 <= question["score"] <= question["points"] == 1
        assert question["answered"] is True
        assert question["override"] is None
        assert question["score"] == question["auto_score"]
        for criterion in question["criteria"]:
            assert re.match(rf"^[A-Z]\d{{3}}:{re.escape(question['id'])}#\d+$",
                            criterion["code"])
            assert criterion["kind"] in REGISTRY
            assert criterion["status"] in ("met", "partial", "missed", "error", "not_run")
    assert data["max_total"] == 27
    assert data["total"] == pytest.approx(sum(q["score"] for q in data["questions"]))
    assert 0 <= data["mark"] <= 20
    assert data["mark"] == round(data["total"] / data["max_total"] * 20 * 4) / 4
    assert data["mark"] >= 16  # a complete, well answered report
    for diagnostic in data["diagnostics"]:
        assert {"code", "message", "severity"} <= set(diagnostic)


def test_grade_finds_code_in_the_submission_files(tmp_path: Path) -> None:
    """The same report without its Dockerfile block still earns 3.b from api/Dockerfile."""
    folder = make_submission(tmp_path)
    report = folder / "rapport_tp1.md"
    text = report.read_text(encoding="utf-8")
    start = text.index("```dockerfile")
    end = text.index("```", start + 3) + 3
    report.write_text(text[:start] + "Voir api/Dockerfile." + text[end:], encoding="utf-8")
    with_file = run_json("grade", folder, "--json", "-")
    (folder / "api" / "Dockerfile").unlink()
    without = run_json("grade", folder, "--json", "-")
    score = {q["id"]: q["score"] for q in with_file["questions"]}
    bare = {q["id"]: q["score"] for q in without["questions"]}
    assert score["3.b"] == 1.0
    assert bare["3.b"] < score["3.b"]
    evidence = [e["source"] for q in with_file["questions"] if q["id"] == "3.b"
                for c in q["criteria"] for e in c["evidence"]]
    assert "file:api/Dockerfile" in evidence


def test_grade_survives_brackets_in_a_students_code(tmp_path: Path) -> None:
    folder = make_submission(tmp_path)
    report = folder / "rapport_tp1.md"
    text = report.read_text(encoding="utf-8")
    assert "WORKDIR /app\n" in text
    report.write_text(text.replace("WORKDIR /app\n", "WORKDIR [/app]\n"), encoding="utf-8")
    (folder / "api" / "Dockerfile").unlink()  # else its WORKDIR /app earns the point
    sheet = run_json("grade", folder, "--json", "-")  # the JSON view is fine
    assert any("[/app]" in m for q in sheet["questions"] for m in q["missing"])
    result = CliRunner().invoke(main, ["grade", str(folder)])
    assert result.exit_code == 0, repr(result.exception)
    assert "[/app]" in result.output


def test_grade_json_to_a_file(submission: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "sheet.json"
    out.parent.mkdir()
    result = run("grade", submission, "--json", out)
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == run_json("grade", submission, "--json", "-")
    assert "mark" in result.output  # the table is still printed


def test_grade_another_lab_gets_no_mark(other_lab: Path) -> None:
    data = run_json("grade", other_lab, "--json", "-")
    assert data["rubric"] is None
    assert data["questions"] == []
    assert data["mark"] is None
    assert data["total"] == 0 and data["max_total"] == 0
    codes = [d["code"] for d in data["diagnostics"]]
    assert "lab.unknown" in codes
    table = run("grade", other_lab)
    assert table.exit_code == 0
    assert "lab.unknown" in table.output
    assert "not graded" in table.output


def test_grade_with_a_forced_rubric(other_lab: Path) -> None:
    data = run_json("grade", other_lab, "--rubric", "tp1-docker", "--json", "-")
    assert data["rubric"] == "tp1-docker"
    assert [q["id"] for q in data["questions"]] == list(GRADED)
    assert data["mark"] is not None and data["mark"] < 10
    assert "lab.poor_fit" in [d["code"] for d in data["diagnostics"]]
    by_path = run_json("grade", other_lab, "--rubric", ROOT / "rubrics" / "tp1-docker.yaml",
                       "--json", "-")
    assert by_path["rubric"] == "tp1-docker"
    assert by_path["mark"] == data["mark"]


@pytest.mark.parametrize("command", ["grade", "parse"])
def test_unknown_rubric_lists_the_known_ones(submission: Path, command: str) -> None:
    result = run(command, submission, "--rubric", "nope")
    assert result.exit_code != 0
    assert "'nope'" in result.output
    assert "known rubrics: tp1-docker" in result.output
    assert "Traceback" not in result.output


def test_folder_that_does_not_exist(tmp_path: Path) -> None:
    for command in ("grade", "parse"):
        result = run(command, tmp_path / "nobody")
        assert result.exit_code == 2
        assert "does not exist" in result.output


@pytest.mark.parametrize("command", ["grade", "parse"])
def test_unknown_encoding_is_a_usage_error(submission: Path, command: str) -> None:
    result = run(command, submission, "--encoding", "nope")
    assert result.exit_code == 2
    assert "--encoding" in result.output
    assert "unknown encoding 'nope'" in result.output


def test_a_known_legacy_encoding_is_used(tmp_path: Path) -> None:
    folder = make_submission(tmp_path)
    report = folder / "rapport_tp1.md"
    report.write_bytes(report.read_text(encoding="utf-8").replace("—", "-").replace("’", "'")
                       .encode("cp1252", errors="replace"))
    data = run_json("parse", folder, "--encoding", "cp1252", "--json")
    assert data["encoding"] == "cp1252"
    assert [a["id"] for a in data["answers"]] == list(GRADED)


# --- grader rubric ------------------------------------------------------------------------

def test_rubric_check_ok() -> None:
    path = ROOT / "rubrics" / "tp1-docker.yaml"
    result = run("rubric", "check", path)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{path}: ok")
    assert "tp1-docker, 30 questions (27 graded, 27 points)" in result.output


BAD = """\
schema: 1
id: bad-lab
title: Bad
exercises:
  - {number: 1, title: First}
questions:
  - id: "1.a"
    exercise: 1
    title: A question
    points: 1
    criteria:
      - missed: Définissez l'image.
        kind: conceptz
        groups: [[image]]
"""


def test_rubric_check_unknown_kind(tmp_path: Path) -> None:
    path = tmp_path / "BAD.yaml"
    path.write_text(BAD, encoding="utf-8")
    result = run("rubric", "check", path)
    assert result.exit_code == 3
    kind_line = BAD.splitlines().index("        kind: conceptz") + 1
    assert kind_line == 13
    known = ", ".join(kind.kind for kind in KINDS)
    assert result.output == (f"Error: {path}:{kind_line}: questions[0].criteria[0].kind: "
                             f"unknown criterion kind 'conceptz'; use one of: {known}\n")


def test_rubric_check_relative_path_is_printed_as_given(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "BAD.yaml").write_text(BAD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("rubric", "check", "BAD.yaml")
    assert result.exit_code == 3
    assert result.output.startswith("Error: BAD.yaml:13: questions[0].criteria[0].kind: ")


def test_rubric_check_bad_parameter(tmp_path: Path) -> None:
    path = tmp_path / "BAD.yaml"
    path.write_text(BAD.replace("kind: conceptz", "kind: concepts")
                    .replace("groups: [[image]]", "groups: [[image]]\n        mini: 1"),
                    encoding="utf-8")
    result = run("rubric", "check", path)
    assert result.exit_code == 3
    assert result.output == (f"Error: {path}:15: questions[0].criteria[0].mini: unknown "
                             "parameter for kind 'concepts'; remove it or check its spelling\n")


NESTED = """\
schema: 1
id: bad-lab
title: Bad
exercises:
  - {number: 1, title: First}
questions:
  - id: "1.a"
    exercise: 1
    title: A question
    points: 1
    criteria:
      - kind: any
        missed: Montrez-le.
        of:
          - {kind: concepts, groups: [[image]]}
          - {kind: evidance, min: 1}
"""


def test_rubric_check_unknown_kind_in_a_part(tmp_path: Path) -> None:
    path = tmp_path / "nested.yaml"
    path.write_text(NESTED, encoding="utf-8")
    result = run("rubric", "check", path)
    assert result.exit_code == 3
    assert result.output.startswith(f"Error: {path}:")
    assert "unknown criterion kind 'evidance'" in result.output


def test_rubric_check_points_at_the_faulty_part(tmp_path: Path) -> None:
    path = tmp_path / "nested.yaml"
    path.write_text(NESTED, encoding="utf-8")
    result = run("rubric", "check", path)
    assert result.output.startswith(f"Error: {path}:16: questions[0].criteria[0].of[1].kind: ")


def test_rubric_check_missing_file(tmp_path: Path) -> None:
    result = run("rubric", "check", tmp_path / "none.yaml")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_rubric_show_lists_every_question() -> None:
    result = run("rubric", "show", "tp1-docker")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("tp1-docker: TP1")
    assert "(mark /20)" in result.output
    questions = re.findall(r"^\s*(\d\.[a-z])\s+(\d+) pt\s", result.output, re.MULTILINE)
    assert len(questions) == 30
    assert [qid for qid, points in questions if points != "0"] == list(GRADED)
    criteria = re.findall(r"^\s+- (\w+) \(weight ", result.output, re.MULTILINE)
    assert len(criteria) == 46  # 40 static + 6 sandbox criteria (not run without --sandbox)
    assert set(criteria) <= set(REGISTRY)
    assert "cap 0.5" in result.output


def test_rubric_show_unknown() -> None:
    result = run("rubric", "show", "nope")
    assert result.exit_code != 0
    assert "known rubrics: tp1-docker" in result.output


# --- docs ---------------------------------------------------------------------------------

def _commands(group: click.Group, path: tuple[str, ...] = ()
              ) -> list[tuple[tuple[str, ...], click.Command]]:
    found: list[tuple[tuple[str, ...], click.Command]] = []
    for name, command in sorted(group.commands.items()):
        found.append(((*path, name), command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, (*path, name)))
    return found


COMMANDS = _commands(main)


def test_the_command_tree_is_what_the_readme_documents() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"parse", "grade", "rubric", "rubric check", "rubric show"} <= names


@pytest.mark.parametrize(("path", "command"), [((), main), *COMMANDS],
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help(path: tuple[str, ...], command: click.Command) -> None:
    assert (command.help or "").strip(), f"grader {' '.join(path)} has no docstring"
    result = run(*path, "--help")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: main {' '.join(path)}".rstrip())
    assert command.help.strip().split("\n")[0] in result.output
    for param in command.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts} has no help"
            assert param.opts[0] in result.output


def _readme_usage() -> list[list[str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    usage = readme.split("## Usage", 1)[1].split("```")[1]
    return [line.split() for line in usage.strip().splitlines() if line.startswith("grader ")]


def test_readme_usage_matches_the_commands() -> None:
    commands = {path: command for path, command in COMMANDS}
    lines = _readme_usage()
    assert lines
    for words in lines:
        path = tuple(w for w in words[1:3] if w.islower() and w.isalpha())
        command = commands.get(path)
        assert command is not None, words
        documented = {part for w in words if w.startswith("[--")
                      for part in w.strip("[]").split("/")}  # [--ocr/--no-ocr]
        options = {opt for p in command.params if isinstance(p, click.Option)
                   for opt in (*p.opts, *p.secondary_opts)}
        assert documented <= options, (words, options)
        missing = {p.opts[0] for p in command.params if isinstance(p, click.Option)} - documented
        assert not missing, f"{' '.join(words[:3])}: undocumented options {missing}"


def test_readme_kind_table_matches_the_registry() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| ([A-Z]\d{3}) \|", readme, re.MULTILINE)
    assert rows == [(kind.kind, kind.code) for kind in KINDS]


def test_the_command_line_and_the_batch_parent_load_no_grading_code() -> None:
    """Startup: ``grader --help``, and a batch's parent process (its workers come from a
    server that imports the grader once), load neither the parser, the criteria, the HTML
    views nor the Docker client; each command imports what it uses."""
    import subprocess
    import sys

    heavy = ("grader.pipeline", "grader.parse", "grader.criteria", "grader.scoring",
             "grader.render", "grader.sandbox", "docker", "docx", "pypdf", "markdown_it",
             "jinja2", "pygments")
    code = ("import sys, grader.cli, grader.batch, grader.ocr; "
            f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT).stdout.strip()
    assert loaded == ""
    help_text = CliRunner().invoke(main, ["grade", "--help"]).output
    assert "--audience [student|instructor]" in help_text
