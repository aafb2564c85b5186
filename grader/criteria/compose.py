"""The ``compose`` criterion kind (K501): checks on one service of a Compose file.

The file is read with a safe YAML loader that resolves plain scalars the way
Docker Compose does (YAML 1.2): ``22:22`` stays the string ``"22:22"`` instead of
YAML 1.1's base-60 integer 1342, and ``yes``/``no``/``on``/``off`` stay strings.
Nothing is started here: running the stack is the sandbox's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator

from grader.criteria.base import (
    Context,
    Criterion,
    Params,
    best_candidate,
    no_code_found,
    report_line,
    valid_pattern,
    where,
)
from grader.models import CodeKind, Evidence, FileKind, Judgement

_MAX_TEXT = 100_000
_SKELETON_LINES = 3
"""A candidate with blanks (``_______``) on this many lines is the statement's skeleton."""
_PLACEHOLDER = re.compile(r"(?<![A-Za-z0-9])_{4,}(?![A-Za-z0-9])")
_TYPOGRAPHY = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'",
                             "\u00a0": " ", "\t": "  "})
_TOP_LEVEL_KEYS = frozenset({"version", "name", "volumes", "networks", "configs", "secrets",
                             "include", "services"})
_SETTINGS = frozenset({"depends_on", "environment", "labels", "networks", "volumes", "ports",
                       "build", "healthcheck", "deploy", "extra_hosts", "links", "secrets",
                       "configs", "logging"})
"""Service settings whose keys name other things (services, networks): not searched."""
_VOLUME_MODE = re.compile(r"^(?:ro|rw|z|Z|cached|delegated|consistent|nocopy)"
                          r"(?:,(?:ro|rw|z|Z|cached|delegated|consistent|nocopy))*$")
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ComposeLoader(_Base):
    """``yaml.safe_load`` with YAML 1.2 booleans and numbers, as Compose reads them."""


_ComposeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_ComposeLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_ComposeLoader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)"
                     r"|[-+]?0x[0-9a-fA-F_]+)$"), list("-+0123456789"))
_ComposeLoader.add_implicit_resolver(
    _FLOAT, re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"
                       r"|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
                       r"|\.(?:nan|NaN|NAN))$"), list("-+0123456789."))


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _relative(path: str) -> str:
    path = re.sub(r"^(?:\./)+", "", path.strip().strip("\"'"))
    return (path.rstrip("/") or "/") if path.startswith("/") else (path.rstrip("/") or ".")


