"""Frozen records that cross module boundaries.

Every stage of the pipeline (ingest → parse → score → render) hands the next
one an immutable value: stages can run in worker processes, be cached, and be
tested in isolation. Collections are tuples, never lists, so a record cannot
be changed after it was built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path

AUDIENCES: tuple[str, ...] = ("student", "instructor")
"""Who a page is for. ``student``: what may be sent to the student. ``instructor``: adds the
rubric's expected answers and hidden notes, grader details, and (dashboard) the students'
names and extras."""
IMAGE_MARKUP = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[\[[^\]]*\]\]|!\[[^\]]*\]\[[^\]]*\]"
                          r"|<img\b[^>]*>?", re.IGNORECASE)
"""Image references in markdown (inline or reference-style), Obsidian and HTML form:
markup, not the student's words."""


class Severity(StrEnum):
    """How much a diagnostic matters to the person reading the sheet."""

    INFO = "info"
    """Something was repaired or guessed; the result is still trustworthy."""
    WARNING = "warning"
    """Something the instructor should look at (a missing image, a guess)."""
    ERROR = "error"
    """Part of the submission could not be used at all."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A note about one submission: what was repaired, missing or unreadable."""

    code: str
    """Stable dotted identifier, e.g. ``encoding.mojibake``; tools match on it."""
    message: str
    """One sentence for a human, saying what happened and, if useful, what to do."""
    severity: Severity = Severity.INFO
    line: int | None = None
    """1-based line of the report the note is about, if any."""

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "code": self.code,
            "message": self.message,
            "severity": str(self.severity),
        }
        if self.line is not None:
            data["line"] = self.line
        return data


class FileKind(StrEnum):
    """What a file of a submission is, as far as grading cares."""

    IMAGE = "image"
    DOCKERFILE = "dockerfile"
    COMPOSE = "compose"
    PYTHON = "python"
    REQUIREMENTS = "requirements"
    YAML = "yaml"
    REPORT = "report"


@dataclass(frozen=True, slots=True)
class SubmissionFile:
    """A file found in the submission folder (image or code)."""

    path: str
    """Path relative to the submission folder, with ``/`` separators."""
    kind: FileKind
    size: int


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A code file of the submission with its text (bounded in size when read)."""

    path: str
    kind: FileKind
    text: str


@dataclass(frozen=True, slots=True)
class EmbeddedImage:
    """An image carried inside the report itself (Word/PDF), not a separate file."""

    name: str
    """Pseudo path used in image references, e.g. ``word/media/image1.png``."""
    media_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Submission:
    """One student's folder, read and decoded but not yet interpreted."""

    root: Path
    student: str
    report_path: str | None
    """The chosen report, relative to ``root``; ``None`` when none was found."""
    text: str
    """Decoded, repaired text of the report, ``\\n`` line endings, same line count as stored."""
    encoding: str
    """What the bytes were decoded as (``utf-8``, ``cp1252``, ``docx`` …)."""
    source_format: str = "text"
    """``text`` for markdown/plain files, ``docx`` or ``pdf`` when text was extracted."""
    files: tuple[SubmissionFile, ...] = ()
    embedded_images: tuple[EmbeddedImage, ...] = ()
    candidates: tuple[str, ...] = ()
    """Other report-like files that were considered, best first."""
    sources: tuple[SourceFile, ...] = ()
    """Code files of the submission with their text (Dockerfile, compose, Python …)."""
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def images(self) -> tuple[SubmissionFile, ...]:
        return tuple(f for f in self.files if f.kind is FileKind.IMAGE)

    @property
    def code_files(self) -> tuple[SubmissionFile, ...]:
        return tuple(f for f in self.files if f.kind is not FileKind.IMAGE)


class CodeKind(StrEnum):
    """What a block of code is, decided from its content, not its fence label."""

    DOCKERFILE = "dockerfile"
    COMPOSE = "compose"
    PYTHON = "python"
    SHELL = "shell"
    """Commands typed by the student (``docker run …``)."""
    CONSOLE = "console"
    """Output of commands, possibly with prompts and commands mixed in."""
    SQL = "sql"
    YAML = "yaml"
    JSON = "json"
    TREE = "tree"
    """A directory listing drawn with ``├──`` or indentation."""
    TEXT = "text"


class CodeOrigin(StrEnum):
    """How the code was written in the report."""

    FENCED = "fenced"
    INDENTED = "indented"
    UNFENCED = "unfenced"
    """Recognised by its shape among ordinary lines."""
    INLINE = "inline"
    """A single backtick span that holds a whole command."""


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A piece of code or console output found in the report."""

    kind: CodeKind
    text: str
    lines: tuple[int, int]
    """First and last 1-based report lines of the block, fences included."""
    origin: CodeOrigin
    info: str | None = None
    """The fence's info string as written (``bash``, ``yml`` …), if any."""
    repaired: str | None = None
    """A rebuilt version when the original was broken (flattened YAML)."""
    quoted: bool = False
    """Whether the block sat inside a ``>`` blockquote."""

    @property
    def effective_text(self) -> str:
        """The text criteria should read: the repair when there is one."""
        return self.repaired if self.repaired is not None else self.text


