"""The registry of criterion kinds: one explicit, ordered table, checked at import.

A rubric names criteria by ``kind``; an unknown kind or a bad parameter is a
rubric error reported with its key path, never a silent zero.
"""

from __future__ import annotations

from grader.criteria.base import CODE_PATTERN, Context, Criterion
from grader.criteria.combine import AllOf, AnyOf
from grader.criteria.commands import Command
from grader.criteria.compose import Compose
from grader.criteria.dockerfile import Dockerfile
from grader.criteria.evidence import Screenshots
from grader.criteria.files import Files
from grader.criteria.python_code import PythonCode
from grader.criteria.text import Concepts, Regex
from grader.rubric import CriterionSpec

KINDS: tuple[type[Criterion], ...] = (
    Concepts,
    Regex,
    Command,
    PythonCode,
    Dockerfile,
    Compose,
    Screenshots,
    Files,
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


def validate_spec(spec: CriterionSpec) -> tuple[str | None, str] | None:
    """``None`` when the spec is valid, else (key at fault, message saying how to fix it)."""
    criterion = REGISTRY.get(spec.kind)
    if criterion is None:
        known = ", ".join(REGISTRY)
        return "kind", f"unknown criterion kind {spec.kind!r}; use one of: {known}"
    from pydantic import ValidationError

    try:
        criterion.parse(spec.params)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"]) or None
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown parameter for kind {spec.kind!r}; remove it or check its spelling"
        elif error["type"] == "missing":
            message = f"parameter required by kind {spec.kind!r} is missing; add it"
        return key, message
    return None


__all__ = ["KINDS", "REGISTRY", "Context", "Criterion", "get", "validate_spec"]