class ComposeParams(Params):
    check: Literal["service", "image", "environment", "ports", "build", "depends_on",
                   "volume", "env_file"]
    service: str
    pattern: str | None = None
    variables: dict[str, str | None] | None = None
    container: int | None = Field(None, ge=1, le=65535)
    host: int | None = Field(None, ge=1, le=65535)
    context: str | None = None
    on: tuple[str, ...] | None = None
    target: str | None = None
    path: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        """YAML 1.1 reads an unquoted ``on:`` key as ``True``: take it back."""
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if key is True else key): value for key, value in data.items()}
        return data

    @field_validator("service")
    @classmethod
    def _service(cls, value: str) -> str:
        if not _SERVICE_NAME.match(value):
            raise ValueError(f"service {value!r} is not a Compose service name; use letters, "
                             "digits, '-', '_' or '.', e.g. 'db'")
        return value

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        return valid_pattern(value, r"escape dots as '\.', e.g. 'postgres:16(\..*)?'")

    @field_validator("variables", mode="before")
    @classmethod
    def _variables(cls, value: Any) -> Any:
        if isinstance(value, dict):
            if not value:
                raise ValueError("variables must name at least one variable, e.g. "
                                 "{POSTGRES_USER: demo}")
            return {str(k): None if v is None else _scalar(v) for k, v in value.items()}
        return value

    @field_validator("target")
    @classmethod
    def _target(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError(f"target {value!r} must be an absolute container path, "
                             "e.g. /var/lib/postgresql/data")
        return value

    @field_validator("on")
    @classmethod
    def _on(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and not value:
            raise ValueError("on must list at least one service, e.g. [db]")
        return value

    @model_validator(mode="after")
    def _per_check(self) -> ComposeParams:
        needs = {"image": ("pattern",), "environment": ("variables",), "ports": ("container",),
                 "build": ("context",), "depends_on": ("on",), "volume": ("target",)}
        allowed = {**needs, "ports": ("container", "host"), "env_file": ("path",)}
        for key in needs.get(self.check, ()):
            if getattr(self, key) is None:
                raise ValueError(f"check {self.check!r} needs {key!r}; add it")
        for key in ("pattern", "variables", "container", "host", "context", "on", "target",
                    "path"):
            if key not in allowed.get(self.check, ()) and getattr(self, key) is not None:
                raise ValueError(f"{key!r} does not apply to check {self.check!r}; remove it")
        return self


class Compose(Criterion):
    """Checks one service of the student's Compose file.

    What it does:
        Reads the Compose file (the answer's blocks, then the rest of the report,
        then the submission's files; a flattened file as the parser rebuilt it) with
        a safe YAML loader and checks the service named ``service``: ``service``
        (it exists), ``image`` (fully matches ``pattern``), ``environment``
        (``variables``, map or ``- KEY=value`` list; ``None`` = any value; partial =
        share present), ``ports`` (a mapping to ``container``, from ``host`` when
        given; short, quoted or not, long syntax, with an IP), ``build``
        (``context``, ``./api`` = ``api`` = ``{context: ./api}``), ``depends_on``
        (``on``, list or map form), ``volume`` (a volume or bind mounted at
        ``target``) and ``env_file`` (``path``, or any). ``version:`` may be there or
        not, and services may sit under ``services:`` or (Compose v1) at the top.
        A service nested under another one is a miss that says so. The best file
        found counts; the statement's skeleton (``"____:5432"``) earns nothing.

    Why:
        Compose files are graded by their meaning: quoting, list or map forms and
        YAML's base-60 trap (``22:22`` read as 1342 by YAML 1.1) must not cost points,
        but an indentation slip that moves a service inside another one must.

    Example::

        - kind: compose
          check: ports
          service: db
          container: 5432
          missed: "Le service db doit publier le port 5432."
        - kind: compose
          check: depends_on
          service: api
          "on": [db]          # quoted: YAML 1.1 reads a bare on as true
          missed: "api doit dépendre de db (depends_on)."
    """

    kind = "compose"
    code = "K501"
    Params = ComposeParams
    summary = "compose file read as YAML: services, image, environment, ports, build, depends_on"

    @classmethod
    def judge(cls, params: ComposeParams, ctx: Context) -> Judgement:
        mentions = re.compile(rf"^\s*[\"']?(?:services|{re.escape(params.service)})[\"']?\s*:",
                              re.MULTILINE)
        best = best_candidate(
            (_judge_text(params, text, _Where(ctx, evidence, text)), text)
            for text, evidence in ctx.code(CodeKind.COMPOSE, CodeKind.YAML,
                                           file_kinds=(FileKind.COMPOSE, FileKind.YAML))
            if len(text) <= _MAX_TEXT and mentions.search(text))
        return no_code_found("fichier Compose") if best is None else best[0]


@dataclass(frozen=True, slots=True)
class _Where:
    """Where a candidate file comes from, to point evidence at its lines."""

    ctx: Context
    base: Evidence
    text: str

    def line(self, service: str, key: str | None = None) -> int | None:
        """0-based line of ``service:`` (or of its ``key:``) in the candidate."""
        lines = self.text.split("\n")
        head = re.compile(rf"^(\s*)[\"']?{re.escape(service)}[\"']?\s*:")
        heads = [(len(m.group(1)), index) for index, line in enumerate(lines)
                 if (m := head.match(line)) is not None]
        if not heads:
            return None
        indent, index = min(heads)  # the service itself, not ``depends_on: {db: …}``
        if key is None:
            return index
        wanted = re.compile(rf"^\s*(?:-\s*)?[\"']?{re.escape(key)}[\"']?\s*:")
        for number in range(index + 1, len(lines)):
            below = lines[number]
            if below.strip() and not below.lstrip().startswith("#") and \
                    len(below) - len(below.lstrip()) <= indent:
                break
            if wanted.match(below):
                return number
        return index

    def at(self, index: int | None) -> Evidence:
        lines = self.text.split("\n")
        if index is None or not 0 <= index < len(lines):
            return self.base
        snippet = lines[index].strip()[:120]
        if self.base.source.startswith("file:"):
            return Evidence(snippet, self.base.source, index + 1)
        line = self.base.line
        if line is not None:
            line = report_line(self.ctx.report.text, line, lines, index) or line
        return Evidence(snippet, self.base.source, line)

    def judged(self, fraction: float, index: int | None, detail: str | None) -> Judgement:
        evidence = self.at(index)
        if fraction >= 1:
            found = None if evidence.source == "answer" else f"trouvé {where(evidence)}"
            detail = "; ".join(part for part in (detail, found) if part) or None
        else:
            detail = f"{detail}, {where(evidence)}"
        return Judgement(fraction, (evidence,), detail)




@lru_cache(maxsize=256)
def _load(text: str) -> tuple[object, str | None]:
    """Parsed YAML, or ``None`` and the parser's message; tabs and curly quotes are
    repaired when the text does not parse as written."""
    error = ""
    for attempt in (text, text.translate(_TYPOGRAPHY)):
        try:
            documents = list(yaml.load_all(attempt, Loader=_ComposeLoader))
            # Several files pasted as one (``---``): the first with services counts.
            return next((d for d in documents if isinstance(d, dict) and "services" in d),
                        documents[0] if documents else None), None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or "syntaxe invalide"
            error = f"{problem} (ligne {mark.line + 1})" if mark is not None else str(problem)
        except (RecursionError, MemoryError, ValueError, TypeError):
            error = "document trop imbriqué ou illisible"
    return None, error


def _services(data: object) -> tuple[dict[str, object] | None, str | None]:
    if not isinstance(data, dict):
        return None, "le fichier n'est pas un mapping YAML (services: …)"
    if "services" in data:
        services = data["services"]
        if isinstance(services, dict) and services:
            return {str(k): v for k, v in services.items()}, None
        return None, "services: est vide ou mal indenté (les services doivent être en retrait " \
            "sous services:)"
    # Compose v1: the services are the top-level mappings.
    top: dict[str, object] = {
        str(k): v for k, v in data.items()
        if isinstance(v, dict) and str(k) not in _TOP_LEVEL_KEYS and not str(k).startswith("x-")}
    return (top or None), (None if top else "aucune clé services:")


def _nested(data: object, name: str) -> tuple[str, ...] | None:
    """Path to a mapping key ``name`` misplaced in the document (at the top, or inside
    another service), not counting service settings such as ``depends_on: {name: …}``."""
    seen: set[int] = set()
    stack: list[tuple[object, tuple[str, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen or len(path) > 8:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                if str(key) in _SETTINGS:
                    continue
                if str(key) == name:
                    return (*path, str(key))
                stack.append((value, (*path, str(key))))
        elif isinstance(node, list):
            stack.extend((item, path) for item in node)
    return None


def _judge_text(params: ComposeParams, text: str, at: _Where) -> Judgement:
    if sum(1 for line in text.split("\n") if _PLACEHOLDER.search(line)) >= _SKELETON_LINES:
        return at.judged(0.0, None, "le squelette de l'énoncé n'est pas complété (blancs ____)")
    data, error = _load(text)
    if error is not None:
        return at.judged(0.0, None, f"YAML invalide : {error}")
    services, problem = _services(data)
    name = params.service
    service = services.get(name, _MISSING) if services is not None else _MISSING
    if service is _MISSING:
        path = _nested(data, name)
        if path is not None and len(path) > 1:
            return at.judged(0.0, at.line(name), f"le service « {name} » est imbriqué sous "
                             f"{'.'.join(path[:-1])} : il doit être directement sous services:, "
                             "au même niveau que les autres services (indentation)")
        if path is not None:
            return at.judged(0.0, at.line(name), f"« {name} » est au premier niveau du fichier, "
                             "hors de services: (indentation)")
        listed = ", ".join(services) if services else ""
        detail = problem or f"aucun service « {name} »" + (f" (services : {listed})"
                                                           if listed else "")
        return at.judged(0.0, None, detail)
    if params.check == "service":
        if isinstance(service, dict) and service:
            return at.judged(1.0, at.line(name), None)
        return at.judged(0.5, at.line(name), f"le service « {name} » est déclaré mais vide")
    if not isinstance(service, dict):
        return at.judged(0.0, at.line(name), f"le service « {name} » est vide ou mal indenté")
    return _CHECKS[params.check](params, service, at)


_MISSING = object()


def _check_image(params: ComposeParams, service: dict[Any, Any], at: _Where) -> Judgement:
    name, pattern = params.service, params.pattern or ""
    value = service.get("image")
    line = at.line(name, "image")
    if value is None:
        built = " (il est construit avec build:)" if "build" in service else ""
        return at.judged(0.0, at.line(name), f"pas d'image pour « {name} »{built}")
    image = re.sub(r"^(?:docker\.io/)?(?:library/)?", "", _scalar(value)).split("@", 1)[0]
    if re.fullmatch(pattern, image, re.IGNORECASE):
        return at.judged(1.0, line, None)
    return at.judged(0.0, line, f"image « {image} » au lieu de {pattern}")


def _environment(value: object) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    for item in items:
        if isinstance(item, dict):
            found.update((str(k).strip(), None if v is None else _scalar(v))
                         for k, v in item.items())
        elif isinstance(item, str):
            key, sep, val = item.partition("=")
            found[key.strip()] = val.strip().strip("\"'") if sep else None
    return found


def _check_environment(params: ComposeParams, service: dict[Any, Any],
                       at: _Where) -> Judgement:
    wanted = params.variables or {}
    env = _environment(service.get("environment"))
    score = 0.0
    problems: list[str] = []
    for key, value in wanted.items():
        actual = env.get(key)
        if key not in env or (actual is not None and _PLACEHOLDER.search(actual)):
            problems.append(f"{key} absent")
        elif value is None or actual == value:
            score += 1
        else:
            score += 0.5
            said = "sans valeur" if actual is None else f"vaut « {actual} »"
            problems.append(f"{key} {said} au lieu de « {value} »")
    line = at.line(params.service, "environment")
    if not problems:
        return at.judged(1.0, line, None)
    if "env_file" in service and any(p.endswith("absent") for p in problems):
        problems.append("(env_file non vérifié)")
    return at.judged(score / len(wanted), line if env else at.line(params.service),
                     f"« {params.service} » : " + "; ".join(problems))


def _span(text: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or match.group(1))


def _port(item: object) -> tuple[str | None, str | None]:
    """(published, target) of a ports entry; ``None`` published = any host port."""
    if isinstance(item, dict):
        published = item.get("published")
        return (None if published is None else _scalar(published)), _scalar(item.get("target"))
    if isinstance(item, bool) or not isinstance(item, str | int):
        return None, None
    text = _scalar(item).split("/", 1)[0]
    if text.startswith("["):
        text = text.split("]:", 1)[-1]
    parts = text.split(":")
    if len(parts) == 1:
        return None, parts[0]
    return parts[-2], parts[-1]


def _within(text: str | None, port: int) -> bool:
    span = _span(text) if text is not None else None
    return span is not None and span[0] <= port <= span[1]


def _check_ports(params: ComposeParams, service: dict[Any, Any], at: _Where) -> Judgement:
    container, host, name = params.container or 0, params.host, params.service
    raw = service.get("ports")
    items = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    line = at.line(name, "ports")
    best: tuple[float, str] | None = None
    for item in items:
        published, target = _port(item)
        if not _within(target, container):
            if _within(published, container) and _span(target or "") is not None:
                found = (0.0, f"{_scalar(item)} publie le port {container} de l'hôte vers un "
                         "autre port du conteneur : l'ordre est HÔTE:CONTENEUR")
            else:
                continue
        elif published and _span(published) is None:
            found = (0.0, f"{_scalar(item)} : port hôte non rempli")
        elif host is None or _within(published, host):
            return at.judged(1.0, line, None)
        elif not published:
            found = (0.5, f"{_scalar(item)} : port hôte non fixé (attendu {host})")
        else:
            found = (0.5, f"{_scalar(item)} : publié sur le port hôte {published} au lieu de "
                     f"{host}")
        if best is None or found[0] > best[0]:
            best = found
    if best is not None:
        return at.judged(best[0], line, f"« {name} » : {best[1]}")
    exposed = service.get("expose")
    if isinstance(exposed, list) and any(_within(_scalar(e), container) for e in exposed):
        return at.judged(0.0, at.line(name, "expose"), f"« {name} » : expose ne publie pas le "
                         f"port {container} sur l'hôte (il faut ports:)")
    return at.judged(0.0, line if items else at.line(name),
                     f"« {name} » ne publie pas le port {container} du conteneur (ports:)")


def _check_build(params: ComposeParams, service: dict[Any, Any], at: _Where) -> Judgement:
    name, want = params.service, _relative(params.context or ".")
    value = service.get("build")
    line = at.line(name, "build")
    if value is None:
        uses = " (il utilise une image)" if "image" in service else ""
        return at.judged(0.0, at.line(name), f"pas de build: pour « {name} »{uses}")
    if isinstance(value, dict):
        context = _relative(_scalar(value.get("context") or "."))
        dockerfile = _scalar(value.get("dockerfile") or "")
    else:
        context, dockerfile = _relative(_scalar(value)), ""
    if context == want:
        return at.judged(1.0, line, None)
    if dockerfile and _relative(f"{context}/{dockerfile}").startswith(want + "/"):
        return at.judged(0.5, line, f"« {name} » : contexte {context} au lieu de {want} "
                         f"(le Dockerfile {dockerfile} est bien dans {want})")
    if _PLACEHOLDER.search(context):
        return at.judged(0.0, line, f"« {name} » : build: non rempli")
    return at.judged(0.0, line, f"« {name} » : build: {context} au lieu de {want}")


def _check_depends_on(params: ComposeParams, service: dict[Any, Any], at: _Where) -> Judgement:
    wanted = params.on or ()
    value = service.get("depends_on")
    if isinstance(value, dict):
        names = {str(k) for k in value}
    elif isinstance(value, list):
        names = {_scalar(v) for v in value if not isinstance(v, dict | list)}
    elif value is not None:
        names = {_scalar(value)}
    else:
        names = set()
    missing = [w for w in wanted if w not in names]
    line = at.line(params.service, "depends_on")
    if not missing:
        return at.judged(1.0, line, None)
    share = (len(wanted) - len(missing)) / len(wanted)
    return at.judged(share, line if value is not None else at.line(params.service),
                     f"« {params.service} » ne dépend pas de {', '.join(missing)} (depends_on)")


def _volume_target(item: object) -> str | None:
    if isinstance(item, dict):
        target = item.get("target")
        return None if target is None else _relative(_scalar(target))
    if not isinstance(item, str):
        return None
    parts = item.strip().split(":")
    if len(parts) > 1 and _VOLUME_MODE.match(parts[-1]):
        parts = parts[:-1]
    return _relative(parts[-1])


def _check_volume(params: ComposeParams, service: dict[Any, Any], at: _Where) -> Judgement:
    want = _relative(params.target or "/")
    raw = service.get("volumes")
    items = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    targets = [t for t in (_volume_target(item) for item in items) if t]
    line = at.line(params.service, "volumes")
    if want in targets:
        return at.judged(1.0, line, None)
    if targets:
        return at.judged(0.0, line, f"« {params.service} » monte {', '.join(targets)} et non "
                         f"{want}")
    return at.judged(0.0, at.line(params.service), f"« {params.service} » n'a pas de volume "
                     f"monté sur {want}")


def _check_env_file(params: ComposeParams, service: dict[Any, Any], at: _Where) -> Judgement:
    raw = service.get("env_file")
    items = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    paths = [_relative(_scalar(i.get("path", "")) if isinstance(i, dict) else _scalar(i))
             for i in items]
    line = at.line(params.service, "env_file")
    if paths and params.path is None:
        return at.judged(1.0, line, None)
    want = _relative(params.path) if params.path is not None else ""
    if want in paths:
        return at.judged(1.0, line, None)
    if any(p.rsplit("/", 1)[-1] == want.rsplit("/", 1)[-1] for p in paths):
        return at.judged(0.5, line, f"« {params.service} » : env_file {', '.join(paths)} au "
                         f"lieu de {want}")
    wanted = f" {want}" if params.path is not None else ""
    return at.judged(0.0, line if paths else at.line(params.service),
                     f"« {params.service} » n'a pas d'env_file{wanted}")


_CHECKS = {
    "image": _check_image,
    "environment": _check_environment,
    "ports": _check_ports,
    "build": _check_build,
    "depends_on": _check_depends_on,
    "volume": _check_volume,
    "env_file": _check_env_file,
}
