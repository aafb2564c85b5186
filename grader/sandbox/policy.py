"""The compose policy: what a student's compose file may ask of the engine (no Docker here).

``docker compose up`` does whatever the file says, on the grading machine:
``privileged: true`` or a ``/:/host`` mount would hand a student's code the
machine itself. Before anything starts, the file is read and checked:

- **refused** (the stack is not started at all, and the sheet lists why):
  ``privileged``, host or another container's network/PID/IPC/UTS/user
  namespaces, ``devices`` and GPU requests, ``cap_add``, ``sysctls``,
  unconfined ``security_opt``, ``cgroup_parent``, another ``runtime``, bind
  mounts (and ``env_file``, ``extends``, build contexts, secrets and configs
  files) outside the submission's build context, external or
  driver-configured volumes and networks, secrets read from the grader's
  environment, remote build contexts and build options that reach the host;
- **rewritten** (the stack still starts; the sheet lists the changes): every
  published port is bound to ``127.0.0.1`` with an ephemeral host port (so
  that stacks of several students never collide and nothing listens on the
  network), ``container_name`` is dropped (names are global on an engine),
  ``deploy``, ``restart``, ``pull_policy``, ``logging`` and ``security_opt``
  are replaced by the sandbox's own;
- **added** to every service: memory, CPU and PID limits,
  ``no-new-privileges``, dropped capabilities a web app or database never
  needs, and the grading labels (also on the project's networks and volumes,
  so that the sweeper finds them).

A rule that is *rewritten* is one the lab itself asks the student to write
(``ports: ["8000:8000"]``); what the lab never asks for is *refused*.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from grader.criteria.compose import _ComposeLoader

FORBIDDEN_NAMESPACE_MODES = ("network_mode", "pid", "ipc", "uts", "userns_mode", "cgroup")
REFUSED_KEYS = {
    "devices": "accès à des périphériques de l'hôte",
    "device_cgroup_rules": "règles de périphériques",
    "gpus": "accès aux GPU de l'hôte",
    "cap_add": "capacités ajoutées",
    "sysctls": "paramètres noyau (sysctls)",
    "cgroup_parent": "cgroup parent imposé",
    "runtime": "runtime de conteneur imposé",
    "oom_kill_disable": "OOM killer désactivé",
    "external_links": "liens vers des conteneurs extérieurs à la stack",
    "credential_spec": "identifiants de l'hôte",
}
"""Service keys that never reach the engine, with the reason shown on the sheet."""
REPLACED_KEYS = ("container_name", "deploy", "restart", "pull_policy", "logging",
                 "security_opt", "cap_drop", "mem_limit", "memswap_limit", "mem_reservation",
                 "cpus", "cpu_shares", "cpu_quota", "cpu_period", "cpuset", "pids_limit",
                 "oom_score_adj", "isolation", "scale", "shm_size")
"""Service keys the sandbox sets itself (or drops); a student's value is noted as rewritten."""
DROPPED_CAPABILITIES = ("NET_RAW", "MKNOD", "AUDIT_WRITE", "SETFCAP", "SYS_CHROOT",
                        "NET_BIND_SERVICE")
"""Default capabilities removed from compose services. The rest of Docker's default set
stays: database images start as root and switch user (CHOWN, SETUID, SETGID …)."""
_UNSAFE_SECURITY = re.compile(r"unconfined|label[:=]disable|systempaths", re.IGNORECASE)
_PORT = re.compile(r"^(?:(?P<ip>\[[^\]]*\]|[^:]*):)??(?:(?P<published>[^:]*):)?"
                   r"(?P<target>\d+(?:-\d+)?)(?:/(?P<protocol>tcp|udp|sctp))?$")


