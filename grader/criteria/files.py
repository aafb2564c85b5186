"""A criterion on the files of the submission itself."""

from __future__ import annotations

from fnmatch import fnmatch

from pydantic import Field

from grader.criteria.base import Context, Criterion, Params
from grader.models import Evidence, Judgement


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
            wanted = pattern.lower()
            hit = next((p for p in paths if fnmatch(p.lower(), wanted)
                        or (wanted.startswith("**/") and fnmatch(p.lower(), wanted[3:]))), None)
            if hit is None:
                missing.append(pattern)
            else:
                found.append(Evidence(hit, f"file:{hit}"))
        detail = f"fichiers absents : {', '.join(missing)}" if missing else None
        return Judgement(len(found) / len(params.paths), tuple(found), detail)
