"""The Docker side of the sandbox: builds, containers and compose stacks, bounded and labelled.

The only place (with ``images.py``) that talks to an engine. Everything it
starts carries the grading labels (``LABEL_RUN`` = the run id,
``LABEL_STUDENT``) and is removed in ``finally`` blocks; ``sweep`` removes
whatever a crash or Ctrl-C may have left, by label.

- **Builds** go through the docker SDK's low-level ``build`` (the legacy
  builder: the SDK has no BuildKit, so ``RUN --mount`` and heredocs fail as
  they would with ``DOCKER_BUILDKIT=0``), with memory/CPU limits on the
  ``RUN`` steps, ``nocache`` (a student's layers never serve another's build),
  ``forcerm`` (no step container left behind), a per-student tag, and a
  wall-clock timeout enforced by a watchdog thread that kills the step
  container the build stream named (``---> Running in …``).
- **The API** runs with every capability dropped, ``no-new-privileges``, a
  read-only root file system (``/tmp`` as tmpfs; retried writable only when
  the app fails with "Read-only file system"), memory/CPU/PID limits, on a
  dedicated per-run bridge network with IP masquerading and inter-container
  traffic off (no route out, no reaching other students' containers: a
  published port needs a bridge, ``network_mode=none`` cannot publish), and
  its port published on ``127.0.0.1`` only, on an ephemeral host port read
  back from the engine.
- **Compose** (``stack.py``) goes through the real ``docker compose`` v2
  command (the SDK has no Compose API), on the policy-checked copy of the
  student's file (``policy.py``), under a unique project name; the services'
  images are built beforehand by the limited builder above and the file points
  at them, so that no unlimited build runs on the engine.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

import docker
import docker.errors
import requests

from grader.errors import SandboxUnavailable
from grader.models import BuildOutcome, HealthOutcome

LABEL_RUN = "org.docker-tp-grader.run"
LABEL_STUDENT = "org.docker-tp-grader.student"
LABEL_ROLE = "org.docker-tp-grader.role"
COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
BODY_LIMIT = 4096
LOG_TAIL_LINES = 40
_RUNNING_IN = re.compile(r"Running in ([0-9a-f]{12,64})")
_STEP_IMAGE = re.compile(r"^ ---> ([0-9a-f]{12,64})\s*$", re.M)


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Resource limits and deadlines of the sandbox (the same for every student)."""

    memory_mb: int = 512
    """Memory of each build step and container (swap included: no swap beyond it)."""
    cpus: float = 1.0
    pids: int = 256
    """Processes per container (a fork bomb stops there)."""
    build_timeout: float = 300.0
    """Wall-clock seconds for one image build; the build is killed past it."""
    ready_timeout: float = 30.0
    """Seconds for the API to answer ``/health`` (and for the database to answer)."""
    compose_timeout: float = 180.0
    """Seconds for ``docker compose up`` (and for ``down``)."""
    build_network: str | None = None
    """Network of ``RUN`` steps: ``None`` = the engine's default bridge (``pip install``
    from an index works where the engine reaches one), ``"none"`` = no network."""
    nocache: bool = True

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 1024 * 1024

    def compose_service_limits(self) -> dict[str, Any]:
        """The same limits as compose service keys (added by the policy check)."""
        return {"mem_limit": f"{self.memory_mb}m", "memswap_limit": f"{self.memory_mb}m",
                "cpus": self.cpus, "pids_limit": self.pids}


def _host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def connect(timeout: float = 120) -> Any:
    """A docker SDK client for the engine ``DOCKER_HOST`` (or the local socket) names.

    Raises ``SandboxUnavailable`` with how to fix it when nothing answers.
    """
    try:
        client = docker.from_env(timeout=int(timeout))
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException,
            OSError) as exc:
        raise SandboxUnavailable(
            f"no Docker engine answers at {_host()} ({exc}); start one (dockerd, Docker "
            "Desktop; scripts/ci/setup-docker.sh does it on Debian) or point DOCKER_HOST at "
            "a reachable engine (ssh://user@host, tcp://host:2376 with DOCKER_TLS_VERIFY)"
        ) from exc
    return client


