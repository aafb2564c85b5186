"""What decides whether a submission must be graded again, computed cheaply.

A batch re-grades a submission only when something that could change its
sheet changed: one of its files, the rubric, its overrides or the grader's
own code. Files are hashed by content (SHA-256), but a file whose size and
modification time match the last run's is not read again, so an unchanged
re-run of a class costs a ``stat`` per file. Rubrics are kept validated as
JSON in the output folder's cache: parsing their YAML would otherwise be
most of an unchanged re-run.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import grader
from grader.archives import EXTRACT_MARK, file_sha256
from grader.errors import RubricError
from grader.files import walk
from grader.rubric import Rubric, find_rubrics, load_rubric, resolve_rubric

RECENT_SECONDS = 2.0
"""Files modified this recently are always re-hashed: their date may not change again on
the next write within the file system's clock tick (git's "racy clean" problem)."""


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The grader's own code and templates: a new grader re-grades everything (read once
    per process)."""
    digest = hashlib.sha256(grader.__version__.encode())
    root = Path(grader.__file__).parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".j2", ".css", ".js", ".yaml", ".html"):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def folder_digest(folder: Path, known: Mapping[str, tuple[int, int, str]],
                  fresh: dict[str, tuple[int, int, str]]) -> str:
    """Hash of every file the grader could read in the folder (paths and contents). A file
    whose size and date are those of the last run is not read again."""
    lines: list[str] = []
    now = time.time_ns()
    for path in walk(folder):
        if path.name == EXTRACT_MARK:
            continue
        try:
            info = path.stat()
        except OSError:
            continue
        key = str(path)
        hit = known.get(key)
        if hit is not None and hit[0] == info.st_size and hit[1] == info.st_mtime_ns:
            sha = hit[2]
        else:
            sha = file_sha256(path)
            if now - info.st_mtime_ns > RECENT_SECONDS * 1e9:
                fresh[key] = (info.st_size, info.st_mtime_ns, sha)
        lines.append(f"{path.relative_to(folder).as_posix()}\0{sha}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def load_rubrics(spec: str | None, cache: Path) -> tuple[Rubric | None, list[Rubric]]:
    if spec:
        forced = cached_rubric(resolve_rubric(spec), cache)
        return forced, [forced]
    rubrics = [cached_rubric(path, cache) for path in find_rubrics()]
    if not rubrics:
        raise RubricError("no rubric found in ./rubrics; pass --rubric FILE")
    return None, rubrics


def cached_rubric(path: Path, cache: Path) -> Rubric:
    """``load_rubric``, remembered as validated JSON under the output folder: parsing the
    YAML is most of an unchanged re-run's time otherwise. Keyed by the file's bytes and
    the grader's code, so an edited rubric or a new grader loads (and checks) it again."""
    try:
        raw = path.read_bytes()
    except OSError:
        return load_rubric(path)  # load_rubric says what is wrong
    key = hashlib.sha256(raw + code_digest().encode()).hexdigest()
    entry = cache / f"rubric-{key[:32]}.json"
    try:
        saved = json.loads(entry.read_text(encoding="utf-8"))
        return Rubric.model_validate(saved["rubric"]).model_copy(
            update={"source": saved["source"], "digest": saved["digest"]})
    except (OSError, ValueError, KeyError, TypeError):
        pass
    rubric = load_rubric(path)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = entry.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps({"rubric": rubric.model_dump(mode="json", by_alias=True),
                               "source": rubric.source, "digest": rubric.digest}),
                   encoding="utf-8")
    os.replace(tmp, entry)
    return rubric
