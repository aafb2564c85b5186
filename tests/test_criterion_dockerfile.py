"""Cases for the ``dockerfile`` criterion (D401): Dockerfiles it must credit and near
misses it must not (hadolint's ``ruleCatches`` / ``ruleCatchesNot`` style)."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from criteria_support import code_context
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from grader.criteria import dockerfile as module
from grader.criteria.base import Context
from grader.criteria.dockerfile import Dockerfile, DockerfileParams
from grader.models import (
    CodeKind,
    FileKind,
    Judgement,
    SourceFile,
)
from grader.rubric import Question

QUESTION = Question(id="3.b", exercise=3, title="Compléter le Dockerfile", points=1.0)

GOOD = """\
FROM python:3.11-slim
WORKDIR /app
COPY app.py /app/
RUN pip install fastapi uvicorn
CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]
"""

SKELETON = """\
# Dockerfile

# TODO: choisir une image de base Python
FROM ____________

# TODO: définir le répertoire de travail dans le conteneur
WORKDIR ____________

# TODO: copier le fichier app.py
COPY ____________ ____________

# Installer FastAPI et Uvicorn
RUN pip install fastapi uvicorn

# TODO: lancer le serveur au démarrage du conteneur
___________ ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]
"""

# Corpus s01: the "# TODO" comments lost their "#" in a word processor.
PROSE = """\
Dockerfile

TODO: choisir une image de base Python
FROM python:3.9-slim

TODO: définir le répertoire de travail dans le conteneur
WORKDIR /app

Copy the application
COPY app.py .

Installer FastAPI et Uvicorn
RUN pip install fastapi uvicorn

Run the server when the container starts
CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]
"""


def make_ctx(answer: str | None = None, *, elsewhere: str | None = None,
             sources: tuple[SourceFile, ...] = (), screenshot: bool = False) -> Context:
    """A report whose answer to 3.b holds ``answer`` in a fence, and ``elsewhere`` in
    another section; line numbers are those of the report text built here."""
    return code_context(QUESTION, CodeKind.DOCKERFILE, "dockerfile", answer, elsewhere=elsewhere,
                        sources=sources, screenshot="image-4.png" if screenshot else None)


def judge(text: str | None = None, *, ctx: Context | None = None, **params: Any) -> Judgement:
    return Dockerfile.judge(DockerfileParams.model_validate(params), ctx or make_ctx(text))


CMD: dict[str, Any] = {"check": "cmd", "program": "uvicorn", "args": ["app:app"],
                       "host": "0.0.0.0", "port": 8000}
PIP: dict[str, Any] = {"check": "pip_install", "packages": ["fastapi", "uvicorn"]}


@pytest.fixture(autouse=True)
def _no_hadolint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most cases do not need hadolint: keep them fast and independent of its install."""
    monkeypatch.setattr(module, "_hadolint", lambda text: ())


