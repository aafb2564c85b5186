"""The student's score sheet as view records: what the template shows, nothing scored.

Every number here is read from the ``ScoreSheet`` (scores, points, totals, the mark) or is
display arithmetic on it (an exercise's share for its bar). The audience decides what is
left out: a student never gets the rubric's expected answers or hidden notes, grader
identities, or diagnostics meant for instructors (similarity with other students).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from markupsafe import Markup

from grader.criteria.base import where
from grader.models import (
    Answer,
    CodeOrigin,
    CriterionResult,
    Diagnostic,
    Evidence,
    QuestionScore,
    ScoreSheet,
    Severity,
    Status,
)
from grader.pipeline import Graded
from grader.render.code import highlight_code
from grader.render.images import ImageStore, Shot
from grader.render.markdown import (
    highlight_text,
    marks_pattern,
    prepare_source,
    render_markdown,
)
from grader.rubric import Rubric

INSTRUCTOR_ONLY_DIAGNOSTICS = ("similarity.", "instructor.")
"""Diagnostic code prefixes never shown to a student (they may name other students)."""
MAX_CODE_LINES = 200
"""Lines of a submission file shown as found code; the rest is cut with a note."""
MAX_CODE_VIEWS = 4
"""Pieces of found code shown per question."""

STATUS_LABELS: dict[Status, tuple[str, str]] = {
    Status.MET: ("✓", "Acquis"),
    Status.PARTIAL: ("◐", "Partiel"),
    Status.MISSED: ("✗", "Manquant"),
    Status.ERROR: ("⚠", "Erreur"),
    Status.NOT_RUN: ("–", "Non évalué"),
}
"""Icon and French word per criterion status: colour is never the only signal."""
SEVERITY_LABELS: dict[str, tuple[str, str]] = {
    Severity.INFO: ("ℹ", "Info"),
    Severity.WARNING: ("⚠", "Attention"),
    Severity.ERROR: ("✖", "Erreur"),
}
DIAGNOSTIC_FAMILIES = {
    "encoding": "Encodage", "document": "Document", "report": "Rapport", "lab": "TP",
    "answer": "Réponses", "image": "Captures", "similarity": "Similarité",
    "sandbox": "Exécution", "batch": "Correction",
}
FOUND_BY = {"label": "libellé", "step": "numéro d'étape", "letter": "lettre",
            "signature": "contenu reconnu"}


@dataclass(frozen=True, slots=True)
class EvidenceView:
    text: str
    where: str
    """French phrase: « dans la réponse (ligne 12) », « dans le fichier api/Dockerfile »."""
    screenshot: bool


@dataclass(frozen=True, slots=True)
class CriterionView:
    result: CriterionResult
    icon: str
    label: str
    evidence: tuple[EvidenceView, ...]

    @property
    def status(self) -> str:
        return str(self.result.status)


@dataclass(frozen=True, slots=True)
class CodeView:
    title: str
    html: Markup


@dataclass(frozen=True, slots=True)
class OcrView:
    """The text OCR read in one screenshot of the answer, or why there is none."""

    anchor: str
    label: str
    """The screenshot's path."""
    html: Markup | None
    """Recognised text, escaped, the passages criteria matched in ``<mark>``; ``None``
    when OCR did not run on it."""
    note: str | None
    marked: int = 0
    """How many passages are marked."""


@dataclass(frozen=True, slots=True)
class QuestionView:
    score: QuestionScore
    anchor: str
    status: str
    """``full``, ``partial``, ``zero`` or ``unanswered``: a CSS class and a badge."""
    icon: str
    label: str
    criteria: tuple[CriterionView, ...]
    answer_html: Markup | None
    found_by: str | None
    code: tuple[CodeView, ...]
    gallery: tuple[Shot, ...]
    """Screenshots of the answer not placed inline (e.g. inside copied statement lines)."""
    image_problems: tuple[Shot, ...]
    """Image references not placed inline that cannot be shown, with the reason."""
    expected: str | None
    notes: str | None
    """Instructor view only: ``None`` in the student view."""
    ocr: tuple[OcrView, ...] = ()
    """Text read in the answer's screenshots (collapsed on the page), one per screenshot."""

    @property
    def lines(self) -> str | None:
        if self.score.lines is None:
            return None
        first, last = self.score.lines
        return f"ligne {first}" if first == last else f"lignes {first}–{last}"


