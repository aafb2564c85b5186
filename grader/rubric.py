"""Load and validate a lab's rubric (one YAML file per lab under ``rubrics/``).

A rubric describes the lab's structure (exercises, question ids, prompts,
signature commands) and, per question, the criteria that earn points. The
parser and the scorer only read this data: a new lab is a new YAML file, not
new code. A malformed rubric is the instructor's problem and stops the run
with the file, line and key path at fault and a hint on how to fix it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from grader.errors import RubricError
from grader.models import CodeKind

SCHEMA_VERSION = 1

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader when PyYAML has it: ten times faster on a large rubric."""


def _construct(node: yaml.Node | None) -> Any:
    """The data of an already composed document (the YAML is read once, for both the
    data and the line numbers of errors)."""
    if node is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Scale(_Frozen):
    out_of: float = Field(20, gt=0, description="Maximum mark (the total is scaled to it).")
    rounding: float = Field(0.25, ge=0, description="Marks are rounded to a multiple of this.")


class Exercise(_Frozen):
    number: int = Field(ge=0)
    title: str
    keywords: tuple[str, ...] = ()
    intro: str = ""


class CriterionSpec(_Frozen):
    """One criterion as written in the rubric; its kind's parameters are checked
    by the criterion registry when the rubric is loaded."""

    model_config = ConfigDict(frozen=True, extra="allow")

    kind: str
    weight: float = Field(1.0, gt=0)
    missed: str = Field(description="Feedback shown when the criterion is not met.")
    met: str | None = None
    cap: float | None = Field(None, ge=0, le=1)
    """When this criterion is not fully met, the question earns at most this share."""

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Question(_Frozen):
    id: str = Field(pattern=r"^\d{1,2}\.[a-z]$")
    exercise: int
    step: int | None = None
    title: str
    points: float = Field(1.0, ge=0)
    prompt: str = ""
    commands: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    code: CodeKind | None = None
    criteria: tuple[CriterionSpec, ...] = ()
    expected: str | None = None
    """The expected answer, shown to instructors only."""
    notes: str | None = None
    """Hidden notes for graders, shown to instructors only."""

    @property
    def letter(self) -> str:
        return self.id.split(".")[1]

    @property
    def graded(self) -> bool:
        return self.points > 0

    @model_validator(mode="after")
    def _id_matches_exercise(self) -> Question:
        if int(self.id.split(".")[0]) != self.exercise:
            raise ValueError(f"id {self.id!r} does not start with its exercise number "
                             f"{self.exercise}; write id '{self.exercise}.x' or fix 'exercise'")
        return self


class Rubric(_Frozen):
    schema_: int = Field(SCHEMA_VERSION, alias="schema")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    title: str
    language: str = "fr"
    report_hints: tuple[str, ...] = ()
    scale: Scale = Scale()
    defaults: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Default parameters per criterion kind, applied to every criterion of that kind
    (nested ones included) that does not set them, e.g. ``{evidence: {missing_credit: 1}}``."""
    exercises: tuple[Exercise, ...]
    questions: tuple[Question, ...]
    source: str | None = Field(None, exclude=True)
    digest: str = Field("", exclude=True)
    """SHA-256 of the file's bytes: the rubric version stored with results."""

    @field_validator("schema_")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"unsupported schema {value}; this grader reads schema "
                             f"{SCHEMA_VERSION}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        seen: set[str] = set()
        numbers = {exercise.number for exercise in self.exercises}
        for question in self.questions:
            if question.id in seen:
                raise ValueError(f"question id {question.id!r} appears twice; ids must be unique")
            seen.add(question.id)
            if question.exercise not in numbers:
                raise ValueError(f"question {question.id} refers to exercise {question.exercise}, "
                                 "which is not listed under 'exercises'")
        return self

    def question(self, question_id: str) -> Question | None:
        for question in self.questions:
            if question.id == question_id:
                return question
        return None

    def exercise_questions(self, number: int) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.exercise == number)

    @property
    def graded_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.graded)

    @property
    def max_total(self) -> float:
        return sum(q.points for q in self.questions)


