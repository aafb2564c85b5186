"""The engine: apply a rubric's criteria to a report and weigh them into points.

Criteria judge, the engine scores, views display. A question earns its points
times the weighted share of its criteria (criteria that could not run here,
such as sandbox checks without ``--sandbox``, are left out of the share), capped
by any unmet criterion that carries a ``cap``. A criterion that raises becomes
an ERROR result on its question; the rest of the sheet is unaffected.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from grader.criteria import REGISTRY, Context
from grader.criteria.screens import wrong_screenshots
from grader.models import (
    Answer,
    CriterionResult,
    Diagnostic,
    ImageReading,
    ImageStatus,
    Judgement,
    Override,
    QuestionScore,
    Report,
    ScoreSheet,
    Severity,
    SourceFile,
    Status,
)
from grader.rubric import CriterionSpec, Question, Rubric

log = logging.getLogger(__name__)

SCORE_DECIMALS = 2


@lru_cache(maxsize=4096)
def _parsed(kind: str, params_json: str) -> Any:
    return REGISTRY[kind].parse(json.loads(params_json))


_BY_SPEC: dict[int, tuple[CriterionSpec, Any]] = {}


def _params(spec: CriterionSpec) -> Any:
    """A criterion's validated parameters: parsed once per distinct parameters, and looked
    up by the spec itself afterwards (a class's reports share one rubric's specs; each
    entry keeps its spec alive, so its id cannot be reused by another)."""
    hit = _BY_SPEC.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    params = _parsed(spec.kind, json.dumps(spec.params, sort_keys=True))
    if len(_BY_SPEC) >= 4096:
        _BY_SPEC.clear()
    _BY_SPEC[id(spec)] = (spec, params)
    return params


def _status(judgement: Judgement) -> Status:
    if judgement.status is not None:
        return judgement.status
    if judgement.fraction >= 1:
        return Status.MET
    if judgement.fraction > 0:
        return Status.PARTIAL
    return Status.MISSED


def _feedback(spec: CriterionSpec, status: Status, judgement: Judgement | None) -> str:
    if status is Status.MET:
        return spec.met or ""
    text = spec.missed
    if judgement is not None and judgement.detail and status is not Status.NOT_RUN:
        text = f"{text} ({judgement.detail})"
    return text


def judge_criterion(spec: CriterionSpec, index: int, ctx: Context) -> CriterionResult:
    kind = REGISTRY[spec.kind]
    code = f"{kind.code}:{ctx.question.id}#{index + 1}"
    cap = spec.cap
    try:
        params = _params(spec)
        judgement = kind.judge(params, ctx)
    except Exception as exc:  # a criterion's bug must not sink the sheet
        log.exception("criterion %s failed", code)
        return CriterionResult(code, spec.kind, spec.weight, Status.ERROR, 0.0,
                               f"{spec.missed} (erreur interne du critère : "
                               f"{type(exc).__name__}: {exc})", cap=cap)
    fraction = max(0.0, min(1.0, judgement.fraction))
    status = _status(judgement)
    return CriterionResult(code, spec.kind, spec.weight, status, fraction,
                           _feedback(spec, status, judgement), judgement.evidence,
                           judgement.advice, cap=cap)


def question_share(results: Sequence[CriterionResult]) -> float:
    """The weighted share of a question earned, after caps, ignoring NOT_RUN criteria."""
    counted = [r for r in results if r.status is not Status.NOT_RUN]
    weight = sum(r.weight for r in counted)
    if weight <= 0:
        return 0.0
    share = sum(r.weight * r.fraction for r in counted) / weight
    for result in counted:
        if result.cap is not None and result.fraction < 1:
            share = min(share, result.cap)
    return share


OCR_NOT_RUN = "OCR non disponible"
"""Note of a screenshot whose text was not read because OCR did not run at all."""
OCR_FAILED = "capture illisible par l'OCR"


def image_readings(answer: Answer | None, ocr: Mapping[str, str] | None,
                   note: str | None = None) -> tuple[ImageReading, ...]:
    """The answer's screenshots with the text OCR read in each (``ocr``: path → text,
    ``None`` when OCR did not run; ``note`` then says why)."""
    if answer is None:
        return ()
    readings: dict[str, ImageReading] = {}
    for image in answer.images:
        path = image.path or image.src
        found = image.status in (ImageStatus.FOUND, ImageStatus.EMBEDDED)
        if path in readings:
            continue
        if not found:
            readings[path] = ImageReading(path, False)
        elif ocr is None:
            readings[path] = ImageReading(path, True, None, note or OCR_NOT_RUN)
        elif path in ocr:
            readings[path] = ImageReading(path, True, ocr[path])
        else:
            readings[path] = ImageReading(path, True, None, OCR_FAILED)
    return tuple(readings.values())


def score_question(question: Question, ctx: Context,
                   override: Override | None = None,
                   images: tuple[ImageReading, ...] = ()) -> QuestionScore:
    results = tuple(judge_criterion(spec, i, ctx) for i, spec in enumerate(question.criteria))
    auto = round(question.points * question_share(results), SCORE_DECIMALS)
    answer = ctx.answer
    return QuestionScore(id=question.id, title=question.title, points=question.points,
                         auto_score=auto, answered=answer is not None, results=results,
                         lines=answer.lines if answer is not None else None, override=override,
                         images=images)


def score_report(report: Report, rubric: Rubric, *, student: str,
                 sources: Sequence[SourceFile] = (), ocr: Mapping[str, str] | None = None,
                 sandbox: Any = None, overrides: Mapping[str, Override] | None = None,
                 diagnostics: Sequence[Diagnostic] = (), ocr_note: str | None = None
                 ) -> ScoreSheet:
    """Grade every graded question of ``rubric`` on ``report``. ``ocr`` is the text read
    in the answers' screenshots (image path → text), ``None`` when OCR did not run
    (``ocr_note`` then says why on each screenshot, default « OCR non disponible »)."""
    overrides = overrides or {}
    questions: list[QuestionScore] = []
    texts = dict(ocr or {})
    for question in rubric.graded_questions:
        answer = report.answer(question.id)
        ctx = Context(question=question, answer=answer, report=report,
                      sources=tuple(sources), ocr=texts, sandbox=sandbox)
        questions.append(score_question(question, ctx, overrides.get(question.id),
                                        image_readings(answer, ocr, ocr_note)))
    notes = list(diagnostics)
    if texts:
        notes.extend(wrong_screenshots(report, rubric, texts))
    unanswered = [q.id for q in questions if not q.answered]
    if unanswered:
        notes.append(Diagnostic("answer.not_found", "no answer found for "
                                f"{', '.join(unanswered)}", Severity.INFO))
    return ScoreSheet(student=student, rubric=rubric.id, rubric_title=rubric.title,
                      rubric_digest=rubric.digest, report_path=report.path,
                      questions=tuple(questions), out_of=rubric.scale.out_of,
                      rounding=rubric.scale.rounding, diagnostics=tuple(notes))


def unscored_sheet(student: str, report: Report, diagnostics: Sequence[Diagnostic]) -> ScoreSheet:
    """The sheet of a report that matches no rubric: no questions, no mark."""
    return ScoreSheet(student=student, rubric=None, rubric_title=None, rubric_digest=None,
                      report_path=report.path, questions=(), out_of=None,
                      diagnostics=tuple(diagnostics))
