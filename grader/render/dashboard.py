"""The class dashboard as view records: a heatmap row per student, the mark distribution,
and per-question averages, all derived from the students' ``ScoreSheet``s.

Nothing is scored here: cells show each sheet's question score, averages and shares are
display arithmetic over those scores, and the histogram's bars are geometry for an inline
SVG (a page must not need a network, so no plotting library is loaded).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from grader.models import Diagnostic, QuestionScore, ScoreSheet, Severity
from grader.rubric import Rubric

if TYPE_CHECKING:
    from grader.pipeline import Graded


@dataclass(frozen=True, slots=True)
class DashboardEntry:
    """One student's row of the class dashboard.

    ``sheet`` is ``None`` when grading this student failed (the row then says so and
    ``diagnostics`` should tell why); ``href`` is the student's sheet relative to the
    dashboard (``alice.html``), ``None`` for no link; ``diagnostics`` are what the row
    counts and the class summary tallies, ``None`` meaning the sheet's own."""

    student: str
    sheet: ScoreSheet | None
    href: str | None = None
    diagnostics: tuple[Diagnostic, ...] | None = None

    @classmethod
    def from_graded(cls, graded: Graded, href: str | None = None) -> DashboardEntry:
        return cls(graded.sheet.student, graded.sheet, href, graded.sheet.diagnostics)

    @property
    def all_diagnostics(self) -> tuple[Diagnostic, ...]:
        if self.diagnostics is not None:
            return self.diagnostics
        return self.sheet.diagnostics if self.sheet is not None else ()


@dataclass(frozen=True, slots=True)
class DashboardLink:
    """A link in a custom section's cell (e.g. to a student's sheet)."""

    text: str
    href: str


@dataclass(frozen=True, slots=True)
class DashboardSection:
    """An extra table added by a caller (``extra={"sections": [...]}``), e.g. the batch's
    similar answer pairs. Shown to instructors only: it may name several students."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str | float | DashboardLink | None, ...], ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Column:
    id: str
    title: str
    points: float


@dataclass(frozen=True, slots=True)
class Cell:
    score: float | None
    fraction: float | None
    colour: str
    icon: str
    """``✓`` full marks, ``✗`` nothing, ``∅`` not answered, empty otherwise."""


@dataclass(frozen=True, slots=True)
class Row:
    entry: DashboardEntry
    cells: tuple[Cell, ...]
    warnings: int
    errors: int

    @property
    def student(self) -> str:
        return self.entry.student

    @property
    def sheet(self) -> ScoreSheet | None:
        return self.entry.sheet

    @property
    def mark(self) -> float | None:
        return self.entry.sheet.mark if self.entry.sheet is not None else None


@dataclass(frozen=True, slots=True)
class QuestionStat:
    column: Column
    average: float | None
    """Mean share of the points earned, over students graded on this question."""
    zeros: float | None
    """Share of those students who earned nothing."""
    unanswered: int
    count: int


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str


@dataclass(frozen=True, slots=True)
class Histogram:
    width: int
    height: int
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, str], ...]
    """(x, label) under the axis."""
    max_count: int
    baseline: float
    left: float
    top: float


@dataclass(frozen=True, slots=True)
class MarkSummary:
    students: int
    graded: int
    out_of: float | None
    mean: float | None
    median: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class DiagnosticCount:
    code: str
    students: int
    severity: str
    example: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    questions: tuple[QuestionStat, ...]
    summary: MarkSummary
    histogram: Histogram | None
    diagnostics: tuple[DiagnosticCount, ...]
    sections: tuple[DashboardSection, ...] = field(default=())


_LOW = (244, 165, 130)
_MID = (247, 247, 247)
_HIGH = (146, 197, 222)


def heat_colour(fraction: float) -> str:
    """Light red → white → light blue (a palette readable with colour blindness); the
    cell always shows its number and an icon too."""
    fraction = max(0.0, min(1.0, fraction))
    a, b, t = (_LOW, _MID, fraction * 2) if fraction < 0.5 else (_MID, _HIGH, fraction * 2 - 1)
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return f"rgb({r}, {g}, {bl})"


def columns_for(entries: Sequence[DashboardEntry], rubric: Rubric | None) -> tuple[Column, ...]:
    """The rubric's graded questions, else every question id met in the sheets, in order."""
    if rubric is not None:
        return tuple(Column(q.id, q.title, q.points) for q in rubric.graded_questions)
    seen: dict[str, Column] = {}
    for entry in entries:
        for q in entry.sheet.questions if entry.sheet is not None else ():
            seen.setdefault(q.id, Column(q.id, q.title, q.points))
    return tuple(seen.values())


def _cell(score: QuestionScore | None) -> Cell:
    if score is None:
        return Cell(None, None, "transparent", "")
    fraction = score.score / score.points if score.points else None
    if not score.answered and score.score == 0:
        icon = "∅"
    elif fraction is not None and fraction >= 1:
        icon = "✓"
    elif score.score <= 0:
        icon = "✗"
    else:
        icon = ""
    colour = heat_colour(fraction) if fraction is not None else "transparent"
    return Cell(score.score, fraction, colour, icon)


