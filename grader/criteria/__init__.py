"""The registry of criterion kinds: one explicit, ordered table, checked at import.

A rubric names criteria by ``kind``; an unknown kind or a bad parameter is a
rubric error reported with its key path, never a silent zero.
"""

from __future__ import annotations

from typing import Any

from grader.criteria.base import CODE_PATTERN, Context, Criterion
from grader.criteria.combine import AllOf, AnyOf
from grader.criteria.commands import Command
from grader.criteria.compose import Compose
from grader.criteria.dockerfile import Dockerfile
from grader.criteria.evidence import Screenshots
from grader.criteria.files import Files
from grader.criteria.python_code import PythonCode
from grader.criteria.python_functions import PythonFunction
from grader.criteria.sandbox import Build, ComposeDb, ComposeUp, RunHealth
from grader.criteria.text import Concepts, Regex
from grader.rubric import CriterionSpec

KINDS: tuple[type[Criterion], ...] = (
    Concepts,
    Regex,
    Command,
    PythonCode,
    PythonFunction,
    Dockerfile,
    Compose,
    Screenshots,
    Files,
    Build,
    RunHealth,
    ComposeUp,
    ComposeDb,
    AnyOf,
    AllOf,
)


def _build_registry(kinds: tuple[type[Criterion], ...]) -> dict[str, type[Criterion]]:
    registry: dict[str, type[Criterion]] = {}
    codes: set[str] = set()
    for kind in kinds:
        if not CODE_PATTERN.match(kind.code):
            raise ValueError(f"criterion {kind.__name__} has a malformed code {kind.code!r}")
        if kind.kind in registry or kind.code in codes:
            raise ValueError(f"criterion kind {kind.kind!r} or code {kind.code} registered twice")
        if not (kind.__doc__ or "").strip():
            raise ValueError(f"criterion {kind.__name__} has no documentation")
        registry[kind.kind] = kind
        codes.add(kind.code)
    return registry


REGISTRY = _build_registry(KINDS)


def get(kind: str) -> type[Criterion]:
    return REGISTRY[kind]


def validate_spec(spec: CriterionSpec) -> tuple[tuple[str | int, ...], str] | None:
    """``None`` when the spec is valid, else (key path at fault, message saying how to
    fix it). Parts of ``any``/``all`` are checked one by one, so that the path points
    at the faulty part (``of[1].kind``), not at the whole list."""
    return _problem({"kind": spec.kind, **spec.params}, ())


def _problem(spec: dict[str, Any], at: tuple[str | int, ...]
             ) -> tuple[tuple[str | int, ...], str] | None:
    from pydantic import ValidationError

    kind = spec.get("kind")
    criterion = REGISTRY.get(kind) if isinstance(kind, str) else None
    if criterion is None:
        known = ", ".join(REGISTRY)
        return (*at, "kind"), f"unknown criterion kind {kind!r}; use one of: {known}"
    parts = spec.get("of")
    if kind in ("any", "all") and isinstance(parts, list):
        for index, part in enumerate(parts):
            if isinstance(part, dict):
                inner = {k: v for k, v in part.items() if k not in ("credit", "weight")}
                problem = _problem(inner, (*at, "of", index))
                if problem is not None:
                    return problem
    try:
        criterion.parse({k: v for k, v in spec.items() if k != "kind"})
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown parameter for kind {kind!r}; remove it or check its spelling"
        elif error["type"] == "missing":
            message = f"parameter required by kind {kind!r} is missing; add it"
        return (*at, *error["loc"]), message
    return None


__all__ = ["KINDS", "REGISTRY", "Context", "Criterion", "get", "validate_spec"]