# --- parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "message"), [
    ({"check": "base_image", "pattern": "python:3.(11"}, "escape dots"),
    ({"check": "base_image"}, "needs 'pattern'"),
    ({"check": "workdir", "path": "/app", "pattern": "x"}, "does not apply"),
    ({"check": "pip_install", "packages": []}, "non-empty list"),
    ({"check": "cmd", "program": "uvicorn", "port": 70000}, "less than or equal"),
    ({"check": "cmd"}, "needs 'program'"),
    ({"check": "copy", "source": "app.py", "dest": "/app"}, "Extra inputs"),
])
def test_params_reject_with_a_fix(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Dockerfile.parse(params)


def test_params_normalise_packages() -> None:
    params = DockerfileParams.model_validate(
        {"check": "pip_install", "packages": ["FastAPI==0.110", "uvicorn[standard]"]})
    assert params.packages == ("fastapi", "uvicorn")
    words = DockerfileParams.model_validate({"check": "cmd", "program": "uvicorn",
                                             "args": "app:app --reload"})
    assert words.args == ("app:app", "--reload")
    assert DockerfileParams.model_validate({"check": "pip_install",
                                            "packages": "fastapi uvicorn"}).packages == (
        "fastapi", "uvicorn")


# --- base_image ------------------------------------------------------------------------

BASE: dict[str, Any] = {"check": "base_image", "pattern": r"python:3\.\d+(-slim)?"}


@pytest.mark.parametrize("line", [
    "FROM python:3.11-slim",
    "FROM python:3.9-slim",
    "FROM python:3.10",
    "from python:3.11-slim",
    "FROM --platform=linux/amd64 python:3.11-slim AS base",
    "FROM docker.io/library/python:3.11-slim",
    "FROM python:3.11-slim@sha256:abcdef",
])
def test_base_image_catches(line: str) -> None:
    assert judge(GOOD.replace("FROM python:3.11-slim", line), **BASE).fraction == 1.0


@pytest.mark.parametrize(("text", "words"), [
    (GOOD.replace("python:3.11-slim", "ubuntu:22.04"), "ubuntu:22.04"),
    (GOOD.replace("python:3.11-slim", "____________"), "____________"),
    (SKELETON, "squelette"),
    (GOOD.replace("FROM python:3.11-slim\n", ""), "aucune instruction FROM"),
    ("From the official image we start", "aucune instruction FROM"),
])
def test_base_image_catches_not(text: str, words: str) -> None:
    judgement = judge(text, **BASE)
    assert judgement.fraction == 0.0
    assert words in (judgement.detail or "")


# --- workdir, copy ---------------------------------------------------------------------


@pytest.mark.parametrize(("value", "fraction"), [
    ("/app", 1.0), ("/app/", 1.0), ('"/app"', 1.0), ("/code", 0.5), ("____________", 0.5)])
def test_workdir(value: str, fraction: float) -> None:
    text = GOOD.replace("WORKDIR /app", f"WORKDIR {value}")
    assert judge(text, check="workdir", path="/app").fraction == fraction


def test_workdir_missing() -> None:
    judgement = judge(GOOD.replace("WORKDIR /app\n", ""), check="workdir", path="/app")
    assert judgement.fraction == 0.0 and "WORKDIR /app" in (judgement.detail or "")


@pytest.mark.parametrize("line", [
    "COPY app.py .",
    "COPY app.py /app/",
    "COPY ./app.py /app/app.py",
    "COPY . .",
    "COPY ./ /app",
    "ADD app.py .",
    "COPY --chown=1000:1000 app.py .",
    'COPY ["app.py", "/app/"]',
    "COPY *.py /app/",
    "COPY requirements.txt app.py /app/",
])
def test_copy_catches(line: str) -> None:
    judgement = judge(GOOD.replace("COPY app.py /app/", line), check="copy", source="app.py")
    assert judgement.fraction == 1.0, judgement.detail


@pytest.mark.parametrize(("line", "fraction", "words"), [
    ("COPY requirements.txt .", 0.0, "ne copie pas app.py"),
    ("COPY ____________ ____________", 0.0, "ne copie pas"),
    ("COPY app.py", 0.5, "destination manquante"),
    ("RUN echo copy app.py", 0.0, "aucune instruction COPY"),
])
def test_copy_catches_not(line: str, fraction: float, words: str) -> None:
    judgement = judge(GOOD.replace("COPY app.py /app/", line), check="copy", source="app.py")
    assert judgement.fraction == fraction
    assert words in (judgement.detail or "")


def test_copy_outside_context_is_credited_with_a_note() -> None:
    judgement = judge(GOOD.replace("COPY app.py /app/", "COPY ../api/app.py ."),
                      check="copy", source="app.py")
    assert judgement.fraction == 1.0 and "hors du contexte" in (judgement.detail or "")


def test_skeleton_earns_nothing_even_for_given_lines() -> None:
    for params in (PIP, {"check": "copy", "source": "app.py"}, CMD):
        judgement = judge(SKELETON, **params)
        assert judgement.fraction == 0.0 and "squelette" in (judgement.detail or "")


# --- pip_install -----------------------------------------------------------------------


@pytest.mark.parametrize("run", [
    "RUN pip install fastapi uvicorn",
    "RUN pip3 install --no-cache-dir fastapi==0.110.0 'uvicorn[standard]>=0.29'",
    "RUN python -m pip install -U fastapi uvicorn",
    "RUN python3.11 -m pip install fastapi uvicorn",
    "RUN pip install \\\n    fastapi \\\n    uvicorn",
    "RUN pip install fastapi\nRUN pip install uvicorn",
    "RUN apt-get update && pip install --upgrade pip && pip install fastapi uvicorn",
    'RUN ["pip", "install", "fastapi", "uvicorn"]',
    "RUN pip install -i https://pypi.org/simple FastAPI Uvicorn",
])
def test_pip_install_catches(run: str) -> None:
    judgement = judge(GOOD.replace("RUN pip install fastapi uvicorn", run), **PIP)
    assert judgement.fraction == 1.0, judgement.detail


@pytest.mark.parametrize(("run", "fraction", "words"), [
    ("RUN pip install fastapi", 0.5, "uvicorn"),
    ("RUN pip install flask gunicorn", 0.0, "fastapi, uvicorn"),
    ("RUN apt-get install -y python3-fastapi uvicorn", 0.0, "aucun RUN pip install"),
    ("RUN echo pip install fastapi uvicorn > notes.txt", 1.0, ""),
])
def test_pip_install_catches_not(run: str, fraction: float, words: str) -> None:
    judgement = judge(GOOD.replace("RUN pip install fastapi uvicorn", run), **PIP)
    assert judgement.fraction == fraction
    assert words in (judgement.detail or "")


def test_pip_install_reads_the_requirements_file() -> None:
    text = GOOD.replace("RUN pip install fastapi uvicorn", "COPY requirements.txt .\n"
                        "RUN pip install --no-cache-dir -r requirements.txt")
    listed = SourceFile("api/requirements.txt", FileKind.REQUIREMENTS,
                        "# deps\nfastapi==0.110.0\nuvicorn[standard]  # server\n")
    assert judge(ctx=make_ctx(text, sources=(listed,)), **PIP).fraction == 1.0
    partial = SourceFile("api/requirements.txt", FileKind.REQUIREMENTS, "fastapi\n")
    assert judge(ctx=make_ctx(text, sources=(partial,)), **PIP).fraction == 0.5
    unknown = judge(text, **PIP)
    assert unknown.fraction == 0.5
    assert "absent de la soumission" in (unknown.detail or "")


# --- cmd -------------------------------------------------------------------------------


@pytest.mark.parametrize("cmd", [
    'CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]',
    "CMD uvicorn app:app --host 0.0.0.0 --port 8000",
    'CMD ["uvicorn", "app:app", "--host=0.0.0.0", "--port=8000"]',
    'CMD ["python", "-m", "uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]',
    "CMD python3 -m uvicorn app:app --host 0.0.0.0 --port 8000",
    'ENTRYPOINT ["uvicorn"]\nCMD ["app:app", "--host", "0.0.0.0", "--port", "8000"]',
    'ENTRYPOINT ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]',
    'CMD ["sh", "-c", "uvicorn app:app --host 0.0.0.0 --port 8000"]',
    "CMD cd /app && exec uvicorn app:app --host 0.0.0.0 --port 8000",
    'CMD ["/usr/local/bin/uvicorn", "app:app", "--host", "0.0.0.0"]',
    'CMD ["uvicorn", "app:app", "--port", "8000", "--host", "::"]',
    'CMD ["uvicorn", "app:app", "--reload", "--host", "0.0.0.0", "--port", "8000"]',
    'CMD ["echo", "old"]\nCMD ["uvicorn", "app:app", "--host", "0.0.0.0"]',
])
def test_cmd_catches(cmd: str) -> None:
    text = GOOD.replace('CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]', cmd)
    judgement = judge(text, **CMD)
    assert judgement.fraction == 1.0, judgement.detail


@pytest.mark.parametrize(("cmd", "fraction", "words"), [
    ('CMD ["uvicorn", "app:app", "--host", "127.0.0.1", "--port", "8000"]', 0.5,
     "injoignable depuis l'extérieur"),
    ('CMD ["uvicorn", "app:app", "--port", "8000"]', 0.5, "--host 0.0.0.0 absent"),
    ("CMD uvicorn app:app", 0.5, "injoignable"),
    ('CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "80"]', 0.5, "--port 80"),
    ('CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]', 0.5, "app:app"),
    ("CMD ['uvicorn', 'app:app', '--host', '0.0.0.0', '--port', '8000']", 0.5, "JSON invalide"),
    ('CMD ["python", "app.py"]', 0.0, "« python » au lieu de uvicorn"),
    ('CMD ["uvicorn", "app:app"]\nCMD ["python", "app.py"]', 0.0, "python"),
    ("RUN uvicorn app:app --host 0.0.0.0", 0.0, "pendant la construction"),
    ("", 0.0, "aucune instruction CMD"),
    ('___________ ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]', 0.0,
     "aucune instruction CMD"),
])
def test_cmd_catches_not(cmd: str, fraction: float, words: str) -> None:
    text = GOOD.replace('CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]', cmd)
    judgement = judge(text, **CMD)
    assert judgement.fraction == fraction
    assert words in (judgement.detail or ""), judgement.detail


def test_cmd_last_stage_counts() -> None:
    text = ('FROM python:3.11 AS build\nCMD ["uvicorn", "app:app", "--host", "0.0.0.0"]\n'
            'FROM python:3.11-slim\nCMD ["python", "app.py"]\n')
    assert judge(text, **CMD).fraction == 0.0


# --- reports as students write them ----------------------------------------------------


@pytest.mark.parametrize("params", [
    BASE, {"check": "workdir", "path": "/app"}, {"check": "copy", "source": "app.py"}, PIP, CMD])
def test_prose_lines_are_ignored(params: dict[str, Any]) -> None:
    judgement = judge(PROSE, **params)
    assert judgement.fraction == 1.0, judgement.detail


def test_curly_quotes_and_crlf() -> None:
    text = GOOD.replace('"', "\u201c").replace("\n", "\r\n")
    assert judge(text, **CMD).fraction == 1.0


def test_dockerfile_only_in_the_submission_files() -> None:
    ctx = make_ctx(None, screenshot=True,
                   sources=(SourceFile("api/Dockerfile", FileKind.DOCKERFILE, GOOD),))
    judgement = judge(ctx=ctx, **CMD)
    assert judgement.fraction == 1.0
    (evidence,) = judgement.evidence
    assert evidence.source == "file:api/Dockerfile"
    assert evidence.line == 5 and evidence.text.startswith("CMD")
    assert "api/Dockerfile" in (judgement.detail or "")


def test_evidence_points_at_the_report_line() -> None:
    ctx = make_ctx(PROSE)
    (evidence,) = judge(ctx=ctx, **PIP).evidence
    assert evidence.source == "answer"
    assert evidence.line is not None
    assert ctx.report.text.split("\n")[evidence.line - 1] == "RUN pip install fastapi uvicorn"


def test_best_candidate_wins_over_the_nearest() -> None:
    local = GOOD.replace("0.0.0.0", "127.0.0.1")
    ctx = make_ctx(local, elsewhere=SKELETON,
                   sources=(SourceFile("api/Dockerfile", FileKind.DOCKERFILE, GOOD),))
    judgement = judge(ctx=ctx, **CMD)
    assert judgement.fraction == 1.0
    assert judgement.evidence[0].source == "file:api/Dockerfile"
    alone = judge(ctx=make_ctx(local), **CMD)
    assert alone.fraction == 0.5 and alone.evidence[0].source == "answer"


def test_never_reads_the_current_directory(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Dockerfile").write_text("FROM ubuntu:22.04\n")
    monkeypatch.chdir(tmp_path)
    text = "FROM python:3.12-slim\nWORKDIR /srv\n"
    assert judge(text, **BASE).fraction == 1.0
    assert judge(text, check="workdir", path="/srv").fraction == 1.0
    assert (tmp_path / "Dockerfile").read_text() == "FROM ubuntu:22.04\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile"]


def test_nothing_to_read() -> None:
    judgement = judge(ctx=make_ctx(None, screenshot=True), **BASE)
    assert judgement.fraction == 0.0 and "aucun Dockerfile" in (judgement.detail or "")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([
    "FROM ", "RUN ", "CMD ", "COPY ", "ENTRYPOINT ", "WORKDIR ", "[", "]", '"', "'", "\\",
    "\n", " ", "pip install ", "uvicorn", "-m", "--host", "=", "&&", "sh -c ", "_____",
    "\u201c", "\x00", "#"]), max_size=60).map("".join))
