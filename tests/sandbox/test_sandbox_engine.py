"""Integration tests against a real Docker engine (``scripts/ci/setup-docker.sh`` starts one
and prepares the base images). They skip, saying why, when no engine answers.

Marked ``sandbox``: ``pytest -m "not sandbox"`` leaves them out (they take a minute or
two). Every test uses one runner with its own run id; at the end nothing labelled with
the grading labels may remain on the engine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sandbox_fixtures as F
from click.testing import CliRunner

from grader.ingest import read_submission
from grader.models import SandboxOutcome
from grader.parse import parse_report
from grader.pipeline import grade_submission
from grader.rubric import Rubric

pytestmark = pytest.mark.sandbox

BASE_IMAGES = ("python:3.11-slim", "postgres:16")


def _engine_problem() -> str | None:
    try:
        import docker

        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as exc:  # any failure means: no engine here
        return f"no Docker engine answers ({type(exc).__name__}: {exc}); run " \
               "scripts/ci/setup-docker.sh (root, Debian) or set DOCKER_HOST"
    try:
        for tag in BASE_IMAGES:
            try:
                client.images.get(tag)
            except docker.errors.ImageNotFound:
                return f"base image {tag} missing; run: python -m grader images prepare"
    finally:
        client.close()
    return None


PROBLEM = _engine_problem()
if PROBLEM is not None:
    pytest.skip(PROBLEM, allow_module_level=True)

from grader.sandbox import SandboxRunner  # noqa: E402
from grader.sandbox.engine import SandboxLimits, connect, labelled  # noqa: E402

LIMITS = SandboxLimits(memory_mb=256, cpus=1.0, pids=64, build_timeout=120.0,
                       ready_timeout=20.0, compose_timeout=120.0)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxRunner]:
    logs = tmp_path_factory.mktemp("sandbox-logs")
    with SandboxRunner(LIMITS, run_id=f"t{os.getpid()}{int(time.time()) % 100000}",
                       jobs=2, log_dir=logs) as sandbox:
        sandbox.check()
        yield sandbox
    client = connect()
    try:
        left = [(kind, getattr(item, "name", None) or item.id)
                for kind, item in labelled(client, sandbox.run_id)]
    finally:
        client.close()
    assert left == [], f"left on the engine after the run: {left}"


def run(runner: SandboxRunner, folder: Path, tp1: Rubric,
        limits: SandboxLimits | None = None) -> SandboxOutcome:
    submission = read_submission(folder)
    report = parse_report(submission, [tp1], forced=tp1)
    if limits is None:
        return runner.run(submission, report)
    other = SandboxRunner(limits, run_id=runner.run_id, log_dir=runner.log_dir)
    other._checked, other._compose = runner._checked, runner._compose
    return other.run(submission, report)


def test_correct_submission_builds_answers_and_its_stack_runs(
        runner: SandboxRunner, tmp_path: Path, tp1: Rubric) -> None:
    outcome = run(runner, F.submission(tmp_path, "good"), tp1)
    assert outcome.source == "files"
    assert outcome.build is not None and outcome.build.ok, outcome.build
    assert outcome.build.log_path and Path(outcome.build.log_path).is_file()
    assert outcome.health is not None and outcome.health.ok, outcome.health
    assert json.loads(outcome.health.body or "") == {"status": "ok"}
    assert "Uvicorn running" in outcome.health.logs
    assert outcome.refused == ()
    assert outcome.compose is not None and outcome.compose.ok, outcome.compose
    assert dict(outcome.compose.services) == {"api": "running", "db": "running"}
    assert outcome.compose.health is not None and outcome.compose.health.ok
    assert outcome.db is not None and outcome.db.ok and outcome.db.output.strip() == "demo"


def test_report_only_submission_is_built_from_the_reports_code(
        runner: SandboxRunner, tmp_path: Path, tp1: Rubric) -> None:
    outcome = run(runner, F.submission(tmp_path, "report", compose=None, with_files=False),
                  tp1)
    assert outcome.source == "report"
    assert dict(outcome.files)["api/app.py"].startswith("report:")
    assert outcome.build is not None and outcome.build.ok
    assert outcome.health is not None and outcome.health.ok


def test_appi_builds_but_fails_the_health_probe_with_uvicorns_error(
        runner: SandboxRunner, tmp_path: Path, tp1: Rubric) -> None:
    folder = F.submission(tmp_path, "appi", app=F.APPI, compose=None)
    graded = grade_submission(folder, [tp1], forced=tp1, sandbox=runner)
    outcome = graded.sandbox
    assert outcome is not None and outcome.build is not None and outcome.build.ok
    assert outcome.health is not None and not outcome.health.ok
    assert outcome.health.status is None and outcome.health.exit_code not in (None, 0)
    assert 'Attribute "app" not found in module "app"' in outcome.health.logs
    question = next(q for q in graded.sheet.questions if q.id == "4.b")
    health = next(r for r in question.results if r.kind == "run_health")
    assert health.status == "missed" and "Attribute" in health.feedback
    assert "sandbox.health_failed" in [d.code for d in graded.sheet.diagnostics]


def test_a_build_that_never_finishes_is_killed_at_the_timeout(
        runner: SandboxRunner, tmp_path: Path, tp1: Rubric) -> None:
    dockerfile = F.DOCKERFILE.replace("RUN pip install fastapi uvicorn",
                                      "RUN sleep 100000")
    folder = F.submission(tmp_path, "sleep", dockerfile=dockerfile, compose=None)
    limits = SandboxLimits(memory_mb=256, pids=64, build_timeout=8.0, ready_timeout=10.0)
    start = time.monotonic()
    outcome = run(runner, folder, tp1, limits)
    assert time.monotonic() - start < 60
    assert outcome.build is not None and not outcome.build.ok and outcome.build.timed_out
    assert "8 s" in (outcome.build.error or "")
    assert outcome.health is None


def test_a_memory_hog_in_the_build_is_stopped_by_the_memory_limit(
        runner: SandboxRunner, tmp_path: Path, tp1: Rubric) -> None:
    dockerfile = F.DOCKERFILE.replace(
        "RUN pip install fastapi uvicorn",
        'RUN python3 -c "b = bytearray(2 * 1024 ** 3); print(len(b))"')
    outcome = run(runner, F.submission(tmp_path, "hog", dockerfile=dockerfile, compose=None),
                  tp1)
    assert outcome.build is not None and not outcome.build.ok
    assert not outcome.build.timed_out
    assert "137" in (outcome.build.error or "") or "MemoryError" in outcome.build.log_tail


def test_a_fork_bomb_in_the_build_is_stopped_by_the_memory_limit(
        runner: SandboxRunner, tmp_path: Path, tp1: Rubric) -> None:
    """The legacy builder has no PID limit for RUN steps; kernel memory is charged to the
    step's memory cgroup, so a fork bomb is OOM-killed after a few thousand processes."""
    dockerfile = F.DOCKERFILE.replace("RUN pip install fastapi uvicorn",
                                      "RUN b() { b | b & }; b; sleep 30")
    limits = SandboxLimits(memory_mb=256, pids=64, build_timeout=20.0, ready_timeout=5.0)
    outcome = run(runner, F.submission(tmp_path, "bbomb", dockerfile=dockerfile,
                                       compose=None), tp1, limits)
    assert outcome.build is not None and not outcome.build.ok
    assert "137" in (outcome.build.error or "") or outcome.build.timed_out