class ImageStatus(StrEnum):
    FOUND = "found"
    MISSING = "missing"
    """The reference points inside the folder but no such file exists."""
    REMOTE = "remote"
    """An ``http(s)`` URL: never fetched."""
    OUTSIDE = "outside"
    """The path escapes the submission folder: never read."""
    EMBEDDED = "embedded"
    """Carried inside a Word/PDF report."""


@dataclass(frozen=True, slots=True)
class ImageRef:
    """An image referenced by the report."""

    src: str
    """The reference exactly as written."""
    alt: str
    line: int
    status: ImageStatus
    path: str | None = None
    """Resolved path relative to the submission folder, when inside it."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What the report says for one question."""

    id: str
    lines: tuple[int, int]
    """First and last 1-based lines of the answer in the report as stored."""
    text: str
    """The answer's markdown source, all lines of the range."""
    student_text: str
    """The same text without the lines that repeat the lab statement."""
    prompt_lines: tuple[int, ...] = ()
    """Lines of the range that are text of the lab statement (ignored by scoring)."""
    code_blocks: tuple[CodeBlock, ...] = ()
    images: tuple[ImageRef, ...] = ()
    found_by: str = "label"
    """How the id was found: ``label``, ``step``, ``letter``, ``signature``."""
    label: str | None = None
    """The marker as the student wrote it (``Questio 2.c``), when there is one."""

    @property
    def word_count(self) -> int:
        """Words the student wrote, image references excluded."""
        return len(IMAGE_MARKUP.sub(" ", self.student_text).split())


@dataclass(frozen=True, slots=True)
class Report:
    """A report split into answers by question id."""

    path: str | None
    text: str
    lab: str | None
    """Id of the lab whose structure was used, or ``None`` when none fits."""
    answers: tuple[Answer, ...]
    code_blocks: tuple[CodeBlock, ...] = ()
    images: tuple[ImageRef, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def line_count(self) -> int:
        return self.text.count("\n") + 1 if self.text else 0

    def answer(self, question_id: str) -> Answer | None:
        for answer in self.answers:
            if answer.id == question_id:
                return answer
        return None


class Status(StrEnum):
    """What a criterion concluded."""

    MET = "met"
    PARTIAL = "partial"
    MISSED = "missed"
    ERROR = "error"
    """The criterion itself failed (a bug or an unreadable input); it earns nothing."""
    NOT_RUN = "not_run"
    """Could not run here (no sandbox, no OCR); left out of the question's total."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a criterion found (or looked for) what it judged."""

    text: str
    """The matched text, short, as the student wrote it."""
    source: str
    """``answer``, ``report`` (elsewhere in the report), ``file:<path>`` or
    ``screenshot:<path>``."""
    line: int | None = None
    """1-based line in the report (or in the file, for ``file:`` sources)."""


@dataclass(frozen=True, slots=True)
class Judgement:
    """A criterion's verdict before the engine weighs it."""

    fraction: float
    """Share of the criterion earned, 0 to 1."""
    evidence: tuple[Evidence, ...] = ()
    detail: str | None = None
    """What exactly is missing or was found, appended to the feedback."""
    advice: tuple[str, ...] = ()
    """Suggestions that cost no points (linter findings)."""
    status: Status | None = None
    """Forces a status (``NOT_RUN``); otherwise derived from ``fraction``."""


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One criterion of one question, judged and weighed."""

    code: str
    """Stable id: the kind's code and the criterion's position, e.g. ``T101:2.a#1``."""
    kind: str
    weight: float
    status: Status
    fraction: float
    feedback: str
    evidence: tuple[Evidence, ...] = ()
    advice: tuple[str, ...] = ()
    cap: float | None = None
    """When not met, the question's share is capped at this value."""

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code, "kind": self.kind, "weight": self.weight,
            "status": str(self.status), "fraction": round(self.fraction, 4),
            "feedback": self.feedback,
            "evidence": [{"text": e.text, "source": e.source, "line": e.line}
                         for e in self.evidence],
            "advice": list(self.advice),
            "cap": self.cap,
        }


@dataclass(frozen=True, slots=True)
class Override:
    """An instructor's manual score for one question; it wins over the automatic one."""

    score: float
    comment: str = ""
    author: str = ""
    at: str = ""
    """ISO timestamp of the change."""


@dataclass(frozen=True, slots=True)
class ImageReading:
    """One screenshot of an answer as the grading saw it (the sheet's ``images``)."""

    path: str
    """Path relative to the submission folder (the reference as written when unresolved)."""
    found: bool
    """The image could be read: a file of the submission or embedded in the report."""
    ocr_text: str | None = None
    """Text recognised in it; ``None`` when OCR did not run on it (``note`` says why)."""
    note: str | None = None
    """Why there is no text, in French (« OCR non disponible »), or ``None``."""

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"path": self.path, "found": self.found,
                                   "ocr_text": self.ocr_text}
        if self.note is not None:
            data["ocr_note"] = self.note
        return data


