"""The ``dockerfile`` criterion kind (D401): checks on a Dockerfile, instruction by instruction.

Dockerfiles are read with ``dockerfile_parse`` from memory (never from the
current directory) and never built here. The ``base_image`` check also runs
hadolint on the Dockerfile and attaches its findings as advice, which costs no
points.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from contextlib import suppress
from dataclasses import dataclass, replace
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from dockerfile_parse import DockerfileParser
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
from grader.models import CodeKind, Evidence, FileKind, Judgement, SourceFile

_INSTRUCTIONS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"})
_MAX_TEXT = 100_000
_SKELETON_LINES = 3
"""A candidate with blanks (``________``) on this many lines is the statement's skeleton."""
_PLACEHOLDER = re.compile(r"(?<![A-Za-z0-9])_{4,}(?![A-Za-z0-9])")
_TYPOGRAPHY = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'",
                             "\u00a0": " "})
_PIP = re.compile(r"pip(?:3(?:\.\d+)?)?")
_PYTHON = re.compile(r"python(?:3(?:\.\d+)?)?")
_SHELLS = frozenset({"sh", "bash", "/bin/sh", "/bin/bash"})
_PIP_VALUE_OPTIONS = frozenset({
    "-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
    "-t", "--target", "--prefix", "--root", "--platform", "--python-version", "-e",
    "--editable", "--trusted-host", "--src", "--cache-dir", "--progress-bar"})
_ALL_INTERFACES = frozenset({"0.0.0.0", "::", "[::]"})
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_DEFAULTS = {"uvicorn": ("127.0.0.1", 8000), "gunicorn": ("127.0.0.1", 8000),
             "flask": ("127.0.0.1", 5000), "hypercorn": ("127.0.0.1", 8000)}
"""Host and port a server listens on when the command does not say."""
_HADOLINT_TIMEOUT = 10.0
_HADOLINT_CACHE: dict[str, tuple[str, ...]] = {}


@dataclass(frozen=True, slots=True)
class _Instruction:
    name: str
    value: str
    line: int
    """0-based first line in the Dockerfile's text."""
    last: int