def test_a_fork_bomb_and_a_memory_hog_at_run_time_are_contained(
        runner: SandboxRunner, tmp_path: Path, tp1: Rubric) -> None:
    bomb = F.DOCKERFILE.replace(
        'CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]',
        'CMD ["sh", "-c", "b() { b | b & }; b; sleep 3; '
        'ls /proc | grep -c \'^[0-9]\'; sleep 60"]')
    limits = SandboxLimits(memory_mb=256, pids=64, build_timeout=120.0, ready_timeout=6.0)
    outcome = run(runner, F.submission(tmp_path, "bomb", dockerfile=bomb, compose=None),
                  tp1, limits)
    assert outcome.build is not None and outcome.build.ok
    assert outcome.health is not None and not outcome.health.ok
    assert outcome.health.status is None  # no answer (or the shell itself could not fork)
    assert "Cannot fork" in outcome.health.logs  # the PID limit stopped it
    assert os.fork  # this process can still fork: the bomb stayed in its container
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)

    hog = F.APP.replace("app = FastAPI()", "hog = bytearray(2 * 1024 ** 3)\napp = FastAPI()")
    outcome = run(runner, F.submission(tmp_path, "runhog", app=hog, compose=None), tp1, limits)
    assert outcome.health is not None and not outcome.health.ok
    assert outcome.health.exit_code in (137, 1), outcome.health