@dataclass(frozen=True, slots=True)
class PolicyResult:
    """The checked compose file: what to run, what was refused, what was changed."""

    compose: dict[str, Any] | None
    """The sanitized document to hand to ``docker compose``; ``None`` when unreadable."""
    refused: tuple[str, ...] = ()
    """Violations: when not empty the stack must not start."""
    rewritten: tuple[str, ...] = ()
    error: str | None = None
    """Why the file could not be read at all (YAML error, no ``services``)."""

    @property
    def allowed(self) -> bool:
        return self.compose is not None and not self.refused


def _inside(project_dir: str, path: str) -> bool:
    """Whether ``path`` (relative to the compose file's folder) stays in the context."""
    if not path or "$" in path or path.startswith(("/", "~", "\\")) or re.match(r"^[A-Za-z]:",
                                                                                  path):
        return False
    joined = posixpath.normpath(posixpath.join(project_dir, path))
    return joined != ".." and not joined.startswith("../")


def _is_path(source: str) -> bool:
    """A volume source that is a host path rather than a named volume."""
    return source.startswith((".", "/", "~", "$", "\\")) or "/" in source or bool(
        re.match(r"^[A-Za-z]:", source))


class _Checker:
    def __init__(self, project_dir: str, labels: Mapping[str, str],
                 limits: Mapping[str, Any]) -> None:
        self.project_dir = project_dir
        self.labels = dict(labels)
        self.limits = dict(limits)
        self.refused: list[str] = []
        self.rewritten: list[str] = []

    def refuse(self, where: str, what: str) -> None:
        self.refused.append(f"{where}: {what}")

    def rewrite(self, where: str, what: str) -> None:
        self.rewritten.append(f"{where}: {what}")

    # --- services ---------------------------------------------------------------------

    def service(self, name: str, service: dict[str, Any]) -> dict[str, Any]:
        where = f"services.{name}"
        if service.get("privileged") not in (None, False, "false"):
            self.refuse(where, "privileged (accès complet à la machine hôte)")
        service.pop("privileged", None)
        for key in FORBIDDEN_NAMESPACE_MODES:
            value = service.get(key)
            if value is None:
                continue
            text = str(value)
            if key == "network_mode" and text in ("none", "bridge", "default"):
                continue
            if text.startswith("service:") or (key == "ipc" and text in ("private",
                                                                         "shareable")):
                continue
            self.refuse(f"{where}.{key}", f"{text!r} (espace de noms de l'hôte ou d'un "
                                          "conteneur extérieur)")
        for key, reason in REFUSED_KEYS.items():
            if key in service and service[key] not in (None, False, [], {}):
                self.refuse(f"{where}.{key}", reason)
        security = service.get("security_opt") or []
        if any(_UNSAFE_SECURITY.search(str(opt)) for opt in security):
            self.refuse(f"{where}.security_opt", f"{security} (confinement désactivé)")
        self.volumes(where, service.get("volumes") or [])
        for source in service.get("volumes_from") or []:
            if str(source).startswith("container:"):
                self.refuse(f"{where}.volumes_from", f"{source} (conteneur extérieur)")
        self.env_files(where, service.get("env_file"))
        self.build(where, service.get("build"))
        extends = service.get("extends")
        if isinstance(extends, dict) and extends.get("file") and not _inside(
                self.project_dir, str(extends["file"])):
            self.refuse(f"{where}.extends", f"fichier {extends['file']} hors du projet")
        if service.get("ports"):
            service["ports"] = self.ports(where, service["ports"])
        return self.harden(where, service)

    def volumes(self, where: str, volumes: list[Any]) -> None:
        for volume in volumes:
            if isinstance(volume, dict):
                kind = volume.get("type", "volume")
                source = str(volume.get("source", ""))
                if kind == "bind" or (kind == "volume" and _is_path(source)):
                    if not _inside(self.project_dir, source):
                        self.refuse(f"{where}.volumes", f"montage de {source or '?'} "
                                    "(chemin de l'hôte hors du projet)")
                elif kind not in ("volume", "tmpfs"):
                    self.refuse(f"{where}.volumes", f"montage de type {kind}")
                continue
            text = str(volume)
            parts = text.split(":")
            if len(parts) == 1:
                continue  # anonymous volume: ``/data``
            source = parts[0]
            if _is_path(source) and not _inside(self.project_dir, source):
                self.refuse(f"{where}.volumes", f"montage de {source} "
                            "(chemin de l'hôte hors du projet)")

    def env_files(self, where: str, env_file: Any) -> None:
        items = env_file if isinstance(env_file, list) else [env_file] if env_file else []
        for item in items:
            path = str(item.get("path", "")) if isinstance(item, dict) else str(item)
            if not _inside(self.project_dir, path):
                self.refuse(f"{where}.env_file", f"{path} (fichier hors du projet)")

    def build(self, where: str, build: Any) -> None:
        if build is None:
            return
        spec = build if isinstance(build, dict) else {"context": build}
        context = str(spec.get("context", "."))
        if re.match(r"^[a-z][a-z0-9+.-]*://|^git@", context):
            self.refuse(f"{where}.build", f"contexte distant {context}")
        elif not _inside(self.project_dir, context):
            self.refuse(f"{where}.build", f"contexte {context} hors du projet")
        dockerfile = spec.get("dockerfile")
        if dockerfile and not _inside(posixpath.join(self.project_dir, context), str(dockerfile)):
            self.refuse(f"{where}.build.dockerfile", f"{dockerfile} hors du contexte")
        if str(spec.get("network", "")) == "host":
            self.refuse(f"{where}.build.network", "réseau de l'hôte pendant le build")
        for key in ("privileged", "entitlements", "ssh", "secrets", "additional_contexts",
                    "ulimits", "cache_from", "cache_to", "extra_hosts", "isolation"):
            if spec.get(key):
                self.refuse(f"{where}.build.{key}", "option de build non autorisée")

    def ports(self, where: str, ports: list[Any]) -> list[Any]:
        out: list[Any] = []
        for port in ports:
            if isinstance(port, dict):
                target = port.get("target")
                if target is None:
                    self.refuse(f"{where}.ports", f"{port} (port du conteneur manquant)")
                    continue
                rewritten: dict[str, Any] = {"target": target, "host_ip": "127.0.0.1"}
                if port.get("protocol"):
                    rewritten["protocol"] = port["protocol"]
                out.append(rewritten)
                self.rewrite(f"{where}.ports", f"{port} → 127.0.0.1:<éphémère>:{target}")
                continue
            found = _PORT.match(str(port).strip())
            if found is None:
                self.refuse(f"{where}.ports", f"{port!r} illisible")
                continue
            target = found.group("target")
            protocol = found.group("protocol")
            new = f"127.0.0.1::{target}" + (f"/{protocol}" if protocol else "")
            out.append(new)
            self.rewrite(f"{where}.ports", f"{port} → 127.0.0.1:<éphémère>:{target}")
        return out

    def harden(self, where: str, service: dict[str, Any]) -> dict[str, Any]:
        for key in REPLACED_KEYS:
            if key in service:
                value = service.pop(key)
                if key not in ("pull_policy", "restart"):
                    self.rewrite(where, f"{key} remplacé ({value!r})")
        service.update(self.limits)
        service["security_opt"] = ["no-new-privileges:true"]
        service["cap_drop"] = list(DROPPED_CAPABILITIES)
        service["restart"] = "no"
        service["logging"] = {"driver": "json-file", "options": {"max-size": "1m"}}
        service["labels"] = {**_labels(service.get("labels")), **self.labels}
        return service

    # --- top level --------------------------------------------------------------------

    def top_volumes(self, volumes: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, spec in volumes.items():
            spec = dict(spec) if isinstance(spec, dict) else {}
            if spec.get("external"):
                self.refuse(f"volumes.{name}", "volume externe (données d'un autre projet)")
            if spec.get("driver") not in (None, "local") or spec.get("driver_opts"):
                self.refuse(f"volumes.{name}", "pilote ou options de volume (montage de l'hôte)")
            spec.pop("name", None)
            spec["labels"] = {**_labels(spec.get("labels")), **self.labels}
            out[name] = spec
        return out

    def top_networks(self, networks: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, spec in networks.items():
            spec = dict(spec) if isinstance(spec, dict) else {}
            if spec.get("external"):
                self.refuse(f"networks.{name}", "réseau externe")
            if spec.get("driver") not in (None, "bridge") or spec.get("driver_opts"):
                self.refuse(f"networks.{name}", f"pilote réseau {spec.get('driver')!r}")
            spec.pop("name", None)
            spec["labels"] = {**_labels(spec.get("labels")), **self.labels}
            out[name] = spec
        out.setdefault("default", {"labels": dict(self.labels)})
        return out

    def files(self, kind: str, items: dict[str, Any]) -> None:
        for name, spec in items.items():
            if not isinstance(spec, dict):
                continue
            if spec.get("external") or spec.get("environment"):
                self.refuse(f"{kind}.{name}", "lu depuis l'environnement ou l'hôte du correcteur")
            if spec.get("file") and not _inside(self.project_dir, str(spec["file"])):
                self.refuse(f"{kind}.{name}", f"fichier {spec['file']} hors du projet")


def _labels(labels: Any) -> dict[str, str]:
    if isinstance(labels, dict):
        return {str(k): "" if v is None else str(v) for k, v in labels.items()}
    if isinstance(labels, list):
        pairs = (str(item).split("=", 1) for item in labels)
        return {p[0]: p[1] if len(p) > 1 else "" for p in pairs}
    return {}


def load_compose(text: str) -> dict[str, Any] | str:
    """The compose document, or a message saying why it cannot be read."""
    try:
        document = yaml.load(text, Loader=_ComposeLoader)
    except yaml.YAMLError as exc:
        return f"YAML illisible : {str(exc).splitlines()[0]}"
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict) \
            or not document["services"]:
        return "pas de section services"
    return document


def check_compose(text: str, *, project_dir: str = ".", labels: Mapping[str, str] | None = None,
                  limits: Mapping[str, Any] | None = None) -> PolicyResult:
    """Check and sanitize a compose file.

    ``project_dir`` is the compose file's folder relative to the build context
    root (paths must stay inside that root); ``labels`` and ``limits`` (compose
    service keys such as ``mem_limit``) are added to every service.
    """
    document = load_compose(text)
    if isinstance(document, str):
        return PolicyResult(None, error=document)
    checker = _Checker(posixpath.normpath(project_dir or "."), labels or {}, limits or {})
    sanitized: dict[str, Any] = {}
    for key, value in document.items():
        if key in ("version", "name", "x-grader"):
            continue
        if key == "include":
            for item in value if isinstance(value, list) else [value]:
                path = item.get("path") if isinstance(item, dict) else item
                for one in path if isinstance(path, list) else [path]:
                    if not _inside(checker.project_dir, str(one)):
                        checker.refuse("include", f"{one} hors du projet")
            sanitized[key] = value
        elif key == "services":
            sanitized[key] = {}
            for name, service in value.items():
                if not isinstance(service, dict):
                    checker.refuse(f"services.{name}", "service illisible")
                    continue
                sanitized[key][str(name)] = checker.service(str(name), dict(service))
        elif key == "volumes" and isinstance(value, dict):
            sanitized[key] = checker.top_volumes(value)
        elif key == "networks" and isinstance(value, dict):
            sanitized[key] = checker.top_networks(value)
        elif key in ("secrets", "configs") and isinstance(value, dict):
            checker.files(key, value)
            sanitized[key] = value
        else:
            sanitized[key] = value
    sanitized.setdefault("networks", checker.top_networks({}))
    return PolicyResult(sanitized, tuple(dict.fromkeys(checker.refused)),
                        tuple(dict.fromkeys(checker.rewritten)))


def dump_compose(document: Mapping[str, Any]) -> str:
    """The sanitized document as YAML for ``docker compose -f``."""
    return yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True)
