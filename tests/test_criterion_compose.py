"""Cases for the ``compose`` criterion (K501): Compose files it must credit and near
misses it must not (hadolint's ``ruleCatches`` / ``ruleCatchesNot`` style)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml
from criteria_support import code_context
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from support import COMPOSE

from grader.criteria.base import Context
from grader.criteria.compose import Compose, ComposeParams
from grader.models import (
    CodeKind,
    FileKind,
    Judgement,
    SourceFile,
)
from grader.rubric import Question

QUESTION = Question(id="5.b", exercise=5, title="Compléter docker-compose.yml", points=1.0)

GOOD = COMPOSE

SKELETON = """\
version: "3.9"

services:
  db:
    image: postgres:16
    environment:
      # TODO: définir l'utilisateur, le mot de passe et le nom de la base
      POSTGRES_USER: _______
      POSTGRES_PASSWORD: _______
      POSTGRES_DB: _______
    ports:
      # TODO: exposer le port PostgreSQL vers l'hôte
      - "____:5432"

  api:
    # TODO: construire l'image à partir du Dockerfile dans ./api
    build: _______
    ports:
      # TODO: exposer le port 8000 du conteneur vers l'hôte
      - "____:8000"
    depends_on:
      # TODO: indiquer que l'API dépend de la base de données
      - ____
