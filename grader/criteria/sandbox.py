"""Criteria on what the sandbox observed (``--sandbox``): the image builds, the API
answers, the compose stack runs, the database answers.

These criteria never call Docker: ``grader.sandbox`` ran the student's code
before scoring and left a ``SandboxOutcome`` in ``ctx.sandbox``. Without
``--sandbox`` (``ctx.sandbox is None``) every one of them is NOT_RUN, which
the engine leaves out of the question's share: the static criteria alone
decide, as before. A part the sandbox could not attempt (no Dockerfile
anywhere, no compose file) is NOT_RUN too; a part it attempted and that
failed earns nothing, with the engine's own words as the detail.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from grader.criteria.base import Context, Criterion, Params
from grader.models import Evidence, HealthOutcome, Judgement, SandboxOutcome, Status

NOT_RUN_DETAIL = "sandbox non exécuté (--sandbox)"


def _not_run(detail: str = NOT_RUN_DETAIL) -> Judgement:
    return Judgement(0.0, status=Status.NOT_RUN, detail=detail)


def _outcome(ctx: Context) -> SandboxOutcome | None:
    sandbox = ctx.sandbox
    return sandbox if isinstance(sandbox, SandboxOutcome) else None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().split("\n") if line.strip()]
    return lines[-1][:200] if lines else ""


def _where(outcome: SandboxOutcome) -> str:
    return {"files": "fichiers du rendu", "report": "code du rapport",
            "mixed": "fichiers du rendu complétés par le rapport"}.get(outcome.source,
                                                                         outcome.source)


class BuildParams(Params):
    pass


class Build(Criterion):
    """Checks that the student's Dockerfile builds into an image.

    What it does: reads the sandbox's build outcome: met when ``docker
    build`` of the API's Dockerfile (the submission's ``api/Dockerfile``, or
    the Dockerfile of the report written into the lab's layout) succeeded
    within the time limit; missed with the builder's error otherwise. Not run
    without ``--sandbox`` or when there is no Dockerfile to build.

    Why: a Dockerfile that reads well can still fail to build (a wrong
    ``COPY`` path, a typo in an instruction); building it is the only proof.

    Example::

        - kind: build
          weight: 1
          missed: "L'image ne se construit pas (docker build échoue)."
    """

    kind = "build"
    code = "S801"
    Params = BuildParams
    summary = "the student's Dockerfile builds in the sandbox (--sandbox)"

    @classmethod
    def judge(cls, params: BuildParams, ctx: Context) -> Judgement:
        outcome = _outcome(ctx)
        if outcome is None:
            return _not_run()
        build = outcome.build
        if build is None:
            return _not_run("aucun Dockerfile à construire")
        evidence = (Evidence(f"docker build {build.dockerfile} ({build.seconds:g} s)",
                             "sandbox"),)
        if build.ok:
            return Judgement(1.0, evidence, f"construite depuis les {_where(outcome)}")
        detail = build.error or _last_line(build.log_tail)
        return Judgement(0.0, evidence, f"échec du build : {detail}")


class HealthParams(Params):
    path: str = "/health"
    """Documentation only: the sandbox always probes ``/health``."""
    body: dict[str, Any] | None = Field(default_factory=lambda: {"status": "ok"})
    """The JSON the answer must equal (``None``: any 200 answer)."""
    stack: bool = False
    """Judge the compose stack's API instead of the image run alone."""


def judge_health(health: HealthOutcome | None, body: dict[str, Any] | None,
                 built: bool | None) -> Judgement:
    """Shared by ``run_health`` on the image and on the compose stack."""
    if health is None:
        if built is False:
            return Judgement(0.0, detail="l'image ne se construit pas : l'API n'a pas pu "
                                         "être lancée")
        return _not_run("l'API n'a pas été lancée")
    shown = (health.body or "").strip()[:200]
    evidence = (Evidence(f"GET /health → {health.status} {shown}".strip(), "sandbox"),)
    if health.status is None:
        why = health.error or "pas de réponse"
        log = _last_line(health.logs)
        return Judgement(0.0, evidence, f"{why}" + (f" ; dernier log : {log}" if log else ""))
    if health.status != 200:
        return Judgement(0.0, evidence, f"/health répond {health.status}")
    if body is not None:
        try:
            parsed = json.loads(health.body or "")
        except ValueError:
            parsed = None
        if parsed != body:
            return Judgement(0.5, evidence, f"/health répond {shown!r} au lieu de "
                                            f"{json.dumps(body)}")
    return Judgement(1.0, evidence)


