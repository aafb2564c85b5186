"""The sandbox criteria (S801–S804) on made-up outcomes (no engine): NOT_RUN without
``--sandbox``, met and missed cases, and the TP1 rubric's scores unchanged without it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sandbox_fixtures as F

from grader.criteria import REGISTRY, Context
from grader.models import (
    BuildOutcome,
    ComposeOutcome,
    DbOutcome,
    HealthOutcome,
    Report,
    SandboxOutcome,
    Status,
)
from grader.pipeline import grade_submission
from grader.rubric import Question, Rubric
from grader.scoring import judge_criterion
from grader.views import sandbox_json, sheet_json

OK_BUILD = BuildOutcome(True, 2.5, "Successfully built", dockerfile="api/Dockerfile")
OK_HEALTH = HealthOutcome(True, 200, '{"status":"ok"}', 1.0, "Uvicorn running")
APPI_HEALTH = HealthOutcome(False, None, None, 1.0, 'ERROR:    Error loading ASGI app. '
                            'Attribute "app" not found in module "app".',
                            "le conteneur s'est arrêté (code 1)", 1)
RUNNING = ComposeOutcome(True, (("api", "running"), ("db", "running")), 6.0, health=OK_HEALTH)
GOOD = SandboxOutcome("files", build=OK_BUILD, health=OK_HEALTH, compose=RUNNING,
                      db=DbOutcome(True, "demo", "db"))


def question() -> Question:
    return Question(id="3.b", exercise=3, title="t", points=1)


def judge(spec: dict[str, Any], sandbox: SandboxOutcome | None) -> Any:
    ctx = Context(question=question(), answer=None, report=Report(None, "", None, ()),
                  sandbox=sandbox)
    kind = REGISTRY[spec["kind"]]
    return kind.judge(kind.parse({k: v for k, v in spec.items() if k != "kind"}), ctx)


KINDS = ({"kind": "build"}, {"kind": "run_health"}, {"kind": "compose_up"},
         {"kind": "compose_db", "database": "demo"}, {"kind": "run_health", "stack": True})


@pytest.mark.parametrize("spec", KINDS, ids=lambda s: s["kind"])
def test_without_sandbox_every_kind_is_not_run(spec: dict[str, Any]) -> None:
    judgement = judge(spec, None)
    assert judgement.status is Status.NOT_RUN and judgement.fraction == 0
    assert judgement.detail == "sandbox non exécuté (--sandbox)"


@pytest.mark.parametrize("spec", KINDS, ids=lambda s: s["kind"])
def test_a_working_submission_meets_every_kind(spec: dict[str, Any]) -> None:
    judgement = judge(spec, GOOD)
    assert judgement.fraction == 1.0 and judgement.status is None
    assert judgement.evidence and judgement.evidence[0].source == "sandbox"


def test_nothing_to_build_is_not_run_rather_than_missed() -> None:
    nothing = SandboxOutcome("none")
    assert judge({"kind": "build"}, nothing).status is Status.NOT_RUN
    assert judge({"kind": "run_health"}, nothing).status is Status.NOT_RUN
    assert judge({"kind": "compose_up"}, nothing).status is Status.NOT_RUN
    assert judge({"kind": "compose_db"}, nothing).status is Status.NOT_RUN


def test_failed_build_misses_build_and_health() -> None:
    failed = SandboxOutcome("files", build=BuildOutcome(
        False, 1.0, "Step 3/5 : COPY main.py /app/\nERROR: COPY failed", error="COPY failed"))
    build = judge({"kind": "build"}, failed)
    assert build.fraction == 0 and "COPY failed" in (build.detail or "")
    health = judge({"kind": "run_health"}, failed)
    assert health.fraction == 0 and health.status is None


def test_appi_misses_health_with_uvicorns_error() -> None:
    appi = SandboxOutcome("files", build=OK_BUILD, health=APPI_HEALTH)
    judgement = judge({"kind": "run_health"}, appi)
    assert judgement.fraction == 0
    assert 'Attribute "app" not found' in (judgement.detail or "")


def test_wrong_body_earns_half() -> None:
    other = SandboxOutcome("files", build=OK_BUILD, health=HealthOutcome(
        True, 200, '{"status":"up"}', 1.0))
    assert judge({"kind": "run_health"}, other).fraction == 0.5
    assert judge({"kind": "run_health", "body": None}, other).fraction == 1.0


def test_compose_share_of_running_services_and_refusal() -> None:
    half = SandboxOutcome("files", compose=ComposeOutcome(
        False, (("api", "exited (1)"), ("db", "running")), 5.0))
    judgement = judge({"kind": "compose_up"}, half)
    assert judgement.fraction == 0.5 and "api (exited (1))" in (judgement.detail or "")
    assert judge({"kind": "compose_up", "services": ["db"]}, half).fraction == 1.0
    refused = SandboxOutcome("files", compose=ComposeOutcome(False, (), 0.0, error="refusée"),
                             refused=("services.api: privileged",))
    assert judge({"kind": "compose_up"}, refused).fraction == 0
    db = judge({"kind": "compose_db"}, refused)
    assert db.fraction == 0 and db.status is None


def test_database_name_is_checked() -> None:
    other = SandboxOutcome("files", compose=RUNNING, db=DbOutcome(True, "postgres", "db"))
    assert judge({"kind": "compose_db", "database": "demo"}, other).fraction == 0
    assert judge({"kind": "compose_db"}, other).fraction == 1


def test_tp1_sandbox_criteria_are_not_run_and_change_nothing_without_sandbox(
        tmp_path: Path, tp1: Rubric) -> None:
    graded = grade_submission(F.submission(tmp_path, "s"), [tp1], forced=tp1)
    sandbox_kinds = {"build", "run_health", "compose_up", "compose_db"}
    seen = set()
    for q in graded.sheet.questions:
        for result in q.results:
            if result.kind in sandbox_kinds:
                seen.add(q.id)
                assert result.status is Status.NOT_RUN
    assert seen == {"3.b", "3.c", "4.b", "5.b", "5.c"}
    data = sheet_json(graded.sheet, report=graded.report, sandbox=graded.sandbox)
    assert data["sandbox"] == sandbox_json(None)
    assert {data["sandbox"][k] for k in ("build", "health", "compose", "db")} == {None}
    assert data["sandbox"]["refused"] == []


def test_sandbox_criteria_weigh_in_when_the_sandbox_ran(tp1: Rubric) -> None:
    spec = next(s for q in tp1.questions if q.id == "4.b" for s in q.criteria
                if s.kind == "run_health")
    q = next(q for q in tp1.questions if q.id == "4.b")
    ctx = Context(question=q, answer=None, report=Report(None, "", None, ()),
                  sandbox=SandboxOutcome("files", build=OK_BUILD, health=APPI_HEALTH))
    result = judge_criterion(spec, 0, ctx)
    assert result.status is Status.MISSED
    assert "Attribute" in result.feedback


def test_sandbox_json_shape() -> None:
    data = sandbox_json(GOOD)
    assert data["build"]["ok"] and data["build"]["seconds"] == 2.5
    assert data["health"] == {**data["health"], "ok": True, "status": 200,
                              "body": '{"status":"ok"}'}
    assert data["compose"]["services"] == {"api": "running", "db": "running"}
    assert data["db"]["ok"] is True
    assert data["refused"] == []


def test_grade_sandbox_without_an_engine_says_how_to_get_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from grader.cli import main

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    result = CliRunner().invoke(main, ["grade", str(F.submission(tmp_path, "s")),
                                       "--rubric", "tp1-docker", "--sandbox"])
    assert result.exit_code == 5
    assert "no Docker engine answers" in result.output and "DOCKER_HOST" in result.output
