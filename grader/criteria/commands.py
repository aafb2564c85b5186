"""The ``command`` criterion kind (C201): a command shown in the answer, in any equivalent spelling.

Students show the commands they ran in every possible way: fenced blocks, console output
after a prompt (``PS C:\\x> docker …``, ``user@host:~$ docker …``, ``C:\\dir>docker …``),
inline code, ``> *docker …*`` quotes, or in the middle of a French sentence. This module
finds every occurrence of the expected program in the student's lines, cuts each into one
command (at ``&&``, ``|``, ``;``, and, in prose, where the sentence resumes) and compares it
with the expected command through ``grader.criteria.shell``, where the equivalences live.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator

from grader.criteria.base import Context, Criterion, Params, where
from grader.criteria.shell import (
    Comparison,
    Invocation,
    compare,
    parse_expected,
    parse_words,
    program_names,
    split_words,
)
from grader.models import CodeBlock, CodeKind, Evidence, Judgement
from grader.parse.code import strip_prompt

_NOT_COMMANDS = frozenset({CodeKind.DOCKERFILE, CodeKind.COMPOSE, CodeKind.PYTHON,
                           CodeKind.YAML, CodeKind.JSON, CodeKind.TREE})
"""Blocks whose lines are never typed commands (``RUN curl …`` in a Dockerfile is not one)."""
_MAX_EVIDENCE = 120

_TYPOGRAPHY = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'",
                             "\u2019": "'", "\u00a0": " ", "\u202f": " ", "\u200b": None,
                             "\ufeff": None})
_IMAGE_RE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[\[[^\]]*\]\]|<img\b[^>]*>?", re.I)
_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HTML_RE = re.compile(r"</?(?:code|kbd|samp|pre|b|i|em|strong|span|br|p|mark|u|sub|sup|div|font|a)"
                      r"\b[^>]*>", re.I)
"""Inline HTML that can wrap a command (``<code>docker ps</code>``); ``<id>`` is not one."""
_PREFIX_RE = re.compile(r"^\s*(?:>\s?)*\s*(?:#{1,6}\s+|[-+\u2022]\s+|\*\s+|\d{1,2}[.)]\s+)?")
_INLINE_CODE_RE = re.compile(r"(`+)(.+?)\1")
_QUOTE_RE = re.compile(r"^\s*(?:>\s?)+")
_WRAPPED_RE = re.compile(r"^\s*(\*{1,2}|_)(\S.*?)\1\s*$")
_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|])")
"""A markdown backslash escape (``quirky\\_benz``): prose only, code spans keep backslashes."""
_SEPARATOR_RE = re.compile(r"\x00|\*+|(?<!\w)_+|_+(?!\w)|[`\u00ab\u00bb]")
_ELISION_RE = re.compile(r"[A-Za-z]'[A-Za-z]")
_END_PUNCTUATION = ".,;:!?)\u2026\u00bb"
_BREAKS = frozenset({":", "-", "=", "->", "=>", "/", "+", "..."})
_STOPWORD_TEXT = """
    a à au aux avec c ce ceci cela ces cet cette d dans de des donc du elle elles en entre et
    est il ils j je l la le les leur leurs lorsque m ma mais me mes mon n ne ni nos notre nous
    on ont ou par pas permet permettent permettant peut plus pour puis qu quand que qui s sa
    sans se ses si son sont sur t ta tes ton tous tout toute toutes un une vers vos votre vous
    y ici ensuite alors aussi comme afin car affiche affichent afficher lance lancer liste
    lister ouvre ouvrir montre renvoie retourne supprime construit fonctionne sert donne fait
    va doit commande option voir confirme indique prouve utilise permettait puisque lors
    sinon seulement uniquement
    the an and to is are was were be of in on for with which that then this these it its will
    can we you they shows lists starts runs opens returns displays removes stops builds
    creates command
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Words that, in prose, say the sentence has resumed after a command."""


@lru_cache(maxsize=64)
def _occurrence_re(program: str) -> re.Pattern[str]:
    """Where a command of ``program`` can start: its name (any spelling) as a whole word."""
    names = "|".join(re.escape(n) for n in sorted(program_names(program), key=len, reverse=True))
    return re.compile(rf"(?<![\w.\-/\\])-?(?P<prog>{names})(?=\s|$)")


@dataclass(frozen=True, slots=True)
class Seen:
    """A command found in the report."""

    invocation: Invocation
    line: int
    """1-based report line where the command starts."""
    text: str
    """The command as written (at most 120 characters)."""


def _prose_word(word: str) -> bool:
    """Whether a word of a sentence is French/English prose rather than part of a command."""
    return (not word.isascii() or _ELISION_RE.search(word) is not None
            or (word.isalpha() and word.lower() in _STOPWORDS))


def _read_command(piece: str, prose: bool) -> tuple[list[str], int]:
    """The words of the command ``piece`` starts with, and where it ends in ``piece``.

    In code the command ends at a shell operator; in prose also where the sentence resumes:
    a French or English word, a ``:`` or a dash, or a word ending a clause (``ps,`` ``-a.``).
    """
    values: list[str] = []
    end = 0
    for word in split_words(piece):
        if word.stop is not None:
            break
        if not prose or not values or word.raw in (".", ".."):
            values.append(word.value)
            end = word.end
            continue
        raw = word.raw
        if raw[0] in "\"'":  # a quoted argument: its words are not prose
            values.append(word.value.rstrip(_END_PUNCTUATION) or word.value)
            end = word.end
            continue
        if raw in _BREAKS or raw[0] in "([" or raw.startswith("!["):
            break
        stripped = raw.rstrip(_END_PUNCTUATION)
        if not stripped or _prose_word(stripped):
            break
        values.append(word.value[: len(word.value) - (len(raw) - len(stripped))])
        end = word.start + len(stripped)
        if stripped != raw:
            break
    return values, end


def _segments(line: str) -> Iterator[tuple[str, bool]]:
    """Pieces of a prose line and whether each reads as code: inline code spans and prompt
    lines are code; the rest is prose cut at emphasis markers and guillemets."""
    line = _HTML_RE.sub("`", _LINK_RE.sub(r"\1", _IMAGE_RE.sub(" ", line)))
    bare = _PREFIX_RE.sub("", line, count=1)
    unwrapped = bare.strip().strip("*_").strip()
    if strip_prompt(unwrapped) != unwrapped:
        yield unwrapped, True
        return
    for match in _INLINE_CODE_RE.finditer(bare):
        yield match.group(2), True
    rest = _ESCAPE_RE.sub(r"\1", _INLINE_CODE_RE.sub("\x00", bare))
    for piece in _SEPARATOR_RE.split(rest):
        if piece.strip():
            yield piece, False


def _unwrap(line: str) -> str:
    """A code line without the quote marker and emphasis an unfenced block keeps
    (``> *docker ps -a*``)."""
    line = _QUOTE_RE.sub("", line)
    wrapped = _WRAPPED_RE.match(line)
    return wrapped.group(2) if wrapped else line


def _line_commands(line: str, number: int, code: bool, names: tuple[str, ...],
                   pattern: re.Pattern[str]) -> Iterator[Seen]:
    line = line.translate(_TYPOGRAPHY)
    segments = [(_unwrap(line), True)] if code else list(_segments(line))
    for text, as_code in segments:
        if not any(name in text for name in names):
            continue
        starts = [match.start("prog") for match in pattern.finditer(text)]
        for index, start in enumerate(starts):
            stop = len(text) if as_code or index + 1 == len(starts) else starts[index + 1]
            piece = text[start:stop]
            values, end = _read_command(piece, prose=not as_code)
            invocation = parse_words(values)
            if invocation is None or invocation.group:
                continue
            shown = " ".join(piece[:end].split())
            yield Seen(invocation, number, shown[:_MAX_EVIDENCE])


def _continued(line: str) -> bool:
    """A code line continued on the next one (``\\`` sh, backtick PowerShell, ``^`` cmd)."""
    text = line.rstrip()
    return len(text) > 1 and text[-1] in "\\`^" and text[-2].isspace()


@lru_cache(maxsize=256)
def scan(text: str, first: int, blocks: tuple[CodeBlock, ...], skip: frozenset[int],
         program: str) -> tuple[Seen, ...]:
    """Every command of ``program`` in ``text``, whose first line is report line ``first``.

    Lines in ``skip`` (copied from the statement) and lines of blocks that cannot hold typed
    commands (Dockerfile, compose, Python …) are ignored; lines of the other ``blocks`` are
    read as code, the rest as prose. Cached: many criteria look for the same program.
    """
    names = tuple(dict.fromkeys(name.removesuffix(".exe") for name in program_names(program)))
    pattern = _occurrence_re(program)
    code_lines: set[int] = set()
    ignored = set(skip)
    for block in blocks:
        numbers = range(block.lines[0], block.lines[1] + 1)
        (ignored if block.kind in _NOT_COMMANDS else code_lines).update(numbers)
    lines = text.split("\n")
    found: list[Seen] = []
    index = 0
    while index < len(lines):
        number, line = first + index, lines[index]
        index += 1
        if number in ignored:
            continue
        code = number in code_lines
        while code and _continued(line) and index < len(lines) \
                and first + index in code_lines and first + index not in ignored:
            line = line.rstrip()[:-1] + " " + lines[index]
            index += 1
        if any(name in line for name in names):
            found.extend(_line_commands(line, number, code, names, pattern))
    return tuple(found)


def _answer_commands(ctx: Context, program: str) -> tuple[Seen, ...]:
    answer = ctx.answer
    if answer is None:
        return ()
    return scan(answer.text, answer.lines[0], answer.code_blocks,
                frozenset(answer.prompt_lines), program)


def _report_commands(ctx: Context, program: str) -> tuple[Seen, ...]:
    """Commands elsewhere in the report: outside the answer, statement copies excluded."""
    report = ctx.report
    skip = frozenset(line for answer in report.answers for line in answer.prompt_lines)
    blocks = tuple(dict.fromkeys(
        report.code_blocks + tuple(b for answer in report.answers for b in answer.code_blocks)))
    seen = scan(report.text, 1, blocks, skip, program)
    if ctx.answer is None:
        return seen
    low, high = ctx.answer.lines
    return tuple(s for s in seen if not low <= s.line <= high)


class CommandParams(Params):
    command: str
    """The expected command as a student would type it (``docker run -p 8000:8000 simple-api``);
    ``<…>`` stands for any one value (``docker stop <id>``)."""
    partial: bool = False
    """Give the share of expected arguments present when the right (sub)command lacks some."""
    anywhere: bool = False
    """Also accept the command elsewhere in the report (the feedback says where)."""
    in_: tuple[Literal["text", "code", "screenshots"], ...] = Field(("text", "code"),
                                                                   alias="in")
    """Where to look in the answer: its lines (``text`` and ``code`` are read together,
    prose and code blocks alike) and, with ``screenshots``, the text OCR read in its
    screenshots (a prompt line ``$ docker build …`` of a terminal capture)."""

    @field_validator("command")
    @classmethod
    def _parses(cls, command: str) -> str:
        parse_expected(command)
        return command


class Command(Criterion):
    """Checks that the answer shows a given command, written in any equivalent way.

    What it does: looks for the command in the student's lines (code blocks, console
    output after a prompt, inline code, quotes, sentences; lines copied from the statement
    never count) and compares each command of the same program with the expected one,
    through tables of equivalences: ``docker-compose`` is ``docker compose``,
    ``docker container ls`` is ``docker ps``, ``-p`` is ``--publish``, ``-it`` is ``-i -t``,
    ``--name=api`` is ``--name api``, ``simple-api:latest`` is ``simple-api``,
    ``127.0.0.1`` is ``localhost``, ``curl.exe`` is ``curl``. Flags may come in any order
    and extra flags or trailing arguments are allowed; positional arguments keep their
    order; a different value (``-p 8080:8000``) or subcommand does not match. With
    ``partial``, the right (sub)command earns the share of expected arguments it has.

    Why: the statement asks students to run precise commands; showing them proves the
    step was done, and a wrong port or a missing ``-v`` is exactly what the feedback
    should point out.

    Example::

        - kind: command
          command: docker compose exec db psql -U demo -d demo
          partial: true
          missed: "Montrez la commande qui ouvre psql dans le conteneur db."
    """

    kind = "command"
    code = "C201"
    Params = CommandParams
    summary = "a command shown in the answer, any equivalent spelling (flags, aliases)"

    @classmethod
    def judge(cls, params: CommandParams, ctx: Context) -> Judgement:
        expected = parse_expected(params.command)
        if ctx.answer is None and not params.anywhere:
            return Judgement(0.0, detail="réponse absente")
        sources: list[tuple[str, Callable[[Context, str], Iterable[Seen]]]] = []
        if "text" in params.in_ or "code" in params.in_:
            sources.append(("answer", _answer_commands))
        if "screenshots" in params.in_:
            sources.extend((f"screenshot:{path}", _screenshot_reader(path))
                           for path in _screenshots(ctx))
        if params.anywhere:
            sources.append(("report", _report_commands))
        near: tuple[Seen, str, Comparison] | None = None
        for source, commands in sources:
            for seen in commands(ctx, expected.program):
                comparison = compare(expected, seen.invocation)
                if comparison is None:
                    continue
                line = None if source.startswith("screenshot:") else seen.line
                evidence = Evidence(seen.text, source, line)
                if comparison.complete:
                    detail = f"trouvée {where(evidence)}" if source == "report" else None
                    return Judgement(1.0, (evidence,), detail)
                if near is None or comparison.found > near[2].found:
                    near = (seen, source, comparison)
        return _miss(params, ctx, near)


def _screenshots(ctx: Context) -> list[str]:
    """Paths of the answer's screenshots that OCR read."""
    if ctx.answer is None:
        return []
    paths = [image.path or image.src for image in ctx.answer.images]
    return [p for p in dict.fromkeys(paths) if ctx.ocr.get(p)]