def _package(spec: str) -> str | None:
    """Normalised distribution name of a requirement (``FastAPI==0.110`` → ``fastapi``)."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec.strip().strip("\"'"))
    return re.sub(r"[-_.]+", "-", match.group(0)).lower() if match else None


class DockerfileParams(Params):
    check: Literal["base_image", "workdir", "copy", "pip_install", "cmd"]
    pattern: str | None = None
    path: str | None = None
    source: str | None = None
    packages: tuple[str, ...] | None = None
    program: str | None = None
    args: tuple[str, ...] = ()
    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        return valid_pattern(value, r"escape dots as '\.', e.g. 'python:3\.\d+(-slim)?'")

    @field_validator("packages", "args", mode="before")
    @classmethod
    def _split_words(cls, value: Any) -> Any:
        """``packages: fastapi uvicorn`` means ``[fastapi, uvicorn]``."""
        return value.split() if isinstance(value, str) else value

    @field_validator("packages")
    @classmethod
    def _packages(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        names = tuple(_package(item) for item in value)
        if not names or any(name is None for name in names):
            raise ValueError("packages must be a non-empty list of package names, "
                             "e.g. [fastapi, uvicorn]")
        return tuple(name for name in names if name is not None)

    @model_validator(mode="after")
    def _per_check(self) -> DockerfileParams:
        needs = {"base_image": ("pattern",), "workdir": ("path",), "copy": ("source",),
                 "pip_install": ("packages",), "cmd": ("program",)}
        allowed = {"cmd": ("program", "args", "host", "port")}.get(self.check, needs[self.check])
        for key in needs[self.check]:
            if getattr(self, key) is None:
                raise ValueError(f"check {self.check!r} needs {key!r}; add it")
        for key in ("pattern", "path", "source", "packages", "program", "host", "port", "args"):
            if key not in allowed and getattr(self, key) not in (None, ()):
                raise ValueError(f"{key!r} does not apply to check {self.check!r}; remove it")
        return self


class Dockerfile(Criterion):
    """Checks one instruction of the student's Dockerfile.

    What it does:
        Reads the Dockerfile (the answer's blocks, then the rest of the report, then
        the submission's Dockerfiles) with ``dockerfile_parse`` and checks, per
        ``check``: ``base_image`` (a ``FROM`` whose image fully matches ``pattern``),
        ``workdir`` (``WORKDIR path``; another directory earns half), ``copy`` (a
        ``COPY``/``ADD`` bringing ``source`` in, ``COPY . .`` included),
        ``pip_install`` (``pip``/``pip3``/``python -m pip install`` of ``packages``,
        ``-r requirements.txt`` read from the submission; partial = share found) and
        ``cmd`` (``CMD``/``ENTRYPOINT``, exec or shell form, running ``program`` with
        ``args``, ``host`` and ``port``; the right program with a wrong or missing
        host or port earns half). The best Dockerfile found counts; the statement's
        skeleton (``FROM ____________``) earns nothing. ``base_image`` also attaches
        hadolint's findings as advice when hadolint is installed.

    Why:
        The Dockerfile is graded by what it does, whatever its form: ``python -m
        uvicorn`` is ``uvicorn`` and ``--host=0.0.0.0`` is ``--host 0.0.0.0``; but an
        API listening on 127.0.0.1 cannot be reached through ``-p 8000:8000``.

    Example::

        - kind: dockerfile
          check: cmd
          program: uvicorn
          args: ["app:app"]
          host: 0.0.0.0
          port: 8000
          missed: "CMD doit lancer uvicorn app:app --host 0.0.0.0 --port 8000."
    """

    kind = "dockerfile"
    code = "D401"
    Params = DockerfileParams
    summary = "Dockerfile checked instruction by instruction: FROM, WORKDIR, COPY, pip install, CMD"

    @classmethod
    def judge(cls, params: DockerfileParams, ctx: Context) -> Judgement:
        best = best_candidate(
            (_judge_text(params, _Where(ctx, evidence, text)), text)
            for text, evidence in ctx.code(CodeKind.DOCKERFILE, file_kinds=(FileKind.DOCKERFILE,))
            if len(text) <= _MAX_TEXT)
        if best is None:
            return no_code_found("Dockerfile")
        judgement, text = best
        if params.check == "base_image" and not _skeleton(text) and _parse(text):
            judgement = replace(judgement, advice=_hadolint(_lintable(text)))
        return judgement


def _judge_text(params: DockerfileParams, at: _Where) -> Judgement:
    if _skeleton(at.text):
        return at.judged(0.0, None, "le squelette de l'énoncé n'est pas complété "
                         "(blancs ____________)")
    return _CHECKS[params.check](params, _parse(at.text), at)


@dataclass(frozen=True, slots=True)
class _Where:
    """Where a candidate Dockerfile comes from, to point evidence at its lines."""

    ctx: Context
    base: Evidence
    text: str

    def at(self, instruction: _Instruction | None) -> Evidence:
        if instruction is None:
            return self.base
        lines = self.text.replace("\r\n", "\n").split("\n")
        if not 0 <= instruction.line < len(lines):
            return self.base
        snippet = lines[instruction.line].strip()[:120]
        if self.base.source.startswith("file:"):
            return Evidence(snippet, self.base.source, instruction.line + 1)
        line = self.base.line
        if line is not None:
            line = report_line(self.ctx.report.text, line, lines, instruction.line) or line
        return Evidence(snippet, self.base.source, line)

    def met(self, instruction: _Instruction, note: str | None = None) -> Judgement:
        evidence = self.at(instruction)
        found = None if evidence.source == "answer" else f"trouvé {where(evidence)}"
        detail = "; ".join(part for part in (note, found) if part) or None
        return Judgement(1.0, (evidence,), detail)

    def judged(self, fraction: float, instruction: _Instruction | None, detail: str
               ) -> Judgement:
        evidence = self.at(instruction)
        return Judgement(fraction, (evidence,), f"{detail}, {where(evidence)}")




def _skeleton(text: str) -> bool:
    return sum(1 for line in text.splitlines() if _PLACEHOLDER.search(line)) >= _SKELETON_LINES


@lru_cache(maxsize=256)
def _parse(text: str) -> tuple[_Instruction, ...]:
    """The instructions of a Dockerfile; prose lines are dropped: unknown words
    (``Installer FastAPI``) and capitalised keywords (``Copy the file``), since
    Dockerfiles write keywords in upper (or, rarely, lower) case."""
    data = text.replace("\r\n", "\n").translate(_TYPOGRAPHY).encode("utf-8", "replace")
    try:
        structure = DockerfileParser(fileobj=io.BytesIO(data), env_replace=False).structure
    except (ValueError, TypeError, IndexError, KeyError, UnicodeError):
        return ()
    found: list[_Instruction] = []
    for item in structure:
        name = str(item.get("instruction", "")).upper()
        content = str(item.get("content", "")).split(None, 1)
        if name not in _INSTRUCTIONS or not content or not (
                content[0].isupper() or content[0].islower()):
            continue
        found.append(_Instruction(name, str(item.get("value", "")).strip(),
                                  int(item.get("startline", 0)), int(item.get("endline", 0))))
    return tuple(found)


def _words(value: str) -> tuple[list[str], bool]:
    """Arguments of an instruction, exec (JSON) or shell form; the flag says whether an
    exec form was written with invalid JSON (single quotes), which Docker runs as shell."""
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            try:
                parsed = ast.literal_eval(value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                parsed = None
            if isinstance(parsed, list) and all(isinstance(p, str) for p in parsed):
                return list(parsed), True
        else:
            if isinstance(parsed, list) and all(isinstance(p, str) for p in parsed):
                return list(parsed), False
    try:
        return shlex.split(value), False
    except ValueError:
        return value.split(), False


# --- checks ----------------------------------------------------------------------------


def _image(value: str) -> str:
    words = [w for w in value.split() if not w.startswith("--")]
    image = words[0] if words else ""
    image = re.sub(r"^(?:docker\.io/)?(?:library/)?", "", image)
    return image.split("@", 1)[0]


def _check_base_image(params: DockerfileParams, instructions: tuple[_Instruction, ...],
                      at: _Where) -> Judgement:
    pattern = params.pattern or ""
    froms = [i for i in instructions if i.name == "FROM"]
    for instruction in froms:
        if re.fullmatch(pattern, _image(instruction.value), re.IGNORECASE):
            return at.met(instruction)
    if froms:
        return at.judged(0.0, froms[0], f"l'image de base « {_image(froms[0].value)} » ne "
                         f"correspond pas à celle attendue ({pattern})")
    return at.judged(0.0, None, "aucune instruction FROM (image de base)")


def _dir(path: str) -> str:
    path = re.sub(r"/{2,}", "/", path.strip().strip("\"'"))
    return path.rstrip("/") or "/"


def _check_workdir(params: DockerfileParams, instructions: tuple[_Instruction, ...],
                   at: _Where) -> Judgement:
    want = _dir(params.path or "")
    workdirs = [i for i in instructions if i.name == "WORKDIR"]
    for instruction in workdirs:
        if _dir(instruction.value) == want:
            return at.met(instruction)
    if workdirs:
        return at.judged(0.5, workdirs[0], f"WORKDIR {workdirs[0].value} au lieu de {want}")
    return at.judged(0.0, None, f"aucune instruction WORKDIR (attendu : WORKDIR {want})")


def _relative(path: str) -> str:
    path = re.sub(r"^(?:\./)+", "", path.strip().strip("\"'"))
    return path.rstrip("/") if path not in ("", "/") else path


def _copies(source: str, want: str) -> bool:
    source = _relative(source)
    if source in ("", ".", "*"):
        return True
    name = PurePosixPath(want).name
    return (source == want or PurePosixPath(source).name == name
            or fnmatch(name, PurePosixPath(source).name) or want.startswith(source + "/"))


def _check_copy(params: DockerfileParams, instructions: tuple[_Instruction, ...],
                at: _Where) -> Judgement:
    want = _relative(params.source or "")
    copies = [i for i in instructions if i.name in ("COPY", "ADD")]
    for instruction in copies:
        words = [w for w in _words(instruction.value)[0] if not w.startswith("--")]
        sources = words[:-1] if len(words) >= 2 else words
        matched = [s for s in sources if _copies(s, want)]
        if not matched:
            continue
        if len(words) < 2:
            return at.judged(0.5, instruction, f"{instruction.name} {instruction.value} : "
                             "destination manquante")
        outside = any(s.startswith("../") for s in matched)
        note = "chemin hors du contexte de construction (../) : le build échouera" \
            if outside else None
        return at.met(instruction, note)
    if copies:
        return at.judged(0.0, copies[0], f"{copies[0].name} {copies[0].value} ne copie pas "
                         f"{want}")
    return at.judged(0.0, None, f"aucune instruction COPY de {want}")


def _pip_arguments(words: list[str]) -> list[str] | None:
    for index, word in enumerate(words):
        name = word.rsplit("/", 1)[-1]
        if _PIP.fullmatch(name) and words[index + 1:index + 2] == ["install"]:
            return words[index + 2:]
        if _PYTHON.fullmatch(name) and words[index + 1:index + 4] == ["-m", "pip", "install"]:
            return words[index + 4:]
    return None


def _installed(value: str) -> tuple[set[str], list[str]]:
    """Packages a ``RUN`` installs with pip, and the requirement files it reads."""
    packages: set[str] = set()
    files: list[str] = []
    words_all, _ = _words(value)
    command = " ".join(shlex.quote(w) for w in words_all) if value.startswith("[") else value
    for part in re.split(r"&&|\|\||[;|\n]", command):
        arguments = _pip_arguments(_words(part.strip())[0])
        if arguments is None:
            continue
        words = iter(arguments)
        for word in words:
            if word in ("-r", "--requirement"):
                files.append(next(words, ""))
            elif word.startswith("--requirement="):
                files.append(word.split("=", 1)[1])
            elif word.startswith("-r") and len(word) > 2:
                files.append(word[2:])
            elif word in _PIP_VALUE_OPTIONS:
                next(words, None)
            elif not word.startswith("-") and (name := _package(word)) is not None:
                packages.add(name)
    return packages, files


def _requirements(ctx: Context, path: str) -> set[str] | None:
    """Packages listed by the submission's requirements file ``path`` (``None``: absent)."""
    files = [s for s in ctx.sources if s.kind is FileKind.REQUIREMENTS]
    name = PurePosixPath(_relative(path)).name
    chosen: SourceFile | None = next(
        (f for f in files if PurePosixPath(f.path).name == name), files[0] if files else None)
    if chosen is None:
        return None
    names = set()
    for line in chosen.text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-") and (package := _package(line)) is not None:
            names.add(package)
    return names


def _check_pip_install(params: DockerfileParams, instructions: tuple[_Instruction, ...],
                       at: _Where) -> Judgement:
    want = params.packages or ()
    found: dict[str, _Instruction] = {}
    unverified: dict[str, _Instruction] = {}
    missing_files: list[str] = []
    pip_runs: list[_Instruction] = []
    for instruction in (i for i in instructions if i.name == "RUN"):
        packages, files = _installed(instruction.value)
        if packages or files:
            pip_runs.append(instruction)
        for path in files:
            listed = _requirements(at.ctx, path)
            if listed is None:
                missing_files.append(path)
                unverified.update((p, instruction) for p in want if p not in unverified)
            else:
                packages |= listed
        found.update((p, instruction) for p in want if p in packages and p not in found)
    share = sum(1.0 if p in found else 0.5 if p in unverified else 0.0 for p in want)
    fraction = share / len(want) if want else 0.0
    shown = next((found[p] for p in want if p in found), None) or next(
        iter(pip_runs), None)
    if fraction >= 1 and shown is not None:
        return at.met(shown)
    if not pip_runs:
        return at.judged(0.0, None, f"aucun RUN pip install {' '.join(want)}")
    missing = [p for p in want if p not in found]
    if missing_files:
        detail = (f"installe depuis {', '.join(missing_files)}, absent de la soumission : "
                  f"impossible de vérifier {', '.join(missing)}")
    else:
        detail = f"paquet(s) non installé(s) par pip : {', '.join(missing)}"
    return at.judged(fraction, shown, detail)


def _argv(instruction: _Instruction) -> tuple[list[str], bool]:
    words, bad_json = _words(instruction.value)
    if len(words) >= 3 and words[0] in _SHELLS and "-c" in words:
        words = _words(words[words.index("-c") + 1] if words.index("-c") + 1 < len(words)
                       else "")[0]
    return words, bad_json


def _program(words: list[str], program: str) -> tuple[str, list[str]]:
    """The program a command line runs and its arguments; ``python -m X`` runs ``X``;
    of ``cd /app && uvicorn …`` the part running ``program`` (else the last part)."""
    parts: list[list[str]] = [[]]
    for word in words:
        if word in ("&&", ";", "||"):
            parts.append([])
        else:
            parts[-1].append(word)
    found: list[tuple[str, list[str]]] = []
    for part in parts:
        while part and (part[0] == "exec" or ("=" in part[0] and not part[0].startswith("-"))):
            part = part[1:]
        if not part:
            continue
        name = part[0].rsplit("/", 1)[-1].lower()
        if _PYTHON.fullmatch(name) and part[1:2] == ["-m"] and len(part) > 2:
            found.append((part[2].lower(), part[3:]))
        else:
            found.append((name, part[1:]))
    for name, rest in found:
        if name == program:
            return name, rest
    return found[-1] if found else ("", [])


def _option(words: list[str], *names: str) -> str | None:
    for index, word in enumerate(words):
        for name in names:
            if word == name and index + 1 < len(words):
                return words[index + 1]
            if word.startswith(name + "="):
                return word.split("=", 1)[1]
    return None


def _listen(program: str, rest: list[str]) -> tuple[str | None, str | None, bool]:
    """Host and port the server listens on (its defaults when the command does not say),
    and whether the host was written."""
    host = _option(rest, "--host")
    port = _option(rest, "--port")
    bind = _option(rest, "--bind", "-b")
    if bind is not None and ":" in bind:
        host, port = bind.rsplit(":", 1)
    default_host, default_port = _DEFAULTS.get(program, (None, None))
    written = host is not None
    if port is None and default_port is not None:
        port = str(default_port)
    return (host if written else default_host), port, written


def _check_cmd(params: DockerfileParams, instructions: tuple[_Instruction, ...],
               at: _Where) -> Judgement:
    program = (params.program or "").lower()
    stages = [index for index, i in enumerate(instructions) if i.name == "FROM"]
    last = instructions[stages[-1]:] if stages else instructions
    cmd = next((i for i in reversed(last) if i.name == "CMD"), None)
    entrypoint = next((i for i in reversed(last) if i.name == "ENTRYPOINT"), None)
    shown = entrypoint or cmd
    if shown is None:
        run = next((i for i in instructions
                    if i.name == "RUN" and _program(_argv(i)[0], program)[0] == program), None)
        if run is not None:
            return at.judged(0.0, run, f"{program} est lancé par RUN, pendant la construction, "
                             "et non au démarrage du conteneur (CMD)")
        return at.judged(0.0, None, "aucune instruction CMD ni ENTRYPOINT")
    words, bad_json = _argv(shown)
    if entrypoint is not None and cmd is not None and entrypoint.value.startswith("["):
        words = words + _argv(cmd)[0]
        bad_json = bad_json or _argv(cmd)[1]
    name, rest = _program(words, program)
    if name != program:
        return at.judged(0.0, shown, f"le conteneur lance « {name or shown.value} » au lieu "
                         f"de {program}")
    problems = [f"argument {arg} absent" for arg in params.args if arg not in rest]
    host, port, written = _listen(name, rest)
    want = params.host
    if want is not None and host != want and not (want in _ALL_INTERFACES
                                                   and host in _ALL_INTERFACES):
        loopback = host is None or host in _LOOPBACK
        reach = (", l'API n'écoute alors qu'à l'intérieur du conteneur et reste injoignable "
                 "depuis l'extérieur, même avec -p" if want in _ALL_INTERFACES and loopback
                 else "")
        if written:
            problems.append(f"--host {host} au lieu de --host {want}{reach}")
        else:
            listens = f" : {name} écoute par défaut sur {host}" if host else ""
            problems.append(f"--host {want} absent{listens}{reach}")
    if params.port is not None and port != str(params.port):
        problems.append(f"--port {port} au lieu de --port {params.port}" if port is not None
                        else f"--port {params.port} absent")
    if bad_json:
        problems.append("forme exec avec des guillemets simples : JSON invalide, Docker "
                        "l'exécute comme une commande shell qui échoue")
    if problems:
        return at.judged(0.5, shown, "; ".join(problems))
    return at.met(shown)


_CHECKS = {
    "base_image": _check_base_image,
    "workdir": _check_workdir,
    "copy": _check_copy,
    "pip_install": _check_pip_install,
    "cmd": _check_cmd,
}


# --- hadolint --------------------------------------------------------------------------


def _lintable(text: str) -> str:
    """The Dockerfile with prose lines turned into comments (line numbers kept), so that
    hadolint lints the instructions instead of stopping at a parse error."""
    lines = text.replace("\r\n", "\n").translate(_TYPOGRAPHY).split("\n")
    keep = {n for i in _parse(text) for n in range(i.line, i.last + 1)}
    return "\n".join(line if n in keep or not line.strip() or line.lstrip().startswith("#")
                     else "# " + line for n, line in enumerate(lines))


@lru_cache(maxsize=1)
def _hadolint_path() -> str | None:
    found = shutil.which("hadolint")
    if found is None:
        beside = Path(sys.executable).parent / "hadolint"
        found = str(beside) if beside.is_file() else None
    return found


def _hadolint(text: str) -> tuple[str, ...]:
    """hadolint's findings as advice (``DL3013 ligne 4 : …``); nothing if it is missing or
    fails. Run once per distinct text (in this process, and in the shared store when
    ``share_lint_results`` set one), through stdin, no shell, with a time limit."""
    key = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
    if key in _HADOLINT_CACHE:
        return _HADOLINT_CACHE[key]
    advice: tuple[str, ...] | None = None
    executable = _hadolint_path()
    if executable is not None:
        shared = _SHARED
        tool = _tool_id(executable) if shared is not None else None
        if shared is not None and tool:
            advice = shared.get(key, tool)
        if advice is None:
            advice = _run_hadolint(executable, text)
            if advice is not None and shared is not None and tool:
                shared.put(key, tool, advice)
    advice = advice or ()
    if len(_HADOLINT_CACHE) >= 1024:
        _HADOLINT_CACHE.clear()
    _HADOLINT_CACHE[key] = advice
    return advice


HADOLINT_CONFIG = Path(__file__).with_name("hadolint.yaml")
"""The configuration hadolint is given (no rule ignored): without it, hadolint reads a
``.hadolint.yaml`` from the current folder or the user's home, and ``HADOLINT_*``
variables, so the same Dockerfile would get other advice depending on who grades, and
where."""


def _run_hadolint(executable: str, text: str) -> tuple[str, ...] | None:
    """The advice, or ``None`` when hadolint failed (a timeout, a crash, output that is not
    its JSON): a failure may pass next time, so it is not shared."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    try:
        completed = subprocess.run(
            [executable, "--config", str(HADOLINT_CONFIG), "--format", "json", "--no-fail",
             "-"], input=text.encode("utf-8", "replace"), capture_output=True,
            timeout=_HADOLINT_TIMEOUT, check=False, env=env)
        findings = json.loads(completed.stdout.decode("utf-8", "replace") or "[]")
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if not isinstance(findings, list):
        return None
    return tuple(f"{f.get('code')} ligne {f.get('line')} : {f.get('message')}"
                 for f in findings if isinstance(f, dict) and f.get("code") != "DL1000")


@lru_cache(maxsize=4)
def _tool_id(executable: str) -> str | None:
    """Which hadolint this is (its ``--version``, and where it is): another version gives
    other findings. ``None`` (nothing shared) when it does not say."""
    try:
        completed = subprocess.run([executable, "--version"], capture_output=True,
                                   timeout=_HADOLINT_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    version = completed.stdout.decode("utf-8", "replace").strip()
    return f"{version} ({executable})" if completed.returncode == 0 and version else None


class _SharedLints:
    """hadolint's findings in a SQLite table (``lint_cache``), by the text's SHA-256 and
    hadolint's identity; one short transaction per write, so that the batch's workers and
    its parent can use the same file at once."""

    def __init__(self, path: Path) -> None:
        # A cache: waiting long for the store's lock would cost more than linting.
        self._db = sqlite3.connect(path, timeout=2, isolation_level=None)
        self._db.execute(LINT_TABLE_SQL)

    def get(self, digest: str, tool: str) -> tuple[str, ...] | None:
        """The shared advice, or ``None`` (not there, or the store cannot be read now)."""
        try:
            row = self._db.execute("SELECT advice FROM lint_cache WHERE sha256=? AND tool=?",
                                   (digest, tool)).fetchone()
            return None if row is None else tuple(json.loads(row[0]))
        except (sqlite3.Error, ValueError, TypeError):
            return None

    def put(self, digest: str, tool: str, advice: tuple[str, ...]) -> None:
        """Share ``advice``; a store busy or unwritable now only means it is not shared."""
        with suppress(sqlite3.Error):
            self._db.execute("INSERT OR REPLACE INTO lint_cache VALUES (?, ?, ?)",
                             (digest, tool, json.dumps(list(advice), ensure_ascii=False)))


LINT_TABLE_SQL = ("CREATE TABLE IF NOT EXISTS lint_cache (sha256 TEXT NOT NULL, "
                  "tool TEXT NOT NULL, advice TEXT NOT NULL, PRIMARY KEY (sha256, tool))")
_SHARED: _SharedLints | None = None


def share_lint_results(path: Path | None) -> None:
    """Keep hadolint's findings in the SQLite file ``path`` too (a batch's results store):
    its workers then lint each distinct Dockerfile once between them, and a re-grade
    (after a rubric change) lints none again. ``None``: this process only. A process-wide
    setting, like hadolint itself; set by each batch worker when it starts."""
    global _SHARED
    _SHARED = None
    if path is not None:
        with suppress(sqlite3.Error):  # no store to share through: each process lints alone
            _SHARED = _SharedLints(path)
