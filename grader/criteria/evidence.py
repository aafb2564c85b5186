"""Criteria on the screenshots an answer references."""

from __future__ import annotations

from pydantic import Field

from grader.criteria.base import Context, Criterion, Params
from grader.models import Evidence, ImageStatus, Judgement

CREDIT = {
    ImageStatus.FOUND: 1.0,
    ImageStatus.EMBEDDED: 1.0,
    ImageStatus.REMOTE: 1.0,
    ImageStatus.MISSING: 0.5,
    ImageStatus.OUTSIDE: 0.0,
}
"""What one referenced image is worth: a remote one cannot be checked but was shown
to the reader; a missing file is worth ``missing_credit`` (half by default)."""


class ScreenshotParams(Params):
    min: int = Field(1, ge=1)
    """How many screenshots the answer must show."""
    missing_credit: float = Field(0.5, ge=0, le=1)
    """Worth of a screenshot referenced but absent from the submission. A course whose
    instructors take a referenced screenshot at its word sets 1 (rubric ``defaults``)."""


class Screenshots(Criterion):
    """Checks that the answer shows at least ``min`` screenshots.

    What it does: counts the images the answer references. A file present in
    the submission (or embedded in a Word/PDF report) counts fully, a remote
    image (``https://…``) counts but is flagged as not verifiable, a
    referenced file missing from the submission counts half, a path outside
    the folder counts nothing. The rubric may value a missing file differently
    (``missing_credit``), e.g. when instructors grade from the text alone.

    Why: several questions ask for proof that a command ran (a build, a
    ``curl`` response, ``docker ps``); a screenshot is that proof.

    Example::

        - kind: evidence
          min: 1
          missed: "Ajoutez une capture d'écran de la réponse de /health."
    """

    kind = "evidence"
    code = "E601"
    Params = ScreenshotParams
    summary = "at least N screenshots referenced and present"

    @classmethod
    def judge(cls, params: ScreenshotParams, ctx: Context) -> Judgement:
        images = ctx.answer.images if ctx.answer is not None else ()
        credit = dict(CREDIT)
        credit[ImageStatus.MISSING] = params.missing_credit
        credits = sorted((credit[image.status] for image in images), reverse=True)
        earned = sum(credits[: params.min])
        evidence = tuple(Evidence(image.src, f"screenshot:{image.path or image.src}", image.line)
                         for image in images if credit[image.status] > 0)
        notes: list[str] = []
        missing = [i.src for i in images if i.status is ImageStatus.MISSING]
        remote = [i.src for i in images if i.status is ImageStatus.REMOTE]
        if missing:
            shown = ", ".join(missing[:3])
            notes.append(f"capture(s) référencée(s) mais absente(s) du dépôt : {shown}")
        if remote:
            notes.append("capture(s) hébergée(s) en ligne, non vérifiée(s)")
        outside = [i.src for i in images if i.status is ImageStatus.OUTSIDE]
        if outside:
            notes.append("capture(s) hors du dossier rendu, non lue(s) : "
                         + ", ".join(outside[:3]))
        if not images:
            notes.append("aucune capture dans la réponse")
        return Judgement(min(1.0, earned / params.min), evidence, "; ".join(notes) or None)