@dataclass(frozen=True, slots=True)
class ExerciseView:
    number: int
    title: str
    anchor: str
    questions: tuple[QuestionView, ...]

    @property
    def score(self) -> float:
        return round(sum(q.score.score for q in self.questions), 4)

    @property
    def points(self) -> float:
        return round(sum(q.score.points for q in self.questions), 4)

    @property
    def fraction(self) -> float:
        return self.score / self.points if self.points else 0.0


@dataclass(frozen=True, slots=True)
class DiagnosticView:
    diagnostic: Diagnostic
    icon: str
    label: str
    family: str


def diagnostic_view(diagnostic: Diagnostic) -> DiagnosticView:
    icon, label = SEVERITY_LABELS.get(diagnostic.severity, ("ℹ", "Info"))
    family = DIAGNOSTIC_FAMILIES.get(diagnostic.code.split(".", 1)[0], diagnostic.code)
    return DiagnosticView(diagnostic, icon, label, family)


def visible_diagnostics(diagnostics: tuple[Diagnostic, ...], audience: str
                        ) -> tuple[Diagnostic, ...]:
    if audience == "instructor":
        return diagnostics
    return tuple(d for d in diagnostics if not d.code.startswith(INSTRUCTOR_ONLY_DIAGNOSTICS))


def question_status(score: QuestionScore) -> tuple[str, str, str]:
    """(css status, icon, French label) of a whole question."""
    if not score.answered and score.score == 0:
        return "unanswered", "∅", "Non répondu"
    if score.points and score.score >= score.points:
        return "full", "✓", "Réussi"
    if score.score <= 0:
        return "zero", "✗", "Aucun point"
    return "partial", "◐", "Partiel"


def anchor_for(question_id: str) -> str:
    return "q-" + "".join(c if c.isalnum() else "-" for c in question_id)


def _where(source: str, line: int | None) -> str:
    text = where(Evidence("", source, line))
    return text[:1].upper() + text[1:]


