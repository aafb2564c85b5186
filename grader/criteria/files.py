"""A criterion on the files of the submission itself."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import Field

from grader.criteria.base import Context, Criterion, Params
from grader.models import Evidence, Judgement


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    """Shell pattern → regex: ``*`` and ``?`` stay inside one folder, ``**/`` spans any."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out, re.IGNORECASE)


class FilesParams(Params):
    paths: tuple[str, ...] = Field(min_length=1)
    """Paths (shell patterns, case-insensitive) relative to the submission folder."""


class Files(Criterion):
    """Checks that the submission holds given files.

    What it does: for each pattern (``api/app.py``, ``api/Dockerfile``,
    ``docker-compose.y*ml``, or ``**/Dockerfile`` for anywhere), looks for a
    code file of the submission whose path matches, case-insensitively. Credit
    is the share of patterns found.

    Why: a lab often asks for a project layout; the repository itself is the
    best evidence of it.

    Example::

        - kind: files
          paths: [api/app.py, api/Dockerfile, docker-compose.y*ml]
          missed: "Organisez le projet en api/app.py, api/Dockerfile et docker-compose.yml."
    """

    kind = "files"
    code = "F701"
    Params = FilesParams
    summary = "given files present in the submission"

    @classmethod
    def judge(cls, params: FilesParams, ctx: Context) -> Judgement:
        paths = [s.path for s in ctx.sources]
        found: list[Evidence] = []
        missing: list[str] = []
        for pattern in params.paths:
            regex = _glob(pattern)
            hit = next((p for p in paths if regex.fullmatch(p)), None)
            if hit is None:
                missing.append(pattern)
            else:
                found.append(Evidence(hit, f"file:{hit}"))
        detail = f"fichiers absents : {', '.join(missing)}" if missing else None
        return Judgement(len(found) / len(params.paths), tuple(found), detail)
