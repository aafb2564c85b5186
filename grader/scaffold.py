"""Draft a rubric from a lab statement (``grader rubric new --from STATEMENT``).

Writing a rubric starts with the lab's structure: exercises, question ids,
titles, each question's prompt text, and the commands and code the statement
shows. That part is mechanical and error-prone by hand, so it is drafted from
the statement itself, in markdown or as pasted from a web page (formatting
lost: exercise titles on their own line, each question title on a line
starting with one space). The instructor then adds keywords and criteria.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from grader.models import CodeKind
from grader.parse.code import classify_code, find_code_runs, strip_prompt
from grader.parse.markers import heading_level

_CODE_KINDS = (CodeKind.PYTHON, CodeKind.DOCKERFILE, CodeKind.COMPOSE, CodeKind.SQL,
               CodeKind.YAML, CodeKind.TREE)
_SENTENCE_END = (".", ":", ";", ",", "?", "!")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_COMMAND = re.compile(r"^(?:sudo\s+)?(?:docker(?:-compose)?|curl|psql|ls|tree|git|mkdir|unzip|cd|"
                      r"python3?|pip3?|prefect|cat|wget|kubectl|make)\b")
"""Lines of a shell block that are commands a student types (not output, not code)."""
_SPACES = re.compile(r"\s+")
_STEP = re.compile(r"^\s*(?:[ÉéEe]tape|Step)\s*\d+\s*[—–:.\-]*\s*", re.IGNORECASE)


@dataclass(slots=True)
class _Question:
    title: str
    lines: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Exercise:
    title: str
    intro: list[str] = field(default_factory=list)
    questions: list[_Question] = field(default_factory=list)


def _is_pasted_question(line: str) -> bool:
    return line.startswith(" ") and not line.startswith("  ") and bool(line.strip()) \
        and line[1].isupper()


def _looks_like_title(line: str) -> bool:
    text = line.strip()
    return (bool(text) and not line.startswith((" ", "\t")) and len(text) <= 90
            and not text.endswith(_SENTENCE_END) and text[0].isupper()
            and "=" not in text and not text.startswith(("#", "-", "*", "CREATE ", "SELECT ")))


def _split_pasted(lines: list[str], code: set[int]) -> tuple[list[str], list[_Exercise]]:
    """Plain text pasted from the lab's web page: exercise titles are short unindented
    lines right before a question line (a line starting with one space)."""
    question_at = [i for i, line in enumerate(lines) if i not in code
                   and _is_pasted_question(line)]
    firsts = set()
    exercises_at: list[int] = []
    for index in question_at:
        j = index - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j >= 0 and j not in code and _looks_like_title(lines[j]) \
                and not _is_pasted_question(lines[j]):
            exercises_at.append(j)
            firsts.add(index)
    starts = set(exercises_at)
    questions = set(question_at)

    def role(i: int, line: str) -> tuple[str, str] | None:
        if i in starts:
            return "exercise", line.strip()
        return ("question", line.strip()) if i in questions else None

    return _group(lines, role)


def _split_markdown(lines: list[str], code: set[int]) -> tuple[list[str], list[_Exercise]]:
    """Markdown: the shallowest heading level used more than once (after the title)
    holds exercises, the next one questions (or ``Étape`` lines)."""
    levels = [heading_level(line) if i not in code else 0 for i, line in enumerate(lines)]
    used = sorted({lv for lv in levels if lv})
    counts = {lv: levels.count(lv) for lv in used}
    candidates = [lv for lv in used if counts[lv] > 1]
    exercise_level = candidates[0] if candidates else (used[0] if used else 0)

    def role(i: int, line: str) -> tuple[str, str] | None:
        level = levels[i]
        text = line.lstrip("#").strip().strip("*").strip()
        if level and level == exercise_level:
            return "exercise", text
        if (level and level > exercise_level) or _STEP.match(text):
            return "question", text
        return None

    return _group(lines, role)


def _group(lines: list[str], role: Callable[[int, str], tuple[str, str] | None]
           ) -> tuple[list[str], list[_Exercise]]:
    """Lines grouped by the exercise and question titles ``role`` finds: the preamble
    before the first exercise, each exercise's intro, each question's lines. A question
    title before any exercise is preamble."""
    preamble: list[str] = []
    exercises: list[_Exercise] = []
    current_question: _Question | None = None
    for i, line in enumerate(lines):
        found = role(i, line)
        if found is not None and found[0] == "exercise":
            exercises.append(_Exercise(found[1]))
            current_question = None
        elif found is not None and exercises:
            current_question = _Question(found[1])
            exercises[-1].questions.append(current_question)
        elif current_question is not None:
            current_question.lines.append(line)
        elif exercises:
            exercises[-1].intro.append(line)
        else:
            preamble.append(line)
    return preamble, exercises


def _code_of(lines: list[str]) -> tuple[list[str], CodeKind | None]:
    """Commands shown in a question's text, and the kind of code it hands out."""
    commands: list[str] = []
    kind: CodeKind | None = None
    for run in find_code_runs(lines):
        body = "\n".join(lines[run.start:run.end + 1])
        run_kind = classify_code(body) if run.kind is CodeKind.TEXT else run.kind
        if run_kind in (CodeKind.SHELL, CodeKind.CONSOLE):
            pending = ""
            for line in lines[run.start:run.end + 1]:
                piece = strip_prompt(line.strip())
                if piece.endswith("\\"):  # a command continued on the next line
                    pending += piece[:-1].strip() + " "
                    continue
                command = _SPACES.sub(" ", pending + piece).strip()
                pending = ""
                if _COMMAND.match(command) and command not in commands:
                    commands.append(command)
        elif kind is None and run_kind in _CODE_KINDS:
            kind = run_kind
    return commands, kind