def _screenshot_reader(path: str) -> Callable[[Context, str], Iterable[Seen]]:
    """Commands in the OCR text of one screenshot, read as prose (prompt lines are code)."""
    def read(ctx: Context, program: str) -> Iterable[Seen]:
        return scan(ctx.ocr.get(path, ""), 1, (), frozenset(), program)
    return read


def _miss(params: CommandParams, ctx: Context,
          near: tuple[Seen, str, Comparison] | None) -> Judgement:
    wanted = f"commande attendue : {params.command}"
    if near is None:
        if ctx.answer is None:
            return Judgement(0.0, detail=f"réponse absente ; {wanted} ; absente du rapport")
        place = "de la réponse et du rapport" if params.anywhere else "de la réponse"
        return Judgement(0.0, detail=f"{wanted} ; absente {place}")
    seen, source, comparison = near
    evidence = Evidence(seen.text, source,
                        None if source.startswith("screenshot:") else seen.line)
    differs = ", ".join(comparison.differences)
    detail = f"{wanted} ; vue {where(evidence)} : {seen.text} ({differs})"
    if params.partial and comparison.found:
        return Judgement(comparison.share, (evidence,), detail)
    return Judgement(0.0, detail=detail)


__all__ = ["Command", "CommandParams", "Seen", "scan"]
