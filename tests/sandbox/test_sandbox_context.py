"""Build-context assembly (no engine): the submission's files first, the report's code in
the lab's layout when they are missing, and where each file came from."""

from __future__ import annotations

from pathlib import Path

import pytest
import sandbox_fixtures as F

from grader.ingest import read_submission
from grader.parse import parse_report
from grader.rubric import Rubric
from grader.sandbox import app_port, slugify
from grader.sandbox.context import (
    BuildContext,
    asgi_target,
    assemble,
    copy_sources,
    pick_compose,
    pick_dockerfile,
)


def context_of(folder: Path, tp1: Rubric) -> BuildContext:
    submission = read_submission(folder)
    return assemble(submission, parse_report(submission, [tp1], forced=tp1))


def test_the_submission_files_are_used_as_they_are(tmp_path: Path, tp1: Rubric) -> None:
    folder = F.submission(tmp_path, "files")
    F.write(folder, {"api/requirements.txt": "fastapi\nuvicorn\n", "notes/todo.txt": "x"})
    context = context_of(folder, tp1)
    assert context.source == "files"
    assert context.dockerfile == "api/Dockerfile" and context.compose == "docker-compose.yml"
    origins = dict(context.origins())
    assert origins["api/app.py"] == "file:api/app.py"
    assert origins["api/requirements.txt"] == "file:api/requirements.txt"
    assert context.get("notes/todo.txt") is not None
    assert context.get("rapport_tp1.md") is None  # the report is not build input


def test_report_only_submission_gets_the_lab_layout(tmp_path: Path, tp1: Rubric) -> None:
    context = context_of(F.submission(tmp_path, "report", with_files=False), tp1)
    assert context.source == "report"
    assert context.dockerfile == "api/Dockerfile"
    assert context.compose == "docker-compose.yml"
    paths = {f.path for f in context.files}
    assert {"api/Dockerfile", "api/app.py", "docker-compose.yml"} <= paths
    app = context.get("api/app.py")
    assert app is not None and app.origin.startswith("report:")
    assert b"app = FastAPI()" in app.data
    assert context.get("api/Dockerfile").data.decode().startswith("FROM python:3.11-slim")


def test_written_context_has_the_layout(tmp_path: Path, tp1: Rubric) -> None:
    context = context_of(F.submission(tmp_path, "report", with_files=False), tp1)
    out = tmp_path / "ctx"
    out.mkdir()
    context.write(out)
    assert (out / "api" / "app.py").is_file() and (out / "api" / "Dockerfile").is_file()
    assert (out / "docker-compose.yml").read_text().startswith('version: "3.9"')


def test_missing_files_are_completed_from_the_report(tmp_path: Path, tp1: Rubric) -> None:
    folder = F.write(tmp_path / "mixed", {
        "rapport_tp1.md": F.report(),
        "api/Dockerfile": F.DOCKERFILE,  # app.py and the compose file only in the report
    })
    context = context_of(folder, tp1)
    assert context.source == "mixed"
    origins = dict(context.origins())
    assert origins["api/Dockerfile"] == "file:api/Dockerfile"
    assert origins["api/app.py"].startswith("report:")
    assert origins["docker-compose.yml"].startswith("report:")


def test_the_broken_appi_version_shown_later_is_not_picked(tmp_path: Path,
                                                            tp1: Rubric) -> None:
    text = F.report() + "\n## Question 7.d\n\n```python\n" + F.APPI + "```\n"
    folder = F.write(tmp_path / "two", {"rapport_tp1.md": text})
    app = context_of(folder, tp1).get("api/app.py")
    assert app is not None and b"app = FastAPI()" in app.data and b"appi" not in app.data


def test_compose_build_context_decides_where_report_code_goes(tmp_path: Path,
                                                              tp1: Rubric) -> None:
    compose = F.COMPOSE.replace("build: ./api", "build: .")
    folder = F.write(tmp_path / "flat", {"rapport_tp1.md": F.report(compose=compose)})
    context = context_of(folder, tp1)
    assert context.dockerfile == "Dockerfile"
    assert context.get("app.py") is not None


def test_skeleton_with_blanks_is_not_built(tmp_path: Path, tp1: Rubric) -> None:
    skeleton = F.DOCKERFILE.replace("FROM python:3.11-slim", "FROM ____________")
    folder = F.write(tmp_path / "skeleton", {"rapport_tp1.md": F.report(dockerfile=skeleton,
                                                                        compose="")})
    context = context_of(folder, tp1)
    assert context.dockerfile is None and context.compose is None
    assert context.source == "none"
    assert any("Dockerfile" in note for note in context.notes)


def test_symlinks_and_huge_files_stay_out(tmp_path: Path, tp1: Rubric) -> None:
    folder = F.submission(tmp_path, "links")
    (folder / "api" / "passwd").symlink_to("/etc/passwd")
    (folder / "big.bin").write_bytes(b"0" * (6 * 1024 * 1024))
    context = context_of(folder, tp1)
    assert context.get("api/passwd") is None and context.get("big.bin") is None
    assert any("big.bin" in note for note in context.notes)


@pytest.mark.parametrize(("paths", "expected"), [
    (["Dockerfile", "api/Dockerfile"], "api/Dockerfile"),
    (["x/y/Dockerfile", "Dockerfile"], "Dockerfile"),
    (["deep/api.dockerfile"], "deep/api.dockerfile"),
    (["api/app.py"], None),
])
def test_pick_dockerfile(paths: list[str], expected: str | None) -> None:
    assert pick_dockerfile(paths) == expected


def test_pick_compose_prefers_the_root() -> None:
    assert pick_compose(["sub/compose.yaml", "docker-compose.yml"]) == "docker-compose.yml"
    assert pick_compose(["sub/compose.yaml"]) == "sub/compose.yaml"


@pytest.mark.parametrize(("dockerfile", "target", "port"), [
    (F.DOCKERFILE, ("app.py", "app"), 8000),
    ('CMD ["uvicorn", "main:api", "--host", "0.0.0.0", "--port", "8080"]',
     ("main.py", "api"), 8080),
    ("EXPOSE 9000\nCMD uvicorn src.server:app --host 0.0.0.0", ("src/server.py", "app"), 9000),
    ("CMD python app.py", ("app.py", "app"), 8000),
])
def test_asgi_target_and_port(dockerfile: str, target: tuple[str, str], port: int) -> None:
    assert asgi_target(dockerfile) == target
    assert app_port(dockerfile) == port


def test_copy_sources() -> None:
    text = 'COPY app.py /app/\nCOPY --chown=1 requirements.txt ./\nADD ["a b.py", "/x/"]\n'
    assert copy_sources(text) == ["app.py", "requirements.txt", "a b.py"]


def test_slugs_are_tag_safe_and_distinct() -> None:
    first, second = slugify("Élève Dupont"), slugify("eleve-dupont")
    assert first != second
    assert all(ch.isdigit() or ch.islower() or ch == "-" for ch in first)