def engine_is_local() -> bool:
    """Whether ports published on the engine's 127.0.0.1 are this machine's 127.0.0.1."""
    url = urlparse(_host())
    return url.scheme in ("unix", "npipe", "") or url.hostname in ("localhost", "127.0.0.1",
                                                                   "::1")


def tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.rstrip().split("\n")[-lines:])


def write_log(log_dir: Path | None, name: str, text: str) -> str | None:
    if log_dir is None:
        return None
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / name
    path.write_text(text, encoding="utf-8")
    return str(path)


class Engine:
    """One student's work on the engine: build, run and probe, compose; then clean up."""

    def __init__(self, client: Any, *, run_id: str, student: str, slug: str,
                 limits: SandboxLimits, network: str | None, log_dir: Path | None) -> None:
        self.client = client
        self.api = client.api
        self.run_id = run_id
        self.student = student
        self.slug = slug
        self.limits = limits
        self.network = network
        self.log_dir = log_dir
        self.labels = {LABEL_RUN: run_id, LABEL_STUDENT: student}
        self.images: list[str] = []
        """Tags and dangling step images this student's builds made (removed by cleanup)."""

    # --- build ------------------------------------------------------------------------

    def tag(self, role: str) -> str:
        return f"grader-sandbox-{self.run_id}-{self.slug}:{role}"

    def build(self, context_dir: Path, dockerfile: str, *, tag: str,
              buildargs: Mapping[str, str] | None = None, target: str | None = None,
              log_name: str = "build.log") -> BuildOutcome:
        """Build ``dockerfile`` (relative to ``context_dir``) with limits and a deadline."""
        start = time.monotonic()
        lines: list[str] = []
        state: dict[str, Any] = {"step": None, "timed_out": False, "image": None}
        lock = threading.Lock()

        def kill_step() -> None:
            with lock:
                state["timed_out"] = True
                step = state["step"]
            if step:
                with suppress(docker.errors.APIError, requests.exceptions.RequestException):
                    self.api.kill(step)

        watchdog = threading.Timer(self.limits.build_timeout, kill_step)
        watchdog.daemon = True
        error: str | None = None
        finished = False
        try:
            stream = self.api.build(
                path=str(context_dir), dockerfile=dockerfile, tag=tag, rm=True, forcerm=True,
                nocache=self.limits.nocache, pull=False, decode=True,
                # One label only: the legacy builder adds a LABEL step (an intermediate
                # container, ~0.3 s) per label; images are also tagged per student.
                labels={LABEL_RUN: self.run_id},
                container_limits={"memory": self.limits.memory_bytes,
                                  "memswap": self.limits.memory_bytes,
                                  "cpushares": max(2, int(1024 * self.limits.cpus))},
                network_mode=self.limits.build_network, buildargs=dict(buildargs or {}),
                target=target, timeout=int(self.limits.build_timeout) + 60)
            watchdog.start()
            for chunk in stream:
                text = chunk.get("stream") or chunk.get("status") or ""
                if chunk.get("error"):
                    error = str(chunk["error"]).strip()
                    text = f"ERROR: {error}\n"
                if text:
                    lines.append(text)
                    running = _RUNNING_IN.search(text)
                    step = _STEP_IMAGE.search(text)
                    with lock:
                        if running:
                            state["step"] = running.group(1)
                        if step:
                            state["image"] = step.group(1)
                        timed_out = state["timed_out"]
                    if timed_out and running:
                        kill_step()  # the step started after the deadline: kill it too
                aux = chunk.get("aux")
                if isinstance(aux, dict) and aux.get("ID"):
                    state["image"] = aux["ID"]
            finished = True
        except docker.errors.BuildError as exc:
            error = str(exc)
        except (docker.errors.APIError, requests.exceptions.RequestException,
                OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        finally:
            watchdog.cancel()
            if not finished and state["step"]:  # interrupted (Ctrl-C, lost connection):
                with suppress(docker.errors.APIError,  # the step container would hold
                              requests.exceptions.RequestException):  # its image
                    self.api.remove_container(state["step"], force=True)
            if state["image"]:  # the last step's image: dangling when the build stopped
                self.images.append(state["image"])  # (error, timeout, Ctrl-C); cleanup drops it
        seconds = round(time.monotonic() - start, 2)
        if state["timed_out"]:
            error = f"build arrêté après {self.limits.build_timeout:g} s (délai dépassé)"
        log = "".join(lines)
        ok = error is None and self._image_exists(tag)
        if ok:
            self.images.append(tag)
        elif error is None:
            error = "aucune image produite"
        return BuildOutcome(ok=ok, seconds=seconds, log_tail=tail(log), error=error,
                            timed_out=bool(state["timed_out"]), dockerfile=dockerfile,
                            log_path=write_log(self.log_dir, log_name, log))

    def _image_exists(self, tag: str) -> bool:
        try:
            self.client.images.get(tag)
        except docker.errors.ImageNotFound:
            return False
        return True

    # --- run and probe ----------------------------------------------------------------

    def run_health(self, image: str, port: int, path: str = "/health") -> HealthOutcome:
        """Start ``image`` confined, wait for ``GET path`` to answer, stop and remove it."""
        outcome = self._run_once(image, port, path, read_only=True)
        if not outcome.ok and "read-only file system" in outcome.logs.lower():
            retried = self._run_once(image, port, path, read_only=False)
            note = "relancé avec un système de fichiers inscriptible (l'app écrit hors de /tmp)"
            return HealthOutcome(retried.ok, retried.status, retried.body, retried.seconds,
                                 retried.logs, retried.error or note, retried.exit_code)
        return outcome

    def _run_once(self, image: str, port: int, path: str, *, read_only: bool) -> HealthOutcome:
        start = time.monotonic()
        container = None
        try:
            container = self.client.containers.run(
                image, detach=True, name=f"grader-{self.run_id}-{self.slug}-api",
                labels={**self.labels, LABEL_ROLE: "api"},
                cap_drop=["ALL"], security_opt=["no-new-privileges"], read_only=read_only,
                tmpfs={"/tmp": "rw,nosuid,nodev,size=64m"},
                mem_limit=self.limits.memory_bytes, memswap_limit=self.limits.memory_bytes,
                nano_cpus=int(self.limits.cpus * 1e9), pids_limit=self.limits.pids,
                ports={f"{port}/tcp": ("127.0.0.1", None)}, network=self.network,
                privileged=False, ipc_mode="private", init=False)
            status, body, error = self.probe(container, port, path)
            container.reload()
            exit_code = None
            if container.status in ("exited", "dead"):
                exit_code = container.attrs.get("State", {}).get("ExitCode")
                if error is None and status is None:
                    error = f"le conteneur s'est arrêté (code {exit_code})"
            logs = container.logs(tail=400).decode("utf-8", "replace")
        except docker.errors.APIError as exc:
            return HealthOutcome(False, None, None, round(time.monotonic() - start, 2),
                                 error=f"le conteneur n'a pas démarré : {exc.explanation or exc}")
        finally:
            if container is not None:
                with suppress(docker.errors.APIError, requests.exceptions.RequestException):
                    container.remove(force=True, v=True)
        write_log(self.log_dir, "api.log", logs)
        return HealthOutcome(status == 200, status, body, round(time.monotonic() - start, 2),
                             tail(logs), error, exit_code)

    def probe(self, container: Any, port: int, path: str
              ) -> tuple[int | None, str | None, str | None]:
        """Poll ``GET path`` until an HTTP answer, the container's exit or the deadline."""
        deadline = time.monotonic() + self.limits.ready_timeout
        last_error = "pas de réponse"
        while time.monotonic() < deadline:
            container.reload()
            if container.status in ("exited", "dead"):
                return None, None, None
            if engine_is_local():
                host_port = _published(container.attrs, port)
                if host_port is None:
                    return None, None, f"port {port} non publié"
                answer = _http_get(f"http://127.0.0.1:{host_port}{path}")
            else:
                answer = _exec_get(container, port, path)
            if isinstance(answer, tuple):
                return answer[0], answer[1], None
            last_error = answer
            time.sleep(0.3)
        return None, None, f"pas de réponse sur {path} après {self.limits.ready_timeout:g} s " \
                           f"({last_error})"

    # --- cleanup ----------------------------------------------------------------------

    def cleanup(self, keep: bool) -> None:
        """Remove this student's containers (always) and images (unless ``keep``)."""
        sweep(self.client, self.run_id, student=self.student, images=not keep)
        if keep:
            return
        for image in reversed(self.images):
            with suppress(docker.errors.APIError, requests.exceptions.RequestException):
                self.client.images.remove(image, force=True)


def _published(attrs: Mapping[str, Any], port: int) -> int | None:
    bindings = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    for binding in bindings.get(f"{port}/tcp") or []:
        if binding.get("HostPort"):
            return int(binding["HostPort"])
    return None


def _http_get(url: str) -> tuple[int, str] | str:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return int(response.status), response.read(BODY_LIMIT).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(BODY_LIMIT).decode("utf-8", "replace")
    except (urllib.error.URLError, HTTPException, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"


_EXEC_PROBE = f"""
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=3)
    print(r.status); sys.stdout.write(r.read({BODY_LIMIT}).decode("utf-8", "replace"))
except urllib.error.HTTPError as e:
    print(e.code); sys.stdout.write(e.read({BODY_LIMIT}).decode("utf-8", "replace"))
except Exception as e:
    print("ERR"); sys.stdout.write(repr(e))
"""


def _exec_get(container: Any, port: int, path: str) -> tuple[int, str] | str:
    """The probe for a remote engine: from inside the container (its own Python), since
    ports published on the engine's 127.0.0.1 are not reachable from here."""
    try:
        code, output = container.exec_run(["python3", "-c", _EXEC_PROBE,
                                           f"http://127.0.0.1:{port}{path}"])
    except docker.errors.APIError as exc:
        return f"exec: {exc}"
    first, _, rest = output.decode("utf-8", "replace").partition("\n")
    if code == 0 and first.strip().isdigit():
        return int(first), rest
    return rest or first


def ensure_network(client: Any, run_id: str) -> str:
    """The run's bridge network: no masquerading (no route out), no inter-container
    traffic; published ports on 127.0.0.1 still reach the containers."""
    name = f"grader-{run_id}"
    existing = client.networks.list(names=[name])
    if existing:
        return name
    with suppress(docker.errors.APIError):
        client.networks.create(  # check_duplicate: worker processes may race here
            name, driver="bridge", check_duplicate=True,
            labels={LABEL_RUN: run_id, LABEL_ROLE: "network"},
            options={"com.docker.network.bridge.enable_ip_masquerade": "false",
                     "com.docker.network.bridge.enable_icc": "false"})
    return name


def labelled(client: Any, run_id: str | None = None, student: str | None = None
             ) -> Iterator[tuple[str, Any]]:
    """Everything on the engine carrying the grading labels (of one run / student)."""
    filters = [f"{LABEL_RUN}={run_id}" if run_id else LABEL_RUN]
    if student:
        filters.append(f"{LABEL_STUDENT}={student}")
    for container in client.containers.list(all=True, filters={"label": filters}):
        yield "container", container
    for volume in client.volumes.list(filters={"label": filters}):
        yield "volume", volume
    for network in client.networks.list(filters={"label": filters}):
        yield "network", network
    for image in client.images.list(filters={"label": filters}):
        yield "image", image


def sweep(client: Any, run_id: str, *, student: str | None = None, images: bool = True,
          networks: bool = True) -> int:
    """Remove what the run (or one student of it) left on the engine; returns the count."""
    removed = 0
    found = list(labelled(client, run_id, student))
    order = {"container": 0, "volume": 1, "network": 2, "image": 3}
    for kind, item in sorted(found, key=lambda pair: order[pair[0]]):
        if (kind == "image" and not images) or (kind == "network" and (student or not networks)):
            continue
        with suppress(docker.errors.APIError, requests.exceptions.RequestException):
            if kind == "container":
                item.remove(force=True, v=True)
            elif kind == "volume":
                item.remove(force=True)
            elif kind == "network":
                item.remove()
            else:
                client.images.remove(item.id, force=True)
            removed += 1
    return removed


def json_body(body: str | None) -> Any:
    """The body parsed as JSON, or ``None``."""
    if body is None:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def context_folder(root: Path, dockerfile: str) -> tuple[Path, str]:
    """(build context folder, Dockerfile name in it) for a Dockerfile path of the context."""
    path = PurePosixPath(dockerfile)
    return root.joinpath(*path.parent.parts), path.name
