"""Build-context assembly: which files the engine gets, and from where (no Docker here).

The submission's own files win: when the folder holds a Dockerfile, the
context is a copy of the folder (regular files only, bounded), as if the
student ran ``docker build`` in their repository. What is missing is taken
from the code written in the report, in the layout the lab asks for
(``api/app.py``, ``api/Dockerfile``, ``docker-compose.yml`` at the root), so
that a report-only submission can still be built. The assembled context
records where each file came from; the sheet shows it.

Report code is chosen by shape, not by question id (no lab is hard-coded):
the first complete Dockerfile (``FROM`` … ``CMD``, no ``____`` blanks of the
statement's skeleton), the Python block that defines the object the
Dockerfile's ``uvicorn module:app`` names (so the deliberately broken
``appi`` version shown for a debugging question is not picked), the first
complete compose file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.models import CodeKind, Report, Submission

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_CONTEXT_BYTES = 30 * 1024 * 1024
MAX_FILES = 2000
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv",
                       ".mypy_cache", ".pytest_cache", ".idea", ".vscode"})
DEFAULT_APP_DIR = "api"
COMPOSE_NAMES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")

_BLANK = re.compile(r"(?<![A-Za-z0-9])_{4,}(?![A-Za-z0-9])|<[^>\n]*(?:TODO|à compléter)[^>\n]*>",
                    re.IGNORECASE)
_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\b\s*(.*)$")
_ASGI = re.compile(r"^([A-Za-z_][\w.]*):([A-Za-z_]\w*)$")
_REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*(\[[\w,\s-]+\])?\s*([<>=!~]=?\s*[\w.*]+"
                          r"(\s*,\s*[<>=!~]=?\s*[\w.*]+)*)?$")


@dataclass(frozen=True, slots=True)
class ContextFile:
    """One file of the build context."""

    path: str
    """Relative POSIX path inside the context folder."""
    data: bytes
    origin: str
    """``file:<path in the submission>`` or ``report:<line>``."""


@dataclass(frozen=True, slots=True)
class BuildContext:
    """The files to write into a fresh folder before building and composing."""

    files: tuple[ContextFile, ...]
    dockerfile: str | None
    """The API's Dockerfile, relative to the context folder (``api/Dockerfile``)."""
    compose: str | None
    """The compose file, relative to the context folder."""
    notes: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        """``files``, ``report``, ``mixed`` or ``none``: what the sheet shows."""
        kinds = {f.origin.split(":", 1)[0] for f in self.files
                 if f.path in self.key_paths}
        if not kinds:
            return "none"
        if kinds == {"file"}:
            return "files"
        return "report" if kinds == {"report"} else "mixed"

    @property
    def key_paths(self) -> frozenset[str]:
        """The Dockerfile, the compose file and the app module: what decides ``source``."""
        paths = {p for p in (self.dockerfile, self.compose) if p}
        paths.update(f.path for f in self.files if f.path.endswith(".py"))
        return frozenset(paths)

    def origins(self) -> tuple[tuple[str, str], ...]:
        """(path, origin) of the files that matter, for the sheet."""
        return tuple((f.path, f.origin) for f in self.files if f.path in self.key_paths
                     or PurePosixPath(f.path).name.startswith("requirements"))

    def get(self, path: str) -> ContextFile | None:
        return next((f for f in self.files if f.path == path), None)

    def write(self, folder: Path) -> None:
        """Write every file under ``folder`` (which must be empty and private)."""
        for file in self.files:
            target = folder.joinpath(*PurePosixPath(file.path).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(file.data)


def _walk(root: Path) -> Iterator[tuple[str, Path]]:
    """Regular files under ``root`` (no symlinks, no tool folders), bounded."""
    count = 0
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            count += 1
            if count > MAX_FILES:
                return
            yield path.relative_to(root).as_posix(), path


def read_folder(root: Path) -> tuple[list[ContextFile], list[str]]:
    """The submission folder's files, bounded in size, and notes on what was left out."""
    files: list[ContextFile] = []
    notes: list[str] = []
    total = 0
    for relative, path in _walk(root):
        try:
            size = path.stat().st_size
        except OSError:
            continue
        if size > MAX_FILE_BYTES or total + size > MAX_CONTEXT_BYTES:
            notes.append(f"{relative} laissé hors du contexte de build (trop gros)")
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        total += size
        files.append(ContextFile(relative, data, f"file:{relative}"))
    return files, notes


def _is_dockerfile(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    return name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile")


def _depth_first(paths: list[str], preferred: tuple[str, ...]) -> str | None:
    for wanted in preferred:
        for path in paths:
            if path.lower() == wanted.lower():
                return path
    return min(paths, key=lambda p: (p.count("/"), p), default=None)


def pick_dockerfile(paths: list[str]) -> str | None:
    """The API's Dockerfile among the submission's files: ``api/Dockerfile`` first."""
    return _depth_first([p for p in paths if _is_dockerfile(p)],
                        (f"{DEFAULT_APP_DIR}/Dockerfile", "Dockerfile"))


def pick_compose(paths: list[str]) -> str | None:
    candidates = [p for p in paths if PurePosixPath(p).name.lower() in COMPOSE_NAMES]
    return _depth_first(candidates, COMPOSE_NAMES)


def _complete(text: str) -> bool:
    return bool(text.strip()) and not _BLANK.search(text)


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for line in re.sub(r"\\\n", " ", dockerfile).split("\n"):
        if line.lstrip().startswith("#"):
            continue
        found = _INSTRUCTION.match(line)
        if found:
            out.append((found.group(1).upper(), found.group(2).strip()))
    return out


def dockerfile_from_report(report: Report) -> tuple[str, int] | None:
    """The first complete Dockerfile of the report (text, first line)."""
    best: tuple[int, str, int] | None = None
    for block in report.code_blocks:
        if block.kind is not CodeKind.DOCKERFILE or not _complete(block.effective_text):
            continue
        names = {name for name, _ in _instructions(block.effective_text)}
        if "FROM" not in names:
            continue
        score = 2 if names & {"CMD", "ENTRYPOINT"} else 1
        if best is None or score > best[0]:
            best = (score, block.effective_text, block.lines[0])
    return (best[1], best[2]) if best else None


def asgi_target(dockerfile: str) -> tuple[str, str]:
    """(module file, attribute) that the Dockerfile's ``uvicorn module:attr`` names."""
    for name, args in reversed(_instructions(dockerfile)):
        if name not in ("CMD", "ENTRYPOINT"):
            continue
        for token in re.split(r"[\s\"',\[\]]+", args):
            found = _ASGI.match(token)
            if found and not token.startswith(("0.", "127.")):
                return found.group(1).replace(".", "/") + ".py", found.group(2)
    return "app.py", "app"


def python_from_report(report: Report, attribute: str) -> tuple[str, int] | None:
    """The report's FastAPI module: the first block defining ``attribute = FastAPI(``."""
    defines = re.compile(rf"^\s*{re.escape(attribute)}\s*=\s*(?:fastapi\.)?FastAPI\s*\(", re.M)
    fallback: tuple[str, int] | None = None
    for block in report.code_blocks:
        text = block.effective_text
        if block.kind is not CodeKind.PYTHON or not _complete(text) or "FastAPI" not in text:
            continue
        if defines.search(text):
            return text, block.lines[0]
        if fallback is None:
            fallback = (text, block.lines[0])
    return fallback


def compose_from_report(report: Report) -> tuple[str, int] | None:
    for block in report.code_blocks:
        text = block.effective_text
        if block.kind is CodeKind.COMPOSE and _complete(text) and re.search(
                r"^services\s*:", text, re.M):
            return text, block.lines[0]
    return None


def requirements_from_report(report: Report) -> tuple[str, int] | None:
    """A block that is a requirements file: one package (with optional pin) a line."""
    for block in report.code_blocks:
        lines = [line.strip() for line in block.effective_text.split("\n")
                 if line.strip() and not line.strip().startswith("#")]
        if lines and all(_REQUIREMENT.match(line) for line in lines) and any(
                line.lower().startswith(("fastapi", "uvicorn")) for line in lines):
            return "\n".join(lines) + "\n", block.lines[0]
    return None


def _compose_app_dir(compose: str) -> str | None:
    """The first relative ``build:`` context of a compose file (without parsing YAML:
    a report's compose block may be slightly broken and still say where the API is)."""
    found = re.search(r"^\s+build\s*:\s*[\"']?(\.{1,2}(?:/[\w.-]+)*|[\w.-]+(?:/[\w.-]+)*)"
                      r"[\"']?\s*$", compose, re.M)
    if found is None:
        context = re.search(r"^\s+context\s*:\s*[\"']?([\w./-]+)[\"']?\s*$", compose, re.M)
        value = context.group(1) if context else None
    else:
        value = found.group(1)
    if value is None:
        return None
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts:
        return None
    return str(path)


def copy_sources(dockerfile: str) -> list[str]:
    """Sources of the Dockerfile's ``COPY``/``ADD`` lines (flags and destination left out)."""
    sources: list[str] = []
    for name, args in _instructions(dockerfile):
        if name not in ("COPY", "ADD"):
            continue
        if args.startswith("["):
            parts = re.findall(r'"([^"]*)"', args)
        else:
            parts = [p for p in args.split() if not p.startswith("--")]
        sources.extend(parts[:-1])
    return sources


def assemble(submission: Submission, report: Report) -> BuildContext:
    """The build context of one submission: its files, completed from the report."""
    files, notes = read_folder(submission.root)
    if submission.report_path:
        files = [f for f in files if f.path != submission.report_path]
    by_path = {f.path: f for f in files}
    paths = list(by_path)
    dockerfile = pick_dockerfile(paths)
    compose = pick_compose(paths)
    added: list[ContextFile] = []

    compose_text: str | None = None
    if compose is None:
        found = compose_from_report(report)
        if found is not None:
            compose = "docker-compose.yml"
            compose_text = found[0]
            added.append(ContextFile(compose, found[0].encode(), f"report:{found[1]}"))
    else:
        compose_text = by_path[compose].data.decode("utf-8", "replace")

    if dockerfile is None:
        found = dockerfile_from_report(report)
        if found is not None:
            app_dir = (_compose_app_dir(compose_text) if compose_text else None) or DEFAULT_APP_DIR
            if compose:
                app_dir = str(PurePosixPath(compose).parent / app_dir)
            dockerfile = str(PurePosixPath(app_dir) / "Dockerfile")
            added.append(ContextFile(dockerfile, found[0].encode(), f"report:{found[1]}"))
    if dockerfile is not None:
        text = (by_path[dockerfile].data.decode("utf-8", "replace") if dockerfile in by_path
                else added[-1].data.decode())
        added.extend(_missing_sources(report, text, PurePosixPath(dockerfile).parent,
                                      set(by_path), notes))
    else:
        notes.append("aucun Dockerfile (ni fichier, ni code complet dans le rapport)")
    return BuildContext(tuple(files + added), dockerfile, compose, tuple(notes))


def _missing_sources(report: Report, dockerfile: str, folder: PurePosixPath,
                     present: set[str], notes: list[str]) -> list[ContextFile]:
    """Files the Dockerfile copies that the folder lacks, written from the report's code."""
    added: list[ContextFile] = []
    module, attribute = asgi_target(dockerfile)
    wanted = [s for s in copy_sources(dockerfile) if not s.startswith(("http:", "https:"))]
    python_targets = [s for s in wanted if s.endswith(".py")]
    if not python_targets and any(s in (".", "./", "*") or s.endswith("/") for s in wanted):
        python_targets = [module]
    for source in python_targets:
        path = str(folder / source)
        if path in present or "*" in source:
            continue
        found = python_from_report(report, attribute)
        if found is None:
            notes.append(f"{path} absent (ni fichier, ni code FastAPI dans le rapport)")
            continue
        added.append(ContextFile(path, found[0].encode(), f"report:{found[1]}"))
        present.add(path)
    for source in wanted:
        name = PurePosixPath(source).name
        path = str(folder / source)
        if name.startswith("requirements") and path not in present:
            found = requirements_from_report(report)
            if found is not None:
                added.append(ContextFile(path, found[0].encode(), f"report:{found[1]}"))
                present.add(path)
    return added