class RunHealth(Criterion):
    """Checks that the built image runs and its API answers ``GET /health``.

    What it does: reads the sandbox's probe of the API container (run with no
    privileges, its port published on 127.0.0.1): met when ``/health``
    answered 200 with the expected JSON body (``{"status": "ok"}`` by
    default), half when it answered 200 with another body, missed when it did
    not answer (the detail quotes the container's last log line, e.g.
    Uvicorn's ``Attribute "app" not found``). With ``stack: true``, judges the
    compose stack's API instead.

    Why: the lab's goal is an API that answers in a container; a screenshot
    can be of another run, the probe is of this code.

    Example::

        - kind: run_health
          weight: 1
          missed: 'L''API construite ne répond pas {"status": "ok"} sur /health.'
    """

    kind = "run_health"
    code = "S802"
    Params = HealthParams
    summary = "the built API answers GET /health with the expected JSON (--sandbox)"

    @classmethod
    def judge(cls, params: HealthParams, ctx: Context) -> Judgement:
        outcome = _outcome(ctx)
        if outcome is None:
            return _not_run()
        if params.stack:
            if outcome.compose is None:
                return _not_run("aucune stack compose lancée")
            return judge_health(outcome.compose.health, params.body, outcome.compose.ok
                                or None)
        built = outcome.build.ok if outcome.build is not None else None
        return judge_health(outcome.health, params.body, built)


class ComposeUpParams(Params):
    services: tuple[str, ...] = ()
    """Services that must be running (default: every service of the file)."""


class ComposeUp(Criterion):
    """Checks that the student's compose stack starts with every service running.

    What it does: reads the sandbox's ``docker compose up`` of the
    policy-checked compose file: the share of the wanted services (all by
    default) found running. Missed when the policy refused the file
    (``privileged``, host mounts …: the stack was never started) or when
    ``up`` failed; not run without ``--sandbox`` or without a compose file.

    Why: a compose file can be valid YAML and still not start (a wrong
    build context, a database without its password variable).

    Example::

        - kind: compose_up
          services: [db, api]
          weight: 1
          missed: "La stack docker compose ne démarre pas entièrement."
    """

    kind = "compose_up"
    code = "S803"
    Params = ComposeUpParams
    summary = "the compose stack comes up with its services running (--sandbox)"

    @classmethod
    def judge(cls, params: ComposeUpParams, ctx: Context) -> Judgement:
        outcome = _outcome(ctx)
        if outcome is None:
            return _not_run()
        compose = outcome.compose
        if compose is None:
            return _not_run("aucun fichier compose lancé")
        if outcome.refused:
            return Judgement(0.0, detail="stack refusée : " + "; ".join(outcome.refused))
        states = dict(compose.services)
        wanted = params.services or tuple(states)
        if not wanted:
            return Judgement(0.0, detail=compose.error or "aucun service démarré")
        running = [s for s in wanted if states.get(s, "").startswith("running")]
        evidence = tuple(Evidence(f"{name}: {states.get(name, 'absent')}", "sandbox")
                         for name in wanted)
        missing = [f"{s} ({states.get(s, 'absent')})" for s in wanted if s not in running]
        detail = None
        if missing:
            detail = "services non démarrés : " + ", ".join(missing)
            if compose.error:
                detail += f" ; {compose.error}"
        return Judgement(len(running) / len(wanted), evidence, detail)


class ComposeDbParams(Params):
    database: str | None = None
    """The database name ``select current_database()`` must return (any by default)."""


class ComposeDb(Criterion):
    """Checks that the stack's PostgreSQL database answers.

    What it does: reads the sandbox's ``docker compose exec db psql -U <user>
    -d <db> -c 'select current_database()'`` (user and database from the
    service's ``POSTGRES_*`` variables): met when it answered (with
    ``database`` when given), missed when the database never answered or the
    stack did not start; not run without ``--sandbox`` or without a compose
    file.

    Why: the environment variables of the ``db`` service are only right if
    the database they describe exists and accepts the connection.

    Example::

        - kind: compose_db
          database: demo
          weight: 0.5
          missed: "La base PostgreSQL de la stack ne répond pas (psql -U demo -d demo)."
    """

    kind = "compose_db"
    code = "S804"
    Params = ComposeDbParams
    summary = "the compose stack's database answers psql (--sandbox)"

    @classmethod
    def judge(cls, params: ComposeDbParams, ctx: Context) -> Judgement:
        outcome = _outcome(ctx)
        if outcome is None:
            return _not_run()
        if outcome.compose is None:
            return _not_run("aucun fichier compose lancé")
        db = outcome.db
        if db is None:
            why = "stack refusée" if outcome.refused else (outcome.compose.error
                                                           or "aucun service de base de données")
            return Judgement(0.0, detail=why)
        answer = _last_line(db.output)
        evidence = (Evidence(f"{db.service}: select current_database() → {answer}",
                             "sandbox"),)
        if not db.ok:
            return Judgement(0.0, evidence, db.error)
        if params.database is not None and answer != params.database:
            return Judgement(0.0, evidence, f"la base s'appelle {answer!r} au lieu de "
                                            f"{params.database!r}")
        return Judgement(1.0, evidence)