def _row(entry: DashboardEntry, columns: Sequence[Column]) -> Row:
    scores = {q.id: q for q in entry.sheet.questions} if entry.sheet is not None else {}
    diagnostics = entry.all_diagnostics
    return Row(entry, tuple(_cell(scores.get(c.id)) for c in columns),
               sum(d.severity is Severity.WARNING for d in diagnostics),
               sum(d.severity is Severity.ERROR for d in diagnostics))


def _question_stat(column: Column, entries: Sequence[DashboardEntry]) -> QuestionStat:
    fractions: list[float] = []
    unanswered = 0
    for entry in entries:
        if entry.sheet is None:
            continue
        score = next((q for q in entry.sheet.questions if q.id == column.id), None)
        if score is None or not score.points:
            continue
        fractions.append(score.score / score.points)
        unanswered += not score.answered
    if not fractions:
        return QuestionStat(column, None, None, unanswered, 0)
    return QuestionStat(column, statistics.fmean(fractions),
                        sum(f <= 0 for f in fractions) / len(fractions), unanswered,
                        len(fractions))


def histogram(marks: Sequence[float], out_of: float, *, width: int = 640,
              height: int = 220) -> Histogram:
    """Bars of one mark point each (at most 20 bars), the top mark in the last bar."""
    bins = max(1, min(20, math.ceil(out_of)))
    step = out_of / bins
    counts = [0] * bins
    for mark in marks:
        counts[min(bins - 1, max(0, int(mark / step)))] += 1
    left, bottom, top = 36.0, 28.0, 12.0
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max(counts) if counts else 0
    bar_w = plot_w / bins
    bars = []
    for i, count in enumerate(counts):
        h = plot_h * count / peak if peak else 0.0
        low, high = i * step, (i + 1) * step
        label = (f"{_fr(low)} à {_fr(high)} : {count} étudiant" + ("s" if count > 1 else ""))
        bars.append(Bar(left + i * bar_w + 1, top + plot_h - h, bar_w - 2, h, count, label))
    every = 1 if bins <= 10 else 2
    ticks = tuple((left + i * bar_w, _fr(i * step)) for i in range(0, bins + 1, every))
    return Histogram(width, height, tuple(bars), ticks, peak, top + plot_h, left, top)


def _fr(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def mark_summary(rows: Sequence[Row], out_of: float | None) -> MarkSummary:
    marks = [r.mark for r in rows if r.mark is not None]
    if not marks:
        return MarkSummary(len(rows), 0, out_of, None, None, None, None)
    return MarkSummary(len(rows), len(marks), out_of, statistics.fmean(marks),
                       statistics.median(marks), min(marks), max(marks))


def diagnostic_counts(entries: Sequence[DashboardEntry]) -> tuple[DiagnosticCount, ...]:
    """How many students got each diagnostic code, most frequent first."""
    students: Counter[str] = Counter()
    worst: dict[str, str] = {}
    example: dict[str, str] = {}
    order = {str(Severity.INFO): 0, str(Severity.WARNING): 1, str(Severity.ERROR): 2}
    for entry in entries:
        for diagnostic in entry.all_diagnostics:
            example.setdefault(diagnostic.code, diagnostic.message)
            severity = str(diagnostic.severity)
            if order.get(severity, 0) >= order.get(worst.get(diagnostic.code, "info"), 0):
                worst[diagnostic.code] = severity
        for code in {d.code for d in entry.all_diagnostics}:
            students[code] += 1
    return tuple(DiagnosticCount(code, n, worst[code], example[code])
                 for code, n in sorted(students.items(), key=lambda item: (-item[1], item[0])))


def _sections(value: object) -> list[DashboardSection]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(
            isinstance(s, DashboardSection) for s in value):
        raise TypeError("extra['sections'] must be a sequence of DashboardSection")
    return list(value)


def build_dashboard(entries: Sequence[DashboardEntry], rubric: Rubric | None, *,
                    extra: Mapping[str, object] | None = None) -> Dashboard:
    columns = columns_for(entries, rubric)
    rows = tuple(_row(entry, columns) for entry in entries)
    out_of = rubric.scale.out_of if rubric is not None else next(
        (e.sheet.out_of for e in entries if e.sheet is not None and e.sheet.out_of), None)
    summary = mark_summary(rows, out_of)
    marks = [r.mark for r in rows if r.mark is not None]
    title = rubric.title if rubric is not None else next(
        (e.sheet.rubric_title for e in entries if e.sheet is not None and e.sheet.rubric_title),
        "Classe")
    sections = tuple(_sections((extra or {}).get("sections")))
    return Dashboard(
        title=title or "Classe", columns=columns, rows=rows,
        questions=tuple(_question_stat(c, entries) for c in columns), summary=summary,
        histogram=histogram(marks, out_of) if out_of and marks else None,
        diagnostics=diagnostic_counts(entries), sections=sections)