def test_privileged_compose_with_a_host_mount_is_refused_before_anything_starts(
        runner: SandboxRunner, tmp_path: Path, tp1: Rubric) -> None:
    folder = F.submission(tmp_path, "evil", compose=F.PRIVILEGED_COMPOSE)
    outcome = run(runner, folder, tp1)
    assert any("privileged" in line for line in outcome.refused)
    assert any("montage de /" in line for line in outcome.refused)
    assert outcome.compose is not None and not outcome.compose.ok
    assert outcome.compose.services == () and outcome.db is None
    client = connect()
    try:
        started = client.containers.list(all=True, filters={
            "label": f"com.docker.compose.project=grader-{runner.run_id}-evil"})
    finally:
        client.close()
    assert started == []


def test_cli_grade_sandbox_json(runner: SandboxRunner, tmp_path: Path) -> None:
    from grader.cli import main

    folder = F.submission(tmp_path, "cli")
    result = CliRunner().invoke(main, [
        "grade", str(folder), "--rubric", "tp1-docker", "--sandbox", "--sandbox-timeout", "120",
        "--sandbox-logs", str(tmp_path / "logs"), "--json", "-"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    sandbox = data["sandbox"]
    assert sandbox["build"]["ok"] and sandbox["build"]["seconds"] > 0
    assert sandbox["build"]["log_tail"]
    assert sandbox["health"]["ok"] and sandbox["health"]["status"] == 200
    assert json.loads(sandbox["health"]["body"]) == {"status": "ok"}
    assert sandbox["compose"]["ok"]
    assert sandbox["compose"]["services"] == {"api": "running", "db": "running"}
    assert sandbox["db"]["ok"] and sandbox["refused"] == []
    kinds = {c["kind"]: c["status"] for q in data["questions"] for c in q["criteria"]
             if c["kind"] in ("build", "run_health", "compose_up", "compose_db")}
    assert set(kinds.values()) == {"met"}, kinds


def _dangling() -> set[str]:
    client = connect()
    try:
        return {image.id for image in client.images.list(all=True,
                                                         filters={"dangling": True})}
    finally:
        client.close()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_during_a_build_leaves_nothing_behind(tmp_path: Path, signum: int) -> None:
    dockerfile = F.DOCKERFILE.replace("RUN pip install fastapi uvicorn", "RUN sleep 100000")
    folder = F.submission(tmp_path, "ctrlc", dockerfile=dockerfile, compose=None)
    before = _dangling()
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", "grade", str(folder), "--rubric", "tp1-docker",
         "--sandbox", "--sandbox-logs", str(tmp_path / "logs")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        run_id = first.rsplit(" ", 1)[-1].strip()
        assert first.startswith("sandbox: engine") and run_id, first
        client = connect()
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not any(
                    "sleep 100000" in " ".join(c.attrs["Config"].get("Cmd") or [])
                    for c in client.containers.list()):
                time.sleep(0.5)
            process.send_signal(signum)
            assert process.wait(timeout=60) != 0
            time.sleep(1)
            steps = [c for c in client.containers.list(all=True)
                     if "sleep 100000" in " ".join(c.attrs["Config"].get("Cmd") or [])]
            assert steps == []
            assert list(labelled(client, run_id)) == []
        finally:
            client.close()
        assert _dangling() <= before
    finally:
        if process.poll() is None:
            process.kill()