"""

# Seed 002: a Word export, every line at column 0 with a blank line after it.
FLAT = "\n\n".join(line.strip() for line in GOOD.splitlines())


def make_ctx(answer: str | None = None, *, elsewhere: str | None = None,
             sources: tuple[SourceFile, ...] = (), repaired: str | None = None) -> Context:
    """A report whose answer to 5.b holds ``answer`` in a fence (rebuilt as ``repaired``
    when given), and ``elsewhere`` in another section."""
    return code_context(QUESTION, CodeKind.COMPOSE, "yaml", answer, elsewhere=elsewhere,
                        sources=sources, repaired=repaired)


def judge(text: str | None = None, *, ctx: Context | None = None, **params: Any) -> Judgement:
    return Compose.judge(ComposeParams.model_validate(params), ctx or make_ctx(text))


def service(name: str, body: str, *, version: bool = True) -> str:
    """A compose file with one service whose (unindented) body is ``body``."""
    indented = "\n".join("    " + line if line else "" for line in body.strip("\n").split("\n"))
    return ('version: "3.9"\n' if version else "") + f"services:\n  {name}:\n{indented}\n"


ENV: dict[str, Any] = {"check": "environment", "service": "db",
       "variables": {"POSTGRES_USER": "demo", "POSTGRES_PASSWORD": "demo", "POSTGRES_DB": "demo"}}
DB_PORT: dict[str, Any] = {"check": "ports", "service": "db", "container": 5432}


# --- parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "message"), [
    ({"check": "service", "service": "my service"}, "not a Compose service name"),
    ({"check": "image", "service": "db"}, "needs 'pattern'"),
    ({"check": "image", "service": "db", "pattern": "postgres:(16"}, "escape dots"),
    ({"check": "service", "service": "db", "pattern": "x"}, "does not apply"),
    ({"check": "environment", "service": "db", "variables": {}}, "at least one"),
    ({"check": "ports", "service": "db"}, "needs 'container'"),
    ({"check": "ports", "service": "db", "container": 0}, "greater than or equal"),
    ({"check": "volume", "service": "db", "target": "data"}, "absolute"),
    ({"check": "depends_on", "service": "api", "on": []}, "at least one"),
    ({"check": "service", "service": "db", "image": "x"}, "Extra inputs"),
])
def test_params_reject_with_a_fix(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Compose.parse(params)


def test_params_take_back_yaml_on_key() -> None:
    raw = yaml.safe_load("check: depends_on\nservice: api\non: [db]\n")
    assert True in raw  # YAML 1.1 reads the bare key `on` as a boolean
    assert ComposeParams.model_validate(raw).on == ("db",)


def test_params_stringify_expected_values() -> None:
    variables = {"PGPORT": 5432, "DEBUG": True, "X": None}
    params = ComposeParams.model_validate({**ENV, "variables": variables})
    assert params.variables == {"PGPORT": "5432", "DEBUG": "true", "X": None}


# --- service ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    GOOD,
    GOOD.replace('version: "3.9"\n', ""),
    "db:\n  image: postgres:16\napi:\n  build: ./api\n",  # Compose v1: no services key
    "services:\n  'db':\n    image: postgres:16\n",
    GOOD.replace("  ", "\t"),  # tabs: invalid YAML, repaired
])
def test_service_catches(text: str) -> None:
    assert judge(text, check="service", service="db").fraction == 1.0


@pytest.mark.parametrize(("text", "fraction", "words"), [
    (GOOD.replace("  api:", "    api:").replace("    build", "      build")
     .replace("    ports:\n      - \"8000", "      ports:\n        - \"8000"), 0.0,
     "imbriqué sous services.db"),
    ("version: '3.9'\nservices:\n  db:\n    image: postgres:16\napi:\n  build: ./api\n", 0.0,
     "premier niveau"),
    ("version: '3.9'\nservices:\ndb:\nimage: postgres:16\n", 0.0, "services: est vide"),
    (GOOD.replace("api:", "web:"), 0.0, "services : db, web"),
    ("services:\n  api:\n", 0.5, "déclaré mais vide"),
    ("services: [db, api\n", 0.0, "YAML invalide"),
])
def test_service_catches_not(text: str, fraction: float, words: str) -> None:
    judgement = judge(text, check="service", service="api")
    assert judgement.fraction == fraction
    assert words in (judgement.detail or ""), judgement.detail


def test_any_service_name() -> None:
    text = GOOD.replace("db", "postgres-main").replace("api", "backend_v2")
    assert judge(text, check="service", service="backend_v2").fraction == 1.0
    assert judge(text, check="depends_on", service="backend_v2",
                 on=["postgres-main"]).fraction == 1.0


# --- image -----------------------------------------------------------------------------

IMAGE: dict[str, Any] = {"check": "image", "service": "db",
                         "pattern": r"postgres:16(\..*)?"}


@pytest.mark.parametrize("image", ["postgres:16", "postgres:16.2", '"postgres:16"',
                                   "docker.io/library/postgres:16", "postgres:16.4"])
def test_image_catches(image: str) -> None:
    assert judge(GOOD.replace("postgres:16", image), **IMAGE).fraction == 1.0


@pytest.mark.parametrize(("text", "words"), [
    (GOOD.replace("postgres:16", "postgres:15"), "postgres:15"),
    (GOOD.replace("postgres:16", "postgres"), "« postgres »"),
    (GOOD.replace("postgres:16", "postgres:160"), "postgres:160"),
    (GOOD.replace("    image: postgres:16\n", ""), "pas d'image"),
    (SKELETON, "squelette"),
])
def test_image_catches_not(text: str, words: str) -> None:
    judgement = judge(text, **IMAGE)
    assert judgement.fraction == 0.0
    assert words in (judgement.detail or ""), judgement.detail


# --- environment -----------------------------------------------------------------------


@pytest.mark.parametrize("environment", [
    "environment:\n  POSTGRES_USER: demo\n  POSTGRES_PASSWORD: demo\n  POSTGRES_DB: demo",
    "environment:\n  - POSTGRES_USER=demo\n  - POSTGRES_PASSWORD=demo\n  - POSTGRES_DB=demo",
    'environment:\n  - POSTGRES_USER="demo"\n  - "POSTGRES_PASSWORD=demo"\n  - POSTGRES_DB=demo',
    'environment:\n  POSTGRES_USER: "demo"\n  POSTGRES_PASSWORD: \'demo\'\n  POSTGRES_DB: demo\n'
    "  PGDATA: /data",
])
def test_environment_catches(environment: str) -> None:
    text = service("db", f"image: postgres:16\n{environment}")
    assert judge(text, **ENV).fraction == 1.0


@pytest.mark.parametrize(("environment", "fraction", "words"), [
    ("environment:\n  POSTGRES_USER: demo\n  POSTGRES_PASSWORD: demo", 2 / 3, "POSTGRES_DB absent"),
    ("environment:\n  - POSTGRES_USER=demo", 1 / 3, "POSTGRES_PASSWORD absent"),
    ("environment:\n  POSTGRES_USER: tp1\n  POSTGRES_PASSWORD: tp1\n  POSTGRES_DB: tp1", 0.5,
     "vaut « tp1 »"),
    ("environment:\n  POSTGRES_USER: _______\n  POSTGRES_PASSWORD: demo\n  POSTGRES_DB: demo",
     2 / 3, "POSTGRES_USER absent"),
    ("environment:\n  - POSTGRES_USER\n  - POSTGRES_PASSWORD=demo\n  - POSTGRES_DB=demo",
     2.5 / 3, "sans valeur"),
    ("env_file: .env", 0.0, "env_file non vérifié"),
    ("environment: POSTGRES_USER", 0.0, "absent"),
])
def test_environment_catches_not(environment: str, fraction: float, words: str) -> None:
    judgement = judge(service("db", f"image: postgres:16\n{environment}"), **ENV)
    assert judgement.fraction == pytest.approx(fraction)
    assert words in (judgement.detail or ""), judgement.detail


def test_environment_any_value() -> None:
    text = service("db", "environment:\n  POSTGRES_USER: alice\n  POSTGRES_PASSWORD: 1234")
    params = {**ENV, "variables": {"POSTGRES_USER": None, "POSTGRES_PASSWORD": "1234"}}
    assert judge(text, **params).fraction == 1.0


# --- ports -----------------------------------------------------------------------------


@pytest.mark.parametrize(("ports", "params"), [
    ('- "5432:5432"', {}),
    ("- 5432:5432", {}),  # unquoted
    ("- 5432:5432", {"host": 5432}),
    ('- "5433:5432"', {}),  # another host port is fine when none is required
    ("- '127.0.0.1:5432:5432'", {"host": 5432}),
    ('- "5432:5432/tcp"', {"host": 5432}),
    ('- "[::1]:5432:5432"', {"host": 5432}),
    ('- "5432"', {}),
    ("- 5432", {}),
    ('- "5430-5440:5430-5440"', {"host": 5432}),
    ("- target: 5432\n  published: 5432", {"host": 5432}),
    ('- target: 5432\n  published: "5432"\n  protocol: tcp', {"host": 5432}),
    ('- "8080:80"\n- "5432:5432"', {"host": 5432}),
])
def test_ports_catch(ports: str, params: dict[str, Any]) -> None:
    text = service("db", "image: postgres:16\nports:\n" + "\n".join(
        "  " + line for line in ports.split("\n")))
    judgement = judge(text, **DB_PORT, **params)
    assert judgement.fraction == 1.0, judgement.detail


def test_ports_base_60_trap() -> None:
    """YAML 1.1 reads ``22:22`` (each part after ``:`` below 60) as 22 × 60 + 22."""
    text = service("ssh", "image: linuxserver/openssh-server\nports:\n  - 22:22")
    assert yaml.safe_load(text)["services"]["ssh"]["ports"] == [1342]
    judgement = judge(text, check="ports", service="ssh", container=22, host=22)
    assert judgement.fraction == 1.0
    assert judge(text.replace("22:22", "2222:22"), check="ports", service="ssh",
                 container=22, host=22).fraction == 0.5


@pytest.mark.parametrize(("ports", "params", "fraction", "words"), [
    ('- "5433:5432"', {"host": 5432}, 0.5, "port hôte 5433 au lieu de 5432"),
    ('- "5432"', {"host": 5432}, 0.5, "non fixé"),
    ('- "____:5432"', {}, 0.0, "non rempli"),
    ('- "____:5432"', {"host": 5432}, 0.0, "non rempli"),
    ('- "5432:8000"', {}, 0.0, "HÔTE:CONTENEUR"),
    ('- "8000:8000"', {}, 0.0, "ne publie pas le port 5432"),
])
def test_ports_catch_not(ports: str, params: dict[str, Any], fraction: float,
                         words: str) -> None:
    text = service("db", f"image: postgres:16\nports:\n  {ports}")
    judgement = judge(text, **DB_PORT, **params)
    assert judgement.fraction == fraction
    assert words in (judgement.detail or ""), judgement.detail


def test_expose_does_not_publish() -> None:
    judgement = judge(service("db", "image: postgres:16\nexpose:\n  - 5432"), **DB_PORT)
    assert judgement.fraction == 0.0 and "expose ne publie pas" in (judgement.detail or "")


def test_statement_skeleton_earns_nothing() -> None:
    for params in (DB_PORT, IMAGE, {"check": "service", "service": "db"}, ENV):
        judgement = judge(SKELETON, **params)
        assert judgement.fraction == 0.0 and "squelette" in (judgement.detail or "")


# --- build, depends_on -----------------------------------------------------------------

BUILD: dict[str, Any] = {"check": "build", "service": "api", "context": "./api"}


@pytest.mark.parametrize("build", [
    "build: ./api", "build: api", "build: api/", "build: ./api/", 'build: "./api"',
    "build:\n  context: ./api", "build:\n  context: api\n  dockerfile: Dockerfile",
])
def test_build_catches(build: str) -> None:
    assert judge(service("api", build), **BUILD).fraction == 1.0


@pytest.mark.parametrize(("build", "fraction", "words"), [
    ("build: .", 0.0, "build: . au lieu de api"),
    ("build:\n  context: .\n  dockerfile: api/Dockerfile", 0.5, "contexte . au lieu de api"),
    ("image: simple-api", 0.0, "il utilise une image"),
    ("build: _______", 0.0, "non rempli"),
])
def test_build_catches_not(build: str, fraction: float, words: str) -> None:
    judgement = judge(service("api", build), **BUILD)
    assert judgement.fraction == fraction
    assert words in (judgement.detail or ""), judgement.detail


DEPENDS: dict[str, Any] = {"check": "depends_on", "service": "api", "on": ["db"]}


@pytest.mark.parametrize("depends", [
    "depends_on:\n  - db",
    "depends_on: [db, cache]",
    "depends_on:\n  db:\n    condition: service_healthy",
    "depends_on:\n  db:\n    condition: service_started\n    restart: true",
    "depends_on: db",
])
def test_depends_on_catches(depends: str) -> None:
    assert judge(service("api", f"build: ./api\n{depends}"), **DEPENDS).fraction == 1.0


@pytest.mark.parametrize(("depends", "params", "fraction"), [
    ("", DEPENDS, 0.0),
    ("depends_on:\n  - ____", DEPENDS, 0.0),
    ("depends_on:\n  - cache", DEPENDS, 0.0),
    ("depends_on:\n  - db", {**DEPENDS, "on": ["db", "cache"]}, 0.5),
])
def test_depends_on_catches_not(depends: str, params: dict[str, Any], fraction: float) -> None:
    judgement = judge(service("api", f"build: ./api\n{depends}"), **params)
    assert judgement.fraction == fraction
    assert "ne dépend pas de" in (judgement.detail or "")


# --- volume, env_file ------------------------------------------------------------------

VOLUME: dict[str, Any] = {"check": "volume", "service": "db",
                          "target": "/var/lib/postgresql/data"}


@pytest.mark.parametrize("volumes", [
    "- pgdata:/var/lib/postgresql/data",
    "- ./data:/var/lib/postgresql/data/",
    "- ./data:/var/lib/postgresql/data:rw",
    "- C:\\\\data:/var/lib/postgresql/data:ro,z",
    "- /var/lib/postgresql/data",
    "- type: volume\n    source: pgdata\n    target: /var/lib/postgresql/data",
])
def test_volume_catches(volumes: str) -> None:
    text = service("db", f"image: postgres:16\nvolumes:\n  {volumes}")
    assert judge(text, **VOLUME).fraction == 1.0


@pytest.mark.parametrize("volumes", ["volumes:\n  - pgdata:/data", "", "volumes:\n  - ____"])
def test_volume_catches_not(volumes: str) -> None:
    judgement = judge(service("db", f"image: postgres:16\n{volumes}"), **VOLUME)
    assert judgement.fraction == 0.0 and "/var/lib/postgresql/data" in (judgement.detail or "")


@pytest.mark.parametrize(("env_file", "path", "fraction"), [
    ("env_file: .env", ".env", 1.0),
    ("env_file: ./.env", ".env", 1.0),
    ("env_file:\n  - ./db.env\n  - .env", ".env", 1.0),
    ("env_file:\n  - path: ./.env\n    required: false", ".env", 1.0),
    ("env_file: db.env", None, 1.0),
    ("env_file: config/.env", ".env", 0.5),
    ("env_file: db.env", ".env", 0.0),
    ("environment:\n  A: b", None, 0.0),
])
def test_env_file(env_file: str, path: str | None, fraction: float) -> None:
    text = service("db", f"image: postgres:16\n{env_file}")
    judgement = judge(text, check="env_file", service="db", path=path)
    assert judgement.fraction == fraction


# --- where the file is -----------------------------------------------------------------


def test_evidence_points_at_the_report_line() -> None:
    ctx = make_ctx(GOOD)
    (evidence,) = judge(ctx=ctx, **DB_PORT).evidence
    assert evidence.source == "answer" and evidence.text == "ports:"
    assert evidence.line is not None
    assert ctx.report.text.split("\n")[evidence.line - 1] == "    ports:"
    (evidence,) = judge(ctx=ctx, check="service", service="api").evidence
    assert evidence.line is not None
    assert ctx.report.text.split("\n")[evidence.line - 1] == "  api:"


def test_evidence_is_the_service_not_a_dependency_on_it() -> None:
    text = ("services:\n  api:\n    build: ./api\n    depends_on:\n      db:\n"
            "        condition: service_started\n  db:\n    image: postgres:16\n"
            "    ports:\n      - 5432:5432\n")
    ctx = make_ctx(text)
    for params, expected in (({"check": "service", "service": "db"}, "  db:"),
                             (DB_PORT, "    ports:")):
        (evidence,) = judge(ctx=ctx, **params).evidence
        assert evidence.line is not None
        assert ctx.report.text.split("\n")[evidence.line - 1] == expected


def test_several_documents_in_one_block() -> None:
    text = "# .env\n---\nPOSTGRES_USER: demo\n---\n" + GOOD
    assert judge(text, **DB_PORT).fraction == 1.0


def test_flattened_block_read_through_its_repair() -> None:
    ctx = make_ctx(FLAT, repaired=GOOD)
    judgement = judge(ctx=ctx, **DEPENDS)
    assert judgement.fraction == 1.0
    line = judgement.evidence[0].line
    assert line is not None and ctx.report.text.split("\n")[line - 1] == "depends_on:"
    unrepaired = judge(FLAT, **DEPENDS)
    assert unrepaired.fraction == 0.0 and "premier niveau" in (unrepaired.detail or "")


def test_compose_only_in_a_submission_file() -> None:
    ctx = make_ctx(None, sources=(SourceFile("docker-compose.yml", FileKind.COMPOSE, GOOD),))
    judgement = judge(ctx=ctx, check="ports", service="api", container=8000, host=8000)
    assert judgement.fraction == 1.0
    assert judgement.evidence[0].source == "file:docker-compose.yml"
    assert judgement.evidence[0].line == 13
    assert "docker-compose.yml" in (judgement.detail or "")


def test_best_candidate_wins_over_the_nearest() -> None:
    other_port = GOOD.replace('"5432:5432"', '"5433:5432"')
    ctx = make_ctx(other_port, elsewhere=SKELETON,
                   sources=(SourceFile("compose.yaml", FileKind.COMPOSE, GOOD),))
    judgement = judge(ctx=ctx, **DB_PORT, host=5432)
    assert judgement.fraction == 1.0
    assert judgement.evidence[0].source == "file:compose.yaml"
    alone = judge(other_port, **DB_PORT, host=5432)
    assert alone.fraction == 0.5 and alone.evidence[0].source == "answer"


def test_unrelated_yaml_is_ignored() -> None:
    workflow = "name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
    ctx = make_ctx(None, sources=(SourceFile(".github/ci.yml", FileKind.YAML, workflow),
                                  SourceFile("compose.yml", FileKind.YAML, GOOD)))
    assert judge(ctx=ctx, **DB_PORT).evidence[0].source == "file:compose.yml"
    nothing = judge(ctx=make_ctx(None), **DB_PORT)
    assert nothing.fraction == 0.0 and "aucun fichier Compose" in (nothing.detail or "")


@pytest.mark.parametrize("text", [
    "services: &a\n  db: *a\n",  # a recursive alias
    "a: &a [x, x]\nb: &b [*a, *a]\nservices: {db: {ports: [*b, *b]}}\n",
    "services:\n  db: [1, 2]\n",
    "services:\n  db:\n    ports: {a: 1}\n    environment: 12\n    depends_on: 3\n"
    "    volumes: 4\n    build: {context: 5}\n    env_file: [6]\n    image: 7\n",
    "- just\n- a list\n",
    "services:\n  db:\n    ports: [true, null, 1.5, [1]]\n",
    "%YAML 9.9\n---\nservices: {}\n",
    "services:\n  db: {}\n---\nservices:\n  db: {}\n",
])
def test_strange_documents_do_not_raise(text: str) -> None:
    for check in ("service", "image", "environment", "ports", "build", "depends_on", "volume",
                  "env_file"):
        extra: dict[str, dict[str, Any]] = {
            "image": {"pattern": "x"}, "environment": {"variables": {"A": None}},
            "ports": {"container": 1}, "build": {"context": "."}, "depends_on": {"on": ["x"]},
            "volume": {"target": "/x"}}
        judgement = judge(text, check=check, service="db", **extra.get(check, {}))
        assert 0.0 <= judgement.fraction <= 1.0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([
    "services:", "db:", "api:", "ports:", "- ", '"', "'", "5432:5432", ":", "\n", "  ",
    "\t", "environment:", "&a ", "*a", "[", "]", "{", "}", "build: ", "_____"]),
    max_size=60).map("".join))
def test_never_raises(text: str) -> None:
    for params in (DB_PORT, ENV, BUILD, {**DEPENDS, "service": "db"}, IMAGE):
        judgement = judge(text, **params)
        assert 0.0 <= judgement.fraction <= 1.0


def test_documentation_example_is_valid() -> None:
    doc = Compose.__doc__ or ""
    assert all(part in doc for part in ("What it does:", "Why:", "Example::"))
    assert Compose.summary and "\n" not in Compose.summary
    example = doc.split("Example::", 1)[1]
    for item in yaml.safe_load(textwrap.dedent(example)):
        assert item.pop("kind") == Compose.kind
        item.pop("missed")
        Compose.parse(item)