def load_rubric(path: str | Path) -> Rubric:
    """Read and validate a rubric file; raise ``RubricError`` naming file, line and key."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RubricError(f"cannot read the rubric ({exc.strerror}); check the path",
                          path=str(path)) from exc
    return parse_rubric(raw, source=str(path))


def parse_rubric(raw: bytes | str, *, source: str = "<rubric>") -> Rubric:
    text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    try:
        node = yaml.compose(text, Loader=_LOADER)
        data = _construct(node)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise RubricError(f"invalid YAML: {exc.problem}; check indentation and quoting",
                          path=source, line=line) from exc
    if not isinstance(data, dict):
        raise RubricError("a rubric must be a mapping with 'id', 'title', 'exercises' and "
                          "'questions'", path=source, line=1)
    _apply_defaults(data)
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        raise RubricError(_explain(error), path=source, line=_line_of(node, loc),
                          key=_key_path(loc)) from exc
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    rubric = rubric.model_copy(update={"source": source, "digest": digest})
    _check_criteria(rubric, node, source)
    return rubric


def _apply_defaults(data: dict[str, Any]) -> None:
    """Merge ``defaults`` into every criterion (and every nested ``of`` part) in place."""
    defaults = data.get("defaults")
    if not isinstance(defaults, dict) or not isinstance(data.get("questions"), list):
        return

    def visit(spec: object) -> None:
        if not isinstance(spec, dict):
            return
        kind = spec.get("kind")
        if isinstance(kind, str) and isinstance(defaults.get(kind), dict):
            for key, value in defaults[kind].items():
                spec.setdefault(key, value)
        parts = spec.get("of")
        if isinstance(parts, list):
            for part in parts:
                visit(part)

    for question in data["questions"]:
        if isinstance(question, dict) and isinstance(question.get("criteria"), list):
            for spec in question["criteria"]:
                visit(spec)


def _check_criteria(rubric: Rubric, node: yaml.Node | None, source: str) -> None:
    """Let the criterion registry validate each criterion's kind and parameters."""
    try:
        from grader.criteria import validate_spec
    except ImportError:  # criteria package not built yet
        return
    for qi, question in enumerate(rubric.questions):
        for ci, spec in enumerate(question.criteria):
            problem = validate_spec(spec)
            if problem is not None:
                where, message = problem
                loc: tuple[str | int, ...] = ("questions", qi, "criteria", ci, *where)
                raise RubricError(message, path=source, line=_line_of(node, loc),
                                  key=_key_path(loc))


def _explain(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    message = str(error.get("msg", "invalid value"))
    if kind == "missing":
        return "required key is missing; add it"
    if kind == "extra_forbidden":
        return "unknown key; remove it or check its spelling"
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        got = error.get("input")
        return f"{message.lower()} (got {got!r}, expected a value matching {pattern})"
    return message.removeprefix("Value error, ")


def _key_path(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "schema_":
            out += ("." if out else "") + "schema"
        else:
            out += ("." if out else "") + str(part)
    return out


def _line_of(node: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """1-based line of the deepest YAML node that ``loc`` reaches."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        if part == "schema_":
            part = "schema"
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if key.value == part:
                    node = value
                    line = key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def find_rubrics(search: Iterable[Path] | None = None) -> list[Path]:
    """Rubric files in the usual places: ``./rubrics`` then the project's ``rubrics/``."""
    folders = list(search) if search is not None else default_rubric_dirs()
    found: list[Path] = []
    seen: set[str] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.y*ml")):
            if path.stem not in seen:
                seen.add(path.stem)
                found.append(path)
    return found


def default_rubric_dirs() -> list[Path]:
    project = Path(__file__).resolve().parent.parent / "rubrics"
    dirs = [Path.cwd() / "rubrics"]
    if project != dirs[0]:
        dirs.append(project)
    return dirs


def resolve_rubric(name_or_path: str) -> Path:
    """Accept a path to a YAML file or the id of a rubric in the usual places."""
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate
    for path in find_rubrics():
        if path.stem == name_or_path:
            return path
    known = ", ".join(p.stem for p in find_rubrics()) or "none"
    raise RubricError(f"no rubric file or id {name_or_path!r} (known rubrics: {known}); "
                      "pass a path to a YAML file", path=name_or_path)


def load_all_rubrics() -> list[Rubric]:
    return [load_rubric(path) for path in find_rubrics()]
