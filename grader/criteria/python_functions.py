"""Checks inside one function of the student's Python code: what it calls, what it says.

Labs hand out a Python file with TODOs inside given functions (``upsert_csv``,
``validate_with_ge``, ``snapshot_month``); grading the completion means looking
inside that function: does it call ``expect_column_values_to_be_between`` with
``min_value=0``, does its SQL say ``ON CONFLICT … DO UPDATE``? The code is read
with ``ast`` (never executed), falling back to the function's text when the
paste does not parse.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from pydantic import Field, field_validator, model_validator

from grader.criteria.base import Context, Criterion, Params, valid_pattern, where
from grader.models import CodeKind, Evidence, FileKind, Judgement

_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)\s*\(", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class _Function:
    name: str
    source: str
    calls: tuple[tuple[str, dict[str, Any]], ...]
    """(called name, literal keyword arguments) for every call inside the function."""
    line: int
    """1-based line of the ``def`` within the code text."""


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ...


def _functions_by_ast(text: str) -> list[_Function] | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    lines = text.split("\n")
    found: list[_Function] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            end = getattr(node, "end_lineno", node.lineno) or node.lineno
            calls = tuple(
                (_call_name(call), {kw.arg: _literal(kw.value) for kw in call.keywords if kw.arg})
                for call in ast.walk(node) if isinstance(call, ast.Call))
            found.append(_Function(node.name, "\n".join(lines[node.lineno - 1:end]), calls,
                                   node.lineno))
    return found


_CALL = re.compile(r"\.?(\w+)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)", re.DOTALL)
_KWARG = re.compile(r"(\w+)\s*=\s*([^,)]+)")


def _functions_by_text(text: str) -> list[_Function]:
    """A paste that does not parse (lost indentation, ``...``): cut it at each ``def``."""
    matches = list(_DEF.finditer(text))
    found: list[_Function] = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        source = text[match.start():end]
        calls = []
        for call in _CALL.finditer(source):
            kwargs: dict[str, Any] = {}
            for key, value in _KWARG.findall(call.group(2)):
                try:
                    kwargs[key] = ast.literal_eval(value.strip())
                except (ValueError, SyntaxError):
                    kwargs[key] = ...
            calls.append((call.group(1), kwargs))
        found.append(_Function(match.group(2), source, tuple(calls),
                               text.count("\n", 0, match.start()) + 1))
    return found


def functions(text: str) -> list[_Function]:
    parsed = _functions_by_ast(text)
    return parsed if parsed is not None else _functions_by_text(text)


class FunctionParams(Params):
    function: str = Field(min_length=1)
    """Name of the function to look into (``upsert_csv``)."""
    calls: str | None = None
    """Name of a function or method it must call (``expect_column_values_to_be_between``)."""
    kwargs: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments one of those calls must pass, with these literal values."""
    contains: str | None = None
    """A regular expression its source must match (case-insensitive, ``.`` spans lines)."""

    @field_validator("function", "calls")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        if value is not None and not value.isidentifier():
            raise ValueError(f"{value!r} is not a Python name; write the bare function name")
        return value

    @field_validator("contains")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        return valid_pattern(value, "escape special characters with a backslash", named=False)

    @model_validator(mode="after")
    def _something_to_check(self) -> FunctionParams:
        if self.kwargs and self.calls is None:
            raise ValueError("kwargs needs calls: say which call must pass them")
        return self


class PythonFunction(Criterion):
    """Checks what one function of the student's Python code calls or contains.

    What it does: finds the function named ``function`` in the answer's Python code,
    then in the rest of the report, then in the submission's ``.py`` files, and
    checks that it calls ``calls`` (with the literal ``kwargs`` if given) and that
    its source matches ``contains``. Credit is the share of those conditions met
    (nothing when the function is not found); the best candidate counts.

    Why: a lab that hands out a file with TODOs is graded inside the function the
    student had to complete, not on the file as a whole.

    Example::

        - kind: pyfunction
          function: validate_with_ge
          calls: expect_column_values_to_be_between
          kwargs: {min_value: 0}
          missed: "Ajoutez dans validate_with_ge les bornes >= 0 de usage_agg_30d."
    """

    kind = "pyfunction"
    code = "P302"
    Params = FunctionParams
    summary = "inside a named Python function: the calls it makes and what its code says"

    @classmethod
    def judge(cls, params: FunctionParams, ctx: Context) -> Judgement:
        best: tuple[float, Evidence | None, str] = (0.0, None, f"fonction {params.function} "
                                                             "introuvable dans le code rendu")
        for text, evidence in ctx.code(CodeKind.PYTHON, file_kinds=(FileKind.PYTHON,)):
            for function in functions(text):
                if function.name != params.function:
                    continue
                fraction, missing = _conditions(params, function)
                if fraction >= best[0]:
                    line = (evidence.line + function.line - 1
                            if evidence.line and not evidence.source.startswith("file:")
                            else function.line)
                    found = Evidence(f"def {function.name}(…)", evidence.source, line)
                    detail = "; ".join(missing)
                    best = (fraction, found, detail)
                if fraction >= 1:
                    return Judgement(1.0, (best[1],) if best[1] else ())
        fraction, found_at, detail = best
        if found_at is not None and detail:
            detail = f"{detail} (fonction {params.function} {where(found_at)})"
        return Judgement(fraction, (found_at,) if found_at else (), detail or None)


def _conditions(params: FunctionParams, function: _Function) -> tuple[float, list[str]]:
    checks = 0
    met = 0
    missing: list[str] = []
    if params.calls is not None:
        checks += 1
        calls = [kwargs for name, kwargs in function.calls if name == params.calls]
        wanted = params.kwargs
        if any(all(kwargs.get(k) == v for k, v in wanted.items()) for kwargs in calls):
            met += 1
        elif calls:
            shown = ", ".join(f"{k}={v!r}" for k, v in wanted.items())
            missing.append(f"{params.calls} est appelée sans {shown}")
        else:
            missing.append(f"aucun appel à {params.calls}")
    if params.contains is not None:
        checks += 1
        if re.search(params.contains, function.source, re.IGNORECASE | re.DOTALL):
            met += 1
        else:
            missing.append(f"le code ne contient pas {params.contains!r}")
    if checks == 0:  # only asked that the function exists
        return 1.0, []
    return met / checks, missing