def _text(lines: list[str]) -> str:
    """Lines joined, with runs of blank lines squeezed and ends trimmed."""
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line.rstrip())
    return "\n".join(out).strip("\n") + "\n" if any(x.strip() for x in out) else ""


def draft_rubric(statement: str, *, lab_id: str, title: str | None = None) -> dict[str, Any]:
    """A rubric (as a mapping ready for YAML) drafted from a statement's text."""
    lines = statement.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    code: set[int] = set()
    for run in find_code_runs(lines):
        code.update(range(run.start, run.end + 1))
    pasted = sum(1 for i, line in enumerate(lines) if i not in code and _is_pasted_question(line))
    markdown = sum(1 for i, line in enumerate(lines) if i not in code and heading_level(line))
    if pasted >= markdown:
        preamble, exercises = _split_pasted(lines, code)
    else:
        preamble, exercises = _split_markdown(lines, code)
    exercises = [e for e in exercises if e.questions]
    lab_title = title or next((line.strip().lstrip("#").strip() for line in preamble
                               if line.strip()), lab_id)
    data: dict[str, Any] = {
        "schema": 1, "id": lab_id, "title": lab_title, "language": "fr",
        "report_hints": [], "scale": {"out_of": 20, "rounding": 0.25},
        "exercises": [], "questions": [],
    }
    for number, exercise in enumerate(exercises, start=1):
        data["exercises"].append({"number": number, "title": exercise.title, "keywords": [],
                                  "intro": _text(exercise.intro)})
        for position, question in enumerate(exercise.questions):
            commands, kind = _code_of(question.lines)
            prompt = _text([question.title, *question.lines])
            data["questions"].append({
                "id": f"{number}.{_LETTERS[position % 26]}",
                "exercise": number,
                "step": position + 1,
                "title": _STEP.sub("", question.title).strip() or question.title,
                "points": 1,
                "prompt": prompt,
                "commands": commands,
                "keywords": [],
                "code": str(kind) if kind is not None else None,
                "criteria": [],
            })
    return data


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks, so prompts stay readable in the draft."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def rubric_yaml(data: dict[str, Any]) -> str:
    header = ("# Drafted by `grader rubric new` from the lab statement: check the split into\n"
              "# exercises and questions, then add keywords and criteria to each question.\n")
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                              width=100)