def test_never_raises(text: str) -> None:
    for params in (BASE, {"check": "workdir", "path": "/app"},
                   {"check": "copy", "source": "app.py"}, PIP, CMD):
        judgement = judge(text, **params)
        assert 0.0 <= judgement.fraction <= 1.0


# --- hadolint --------------------------------------------------------------------------


@pytest.fixture
def lint(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real hadolint runner, with an empty cache."""
    monkeypatch.setattr(module, "_hadolint", _REAL_HADOLINT)
    monkeypatch.setattr(module, "_HADOLINT_CACHE", {})


_REAL_HADOLINT = module._hadolint
_HAS_HADOLINT = module._hadolint_path() is not None


@pytest.mark.skipif(not _HAS_HADOLINT, reason="hadolint is not installed")
@pytest.mark.usefixtures("lint")
def test_hadolint_advice_on_base_image_only() -> None:
    judgement = judge(GOOD, **BASE)
    assert any(a.startswith("DL3013 ligne 4 : Pin versions in pip") for a in judgement.advice)
    assert judge(GOOD, **CMD).advice == ()


@pytest.mark.skipif(not _HAS_HADOLINT, reason="hadolint is not installed")
@pytest.mark.usefixtures("lint")
def test_hadolint_lints_past_prose_lines() -> None:
    advice = judge(PROSE, **BASE).advice
    assert advice and not any(a.startswith("DL1000") for a in advice)
    assert any(" ligne 13 : " in a for a in advice)  # the RUN line of PROSE


@pytest.mark.usefixtures("lint")
def test_hadolint_runs_once_per_text(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake_run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append(argv)
        assert kwargs["timeout"] == 10.0 and "shell" not in kwargs
        out = b'[{"code":"DL3042","line":4,"message":"Avoid cache","level":"warning"}]'
        return subprocess.CompletedProcess(argv, 0, out, b"")

    monkeypatch.setattr(module, "_hadolint_path", lambda: "/opt/hadolint")
    monkeypatch.setattr(module.subprocess, "run", fake_run)
    for _ in range(3):
        assert judge(GOOD, **BASE).advice == ("DL3042 ligne 4 : Avoid cache",)
    assert len(calls) == 1
    assert calls[0] == ["/opt/hadolint", "--config", str(module.HADOLINT_CONFIG), "--format",
                        "json", "--no-fail", "-"]


@pytest.mark.usefixtures("lint")
def test_hadolint_findings_are_shared_through_the_store_file(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    """With ``share_lint_results`` (each batch worker sets it on the results store), a text
    linted by one process is not linted again by another, nor by the next run; another
    hadolint version lints again; a failed run is not shared; a store that cannot be used
    only means nothing is shared."""
    calls: list[str] = []
    output = b'[{"code":"DL3042","line":4,"message":"Avoid cache","level":"warning"}]'
    version = b"Haskell Dockerfile Linter 2.12.0"

    def fake_run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        if argv[1:] == ["--version"]:
            return subprocess.CompletedProcess(argv, 0, version, b"")
        calls.append(kwargs["input"].decode())
        return subprocess.CompletedProcess(argv, 0, output, b"")

    monkeypatch.setattr(module, "_hadolint_path", lambda: "/opt/hadolint")
    monkeypatch.setattr(module.subprocess, "run", fake_run)
    module._tool_id.cache_clear()
    store = tmp_path / "results.sqlite"
    monkeypatch.setattr(module, "_SHARED", None)
    module.share_lint_results(store)
    assert judge(GOOD, **BASE).advice == ("DL3042 ligne 4 : Avoid cache",)
    assert len(calls) == 1
    monkeypatch.setattr(module, "_HADOLINT_CACHE", {})  # another worker, or the next run
    module.share_lint_results(store)
    assert judge(GOOD, **BASE).advice == ("DL3042 ligne 4 : Avoid cache",)
    assert len(calls) == 1
    version = b"Haskell Dockerfile Linter 2.15.1"  # hadolint upgraded
    module._tool_id.cache_clear()
    monkeypatch.setattr(module, "_HADOLINT_CACHE", {})
    assert judge(GOOD, **BASE).advice == ("DL3042 ligne 4 : Avoid cache",)
    assert len(calls) == 2
    output = b"not json"  # a failing run: no advice, and nothing kept for the others
    other = GOOD.replace("3.11", "3.12")
    assert judge(other, **BASE).advice == ()
    monkeypatch.setattr(module, "_HADOLINT_CACHE", {})
    output = b"[]"
    assert judge(other, **BASE).advice == ()
    assert len(calls) == 4  # linted again after the failure
    (tmp_path / "folder.sqlite").mkdir()  # a store that cannot be opened
    module.share_lint_results(tmp_path / "folder.sqlite")
    monkeypatch.setattr(module, "_HADOLINT_CACHE", {})
    output = b'[{"code":"DL3059","line":5,"message":"Consolidate","level":"info"}]'
    assert judge(GOOD, **BASE).advice == ("DL3059 ligne 5 : Consolidate",)
    assert len(calls) == 5
    module.share_lint_results(None)
    module._tool_id.cache_clear()


@pytest.mark.usefixtures("lint")
def test_hadolint_missing_or_failing_gives_no_advice(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setattr(module, "_hadolint_path", lambda: None)
    assert judge(GOOD, **BASE) == judge(GOOD, **BASE)
    assert judge(GOOD, **BASE).advice == ()
    broken = tmp_path / "hadolint"
    broken.write_text("#!/bin/sh\necho 'not json'\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setattr(module, "_hadolint_path", lambda: str(broken))
    assert judge(GOOD.replace("3.11", "3.10"), **BASE).advice == ()
    slow = tmp_path / "slow"
    slow.write_text("#!/bin/sh\nsleep 5\n")
    slow.chmod(0o755)
    monkeypatch.setattr(module, "_hadolint_path", lambda: str(slow))
    monkeypatch.setattr(module, "_HADOLINT_TIMEOUT", 0.2)
    judgement = judge(GOOD.replace("3.11", "3.9"), **BASE)
    assert judgement.fraction == 1.0 and judgement.advice == ()


def test_documentation_example_is_valid() -> None:
    doc = Dockerfile.__doc__ or ""
    assert all(part in doc for part in ("What it does:", "Why:", "Example::"))
    assert Dockerfile.summary and "\n" not in Dockerfile.summary
    example = doc.split("Example::", 1)[1]
    for item in yaml.safe_load(textwrap.dedent(example)):
        assert item.pop("kind") == Dockerfile.kind
        item.pop("missed")
        Dockerfile.parse(item)