class SheetBuilder:
    """Builds the views of one graded submission for one audience."""

    def __init__(self, graded: Graded, *, audience: str, rubric: Rubric | None,
                 store: ImageStore, thumbnail: Callable[[Shot], Any],
                 answers: dict[str, Any] | None = None) -> None:
        self.graded = graded
        # Rendered answers by question id: the same for every audience, so the
        # builders of one student's pages may share them.
        self._answers = answers if answers is not None else {}
        self.audience = audience
        self.rubric = rubric if rubric is not None and rubric.id == graded.sheet.rubric else None
        self.store = store
        self.thumbnail = thumbnail

    @property
    def sheet(self) -> ScoreSheet:
        return self.graded.sheet

    def exercises(self) -> tuple[ExerciseView, ...]:
        groups: dict[int, list[QuestionView]] = {}
        for score in self.sheet.questions:
            groups.setdefault(self._exercise_of(score.id), []).append(self.question(score))
        views = []
        for number, questions in groups.items():
            title = f"Exercice {number}"
            if self.rubric is not None:
                exercise = next((e for e in self.rubric.exercises if e.number == number), None)
                if exercise is not None:
                    title = f"Exercice {number} — {exercise.title}"
            views.append(ExerciseView(number, title, f"ex-{number}", tuple(questions)))
        return tuple(views)

    def _exercise_of(self, question_id: str) -> int:
        if self.rubric is not None and (q := self.rubric.question(question_id)) is not None:
            return q.exercise
        head = question_id.split(".", 1)[0]
        return int(head) if head.isdigit() else 0

    def question(self, score: QuestionScore) -> QuestionView:
        answer = self.graded.report.answer(score.id) if score.answered else None
        status, icon, label = question_status(score)
        criteria = tuple(self._criterion(r) for r in score.results)
        if score.id not in self._answers:
            self._answers[score.id] = self._answer(score, answer)
        answer_html, gallery, problems, ocr = self._answers[score.id]
        expected = notes = None
        if self.audience == "instructor" and self.rubric is not None:
            question = self.rubric.question(score.id)
            if question is not None:
                expected, notes = question.expected, question.notes
        return QuestionView(
            score=score, anchor=anchor_for(score.id), status=status, icon=icon, label=label,
            criteria=criteria, answer_html=answer_html,
            found_by=FOUND_BY.get(answer.found_by, answer.found_by) if answer else None,
            code=self._code(score, answer), gallery=gallery, image_problems=problems,
            expected=expected, notes=notes, ocr=ocr)

    def _criterion(self, result: CriterionResult) -> CriterionView:
        icon, label = STATUS_LABELS.get(result.status, ("?", str(result.status)))
        evidence = tuple(
            EvidenceView(e.text, _where(e.source, e.line), e.source.startswith("screenshot:"))
            for e in result.evidence[:6])
        return CriterionView(result, icon, label, evidence)

    def _answer(self, score: QuestionScore, answer: Answer | None
                ) -> tuple[Markup | None, tuple[Shot, ...], tuple[Shot, ...],
                           tuple[OcrView, ...]]:
        if answer is None:
            return None, (), (), ()
        shots, ocr = self._ocr([self.store.shot(ref) for ref in answer.images], score)
        source, placed = prepare_source(answer, shots)
        marks = marks_pattern(e.text for r in score.results for e in r.evidence
                              if e.source == "answer")
        html = render_markdown(source, first_line=answer.lines[0], marks=marks, shots=placed,
                               blocks=answer.code_blocks, thumbnail=self.thumbnail)
        inline = {id(s) for s in placed.values()}
        rest = [s for s in shots if id(s) not in inline]
        # Shots placed in the answer show their own note when missing; the others are
        # shown below it (thumbnails) or listed (problems).
        return (html, tuple(s for s in rest if s.shown),
                tuple(s for s in rest if not s.shown), ocr)

    def _ocr(self, shots: list[Shot], score: QuestionScore
             ) -> tuple[list[Shot], tuple[OcrView, ...]]:
        """Each readable screenshot's recognised text (passages matched by a criterion
        marked: escaped first, then marked), and its thumbnail linked to it."""
        readings = {image.path: image for image in score.images}
        views: dict[str, OcrView] = {}
        linked: list[Shot] = []
        for shot in shots:
            reading = readings.get(shot.label)
            if reading is None or not reading.found:
                linked.append(shot)
                continue
            if shot.label not in views:
                anchor = f"ocr-{shot.anchor}"
                if reading.ocr_text is None:
                    views[shot.label] = OcrView(anchor, shot.label, None,
                                                reading.note or "OCR non disponible")
                else:
                    source = f"screenshot:{shot.label}"
                    found = [e.text for r in score.results for e in r.evidence
                             if e.source == source and e.text != shot.ref.src]
                    pattern = marks_pattern(found)
                    html = highlight_text(reading.ocr_text, pattern)
                    views[shot.label] = OcrView(anchor, shot.label, Markup(html), None,
                                                html.count("<mark>"))
            view = views[shot.label]
            label = "texte reconnu (OCR)" if view.html is not None else view.note or ""
            linked.append(replace(shot, ocr_anchor=view.anchor, ocr_label=label))
        return linked, tuple(views.values())

    def _code(self, score: QuestionScore, answer: Answer | None) -> tuple[CodeView, ...]:
        """Code a criterion found outside the answer (elsewhere in the report, or a file of
        the submission), and rebuilt versions of broken blocks of the answer."""
        views: list[CodeView] = []
        seen: set[str] = set()
        report = self.graded.report
        sources = {s.path: s for s in self.graded.submission.sources}
        marks = marks_pattern(e.text for r in score.results for e in r.evidence)
        if answer is not None:
            for block in answer.code_blocks:
                if block.repaired is not None and block.origin is not CodeOrigin.INLINE:
                    views.append(CodeView(
                        f"Version reconstruite du bloc des lignes {block.lines[0]}–"
                        f"{block.lines[1]} (mise en forme perdue dans le rapport)",
                        highlight_code(block.repaired, kind=block.kind, marks=marks)))
        for result in score.results:
            for evidence in result.evidence:
                source = evidence.source
                if source.startswith("file:") and source not in seen:
                    seen.add(source)
                    file = sources.get(source[5:])
                    if file is None:
                        continue
                    text, cut = _head(file.text)
                    lines = (evidence.line,) if evidence.line else ()
                    title = f"Fichier {file.path}" + (" (début)" if cut else "")
                    views.append(CodeView(title, highlight_code(
                        text, file_kind=file.kind, lines=lines, marks=marks)))
                elif source == "report" and evidence.line is not None:
                    found = next((b for b in report.code_blocks
                                  if b.lines[0] <= evidence.line <= b.lines[1]), None)
                    if found is None or f"report:{found.lines[0]}" in seen:
                        continue
                    seen.add(f"report:{found.lines[0]}")
                    views.append(CodeView(
                        f"Ailleurs dans le rapport, lignes {found.lines[0]}–{found.lines[1]}",
                        highlight_code(found.effective_text, kind=found.kind, marks=marks)))
        return tuple(views[:MAX_CODE_VIEWS])


def _head(text: str) -> tuple[str, bool]:
    lines = text.split("\n")
    if len(lines) <= MAX_CODE_LINES:
        return text, False
    return "\n".join(lines[:MAX_CODE_LINES]), True