@dataclass(frozen=True, slots=True)
class QuestionScore:
    """One question of a score sheet."""

    id: str
    title: str
    points: float
    auto_score: float
    """What the criteria earned, capped at ``points``."""
    answered: bool
    results: tuple[CriterionResult, ...] = ()
    lines: tuple[int, int] | None = None
    override: Override | None = None
    images: tuple[ImageReading, ...] = ()
    """The answer's screenshots and the text OCR read in them."""

    @property
    def score(self) -> float:
        """The score that counts: the instructor's when there is one."""
        return self.override.score if self.override is not None else self.auto_score

    @property
    def missing(self) -> tuple[str, ...]:
        """Feedback of what was not (fully) met, in rubric order."""
        return tuple(r.feedback for r in self.results
                     if r.status in (Status.MISSED, Status.PARTIAL, Status.ERROR))


@dataclass(frozen=True, slots=True)
class ScoreSheet:
    """A graded submission. Totals are derived, never stored twice."""

    student: str
    rubric: str | None
    """Id of the rubric used, ``None`` when no lab fits the report."""
    rubric_title: str | None
    rubric_digest: str | None
    report_path: str | None
    questions: tuple[QuestionScore, ...]
    out_of: float | None
    """The mark's scale (20 for TP1), ``None`` when no rubric applies."""
    rounding: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def total(self) -> float:
        return round(sum(q.score for q in self.questions), 4)

    @property
    def max_total(self) -> float:
        return round(sum(q.points for q in self.questions), 4)

    @property
    def mark(self) -> float | None:
        if self.out_of is None or self.max_total <= 0:
            return None
        return round_half_up(self.total / self.max_total * self.out_of, self.rounding)


def round_half_up(value: float, step: float) -> float:
    """Round to a multiple of ``step``, ties upwards (10.625 → 10.75 for a 0.25 step), as
    a gradebook does; Python's ``round`` would send half of the ties down."""
    if not step:
        return round(value, 4)
    steps = Decimal(repr(value)) / Decimal(repr(step))
    return float(steps.quantize(Decimal(1), rounding=ROUND_HALF_UP) * Decimal(repr(step)))


# --- Sandbox outcomes (``--sandbox``): what building and running the student's code did ---

@dataclass(frozen=True, slots=True)
class BuildOutcome:
    """Building the student's API image on a Docker engine."""

    ok: bool
    seconds: float
    log_tail: str
    """Last lines of the build output, shown on the sheet (the full log is in ``log_path``)."""
    error: str | None = None
    """Why the build failed (the builder's error, or the timeout), in one line."""
    timed_out: bool = False
    dockerfile: str | None = None
    """The Dockerfile built, relative to the build context folder (``api/Dockerfile``)."""
    log_path: str | None = None


@dataclass(frozen=True, slots=True)
class HealthOutcome:
    """Running the API image (or the compose stack's API) and calling ``GET /health``."""

    ok: bool
    """An HTTP 200 answer came back before the deadline."""
    status: int | None
    """HTTP status of the answer, ``None`` when nothing answered."""
    body: str | None
    """Body of the answer (bounded), as text."""
    seconds: float
    logs: str = ""
    """Tail of the container's output (Uvicorn's start-up or its traceback)."""
    error: str | None = None
    exit_code: int | None = None
    """The container's exit code when it stopped on its own (``appi`` → 1)."""


@dataclass(frozen=True, slots=True)
class ComposeOutcome:
    """Starting the student's compose stack (after the policy check)."""

    ok: bool
    """Every service is running."""
    services: tuple[tuple[str, str], ...]
    """Service name → state (``running``, ``exited (1)``, ``restarting`` …)."""
    seconds: float
    logs: str = ""
    error: str | None = None
    health: HealthOutcome | None = None
    """``GET /health`` on the stack's API service, when there is one."""


@dataclass(frozen=True, slots=True)
class DbOutcome:
    """Asking the stack's database for its name (``psql … -c 'select current_database()'``)."""

    ok: bool
    output: str
    service: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SandboxOutcome:
    """Everything ``--sandbox`` found for one submission; criteria read it, never Docker.

    A part is ``None`` when it did not run (nothing to build, no compose file,
    a refused stack); ``notes`` say why.
    """

    source: str
    """Where the code came from: ``files`` (the submission's own), ``report`` (code
    extracted from the report), ``mixed`` or ``none``."""
    files: tuple[tuple[str, str], ...] = ()
    """Build context path → origin (``file:api/app.py`` or ``report:42``)."""
    build: BuildOutcome | None = None
    health: HealthOutcome | None = None
    compose: ComposeOutcome | None = None
    db: DbOutcome | None = None
    refused: tuple[str, ...] = ()
    """Compose policy violations (``privileged``, host mounts …): the stack did not start."""
    rewritten: tuple[str, ...] = ()
    """What the policy changed before starting the stack (ports bound to 127.0.0.1 …)."""
    notes: tuple[str, ...] = ()
    run_id: str = ""
    log_dir: str | None = None
    """Folder holding the full build, container and compose logs."""
