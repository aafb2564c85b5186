"""Criteria made of other criteria: the best of alternatives, or all of several checks."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from grader.criteria.base import Context, Criterion, Params
from grader.models import Evidence, Judgement, Status

_OWN_KEYS = ("kind", "credit", "weight")


def _check_parts(parts: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
    from grader.criteria import REGISTRY

    for index, part in enumerate(parts):
        kind = part.get("kind")
        if kind not in REGISTRY:
            raise ValueError(f"part {index + 1} has kind {kind!r}; use one of: "
                             f"{', '.join(REGISTRY)}")
        credit = part.get("credit", 1)
        weight = part.get("weight", 1)
        if not isinstance(credit, int | float) or not 0 < credit <= 1:
            raise ValueError(f"part {index + 1}: credit must be a number in ]0, 1]")
        if not isinstance(weight, int | float) or weight <= 0:
            raise ValueError(f"part {index + 1}: weight must be a positive number")
        REGISTRY[kind].parse({k: v for k, v in part.items() if k not in _OWN_KEYS})
    return parts


def _judge_part(part: dict[str, Any], ctx: Context) -> Judgement:
    from grader.criteria import REGISTRY

    kind = REGISTRY[part["kind"]]
    judgement = kind.judge(kind.parse({k: v for k, v in part.items() if k not in _OWN_KEYS}), ctx)
    credit = float(part.get("credit", 1))
    if credit == 1:
        return judgement
    return Judgement(judgement.fraction * credit, judgement.evidence, judgement.detail,
                     judgement.advice, judgement.status)


class AnyParams(Params):
    of: tuple[dict[str, Any], ...] = Field(min_length=2)
    """Alternatives, each a criterion (``kind`` and its parameters) with an optional
    ``credit`` (share of full credit it can earn, default 1)."""

    @field_validator("of")
    @classmethod
    def _valid_parts(cls, parts: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        return _check_parts(parts)


class AnyOf(Criterion):
    """Earns the best credit among alternative criteria.

    What it does: judges each alternative and keeps the one earning most, with
    its evidence. An alternative's ``credit`` caps what it can earn, so that a
    screenshot alone can be worth half of an explanation.

    Why: the same fact can be shown in several ways: the ``/health`` response
    as a screenshot *or* pasted as text; an explanation is worth full credit,
    a screenshot without a word half.

    Example::

        - kind: any
          of:
            - {kind: concepts, groups: [[processus principal, main process]]}
            - {kind: evidence, min: 1, credit: 0.5}
          missed: "Expliquez pourquoi le conteneur est Exited."
    """

    kind = "any"
    code = "X901"
    Params = AnyParams
    summary = "the best of several alternative criteria (each with an optional credit)"

    @classmethod
    def judge(cls, params: AnyParams, ctx: Context) -> Judgement:
        judgements = [_judge_part(part, ctx) for part in params.of]
        ran = [j for j in judgements if j.status is not Status.NOT_RUN]
        if not ran:  # nothing could run here (no sandbox, no OCR)
            return judgements[0]
        best = max(ran, key=lambda j: j.fraction)  # first of the best, in rubric order
        if best.fraction >= 1:
            return best
        # Say what the best alternative misses; when none earned anything, what the
        # first (main) one misses: "aucune capture" after a code check is noise.
        shown = best if best.fraction > 0 else ran[0]
        return Judgement(best.fraction, best.evidence, shown.detail, best.advice, best.status)


class AllParams(Params):
    of: tuple[dict[str, Any], ...] = Field(min_length=2)
    """Checks, each a criterion (``kind`` and parameters) with an optional ``weight``."""

    @field_validator("of")
    @classmethod
    def _valid_parts(cls, parts: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        return _check_parts(parts)


class AllOf(Criterion):
    """Earns the weighted share of several checks, as one criterion.

    What it does: judges every check and averages their fractions by weight;
    the feedback lists what each failing check is missing.

    Why: inside an ``any``, a complete piece of work (every service of a
    compose file) must compete as one alternative against, say, a screenshot.

    Example::

        - kind: any
          of:
            - kind: all
              of:
                - {kind: compose, check: image, service: db, pattern: 'postgres:16'}
                - {kind: compose, check: build, service: api, context: ./api}
            - {kind: evidence, min: 1}
          missed: "Donnez le docker-compose.yml complet."
    """

    kind = "all"
    code = "X902"
    Params = AllParams
    summary = "the weighted share of several checks"

    @classmethod
    def judge(cls, params: AllParams, ctx: Context) -> Judgement:
        total = earned = 0.0
        evidence: list[Evidence] = []
        details: list[str] = []
        advice: list[str] = []
        for part in params.of:
            judgement = _judge_part(part, ctx)
            if judgement.status is Status.NOT_RUN:
                continue  # as in the engine: a check that could not run does not count
            weight = float(part.get("weight", 1))
            total += weight
            earned += weight * judgement.fraction
            evidence.extend(judgement.evidence)
            advice.extend(judgement.advice)
            if judgement.fraction < 1 and judgement.detail:
                details.append(judgement.detail)
        if total == 0:
            return Judgement(0.0, status=Status.NOT_RUN)
        return Judgement(earned / total, tuple(evidence)[:6],
                         "; ".join(dict.fromkeys(details)) or None, tuple(dict.fromkeys(advice)))
