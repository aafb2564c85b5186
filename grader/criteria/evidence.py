"""Criteria on the screenshots an answer references, and what OCR reads in them."""

from __future__ import annotations

from pydantic import Field, field_validator

from grader.criteria.base import Context, Criterion, Params
from grader.criteria.screens import readable, shown
from grader.models import Evidence, ImageRef, ImageStatus, Judgement

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
    shows: tuple[tuple[str, ...], ...] | None = None
    """Content the screenshots must show, read by OCR: groups of synonyms, every group
    required (``[["PostgreSQL 16"], [demo]]``); matched as ``criteria.screens`` says."""
    unconfirmed_credit: float = Field(0.5, ge=0, le=1)
    """Worth of a screenshot that OCR read but that shows none of ``shows``; one showing
    part of the groups earns in proportion between this and 1."""

    @field_validator("shows")
    @classmethod
    def _groups(cls, shows: tuple[tuple[str, ...], ...] | None
                ) -> tuple[tuple[str, ...], ...] | None:
        if shows is None:
            return None
        if not shows:
            raise ValueError("shows is empty; list at least one group, or remove it")
        for index, group in enumerate(shows):
            if not group or not all(s.strip() for s in group):
                raise ValueError(f"shows group {index + 1} is empty or has an empty "
                                 "synonym; list at least one text per group")
        return shows


class Screenshots(Criterion):
    """Checks that the answer shows at least ``min`` screenshots.

    What it does: counts the images the answer references. A file present in
    the submission (or embedded in a Word/PDF report) counts fully, a remote
    image (``https://…``) counts but is flagged as not verifiable, a
    referenced file missing from the submission counts half, a path outside
    the folder counts nothing. The rubric may value a missing file differently
    (``missing_credit``), e.g. when instructors grade from the text alone.

    With ``shows``, the text OCR read in the answer's screenshots must show
    given content: each group of synonyms is looked for in all of them (OCR noise
    tolerated: folded text, spaces ignored, rapidfuzz ``partial_ratio`` ≥
    85, numbers exact; see ``grader.criteria.screens``). A screenshot
    that OCR read then counts fully only if the answer's screenshots show every
    group, ``unconfirmed_credit`` if they show none, in proportion in between. A
    screenshot OCR did not read (OCR not run or not available, unreadable image, a
    remote one) keeps its presence credit, and the detail says so (« OCR non
    disponible »): grading never gets harsher because Tesseract is missing.

    Why: several questions ask for proof that a command ran (a build, a
    ``curl`` response, ``docker ps``); a screenshot is that proof, and what
    it shows tells a real proof from an unrelated image.

    Example::

        - kind: evidence
          min: 1
          shows: [['{"status":"ok"}', "status: ok", "status:ok"]]
          missed: "Ajoutez une capture d'écran de la réponse de /health."

    Passes: a light or dark terminal capture of ``curl localhost:8000/health``
    answering ``{"status" :"ok"}`` (OCR spacing); fails (``unconfirmed_credit``): a
    capture of ``docker ps`` under that question.
    """

    kind = "evidence"
    code = "E601"
    Params = ScreenshotParams
    summary = ("at least N screenshots referenced and present; with shows, showing given "
               "content (OCR)")

    @classmethod
    def judge(cls, params: ScreenshotParams, ctx: Context) -> Judgement:
        images = ctx.answer.images if ctx.answer is not None else ()
        credit = dict(CREDIT)
        credit[ImageStatus.MISSING] = params.missing_credit
        worth = {id(image): credit[image.status] for image in images}
        notes: list[str] = []
        found: tuple[Evidence, ...] = ()
        if params.shows:
            found = _judge_content(params, ctx, images, worth, notes)
        credits = sorted(worth.values(), reverse=True)
        earned = sum(credits[: params.min])
        evidence = tuple(Evidence(image.src, f"screenshot:{image.path or image.src}", image.line)
                         for image in images if credit[image.status] > 0)
        missing = [i.src for i in images if i.status is ImageStatus.MISSING]
        remote = [i.src for i in images if i.status is ImageStatus.REMOTE]
        if missing:
            shown_ = ", ".join(missing[:3])
            notes.append(f"capture(s) référencée(s) mais absente(s) du dépôt : {shown_}")
        if remote:
            notes.append("capture(s) hébergée(s) en ligne, non vérifiée(s)")
        outside = [i.src for i in images if i.status is ImageStatus.OUTSIDE]
        if outside:
            notes.append("capture(s) hors du dossier rendu, non lue(s) : "
                         + ", ".join(outside[:3]))
        if not images:
            notes.append("aucune capture dans la réponse")
        return Judgement(min(1.0, earned / params.min), found + evidence,
                         "; ".join(notes) or None)


def _judge_content(params: ScreenshotParams, ctx: Context, images: tuple[ImageRef, ...],
                   worth: dict[int, float], notes: list[str]) -> tuple[Evidence, ...]:
    """Lower ``worth`` of the screenshots OCR read when they do not show ``params.shows``;
    the evidence of what they show."""
    assert params.shows is not None
    present = [i for i in images if i.status in (ImageStatus.FOUND, ImageStatus.EMBEDDED)]
    read = [i for i in present if readable(ctx.ocr.get(i.path or ""))]
    if not present:
        return ()
    if not read:
        notes.append("OCR non disponible : seule la présence de la capture est vérifiée"
                     if not ctx.ocr else "capture illisible par l'OCR : seule sa présence "
                     "est vérifiée")
        return ()
    result = shown([(i.path or "", ctx.ocr[i.path or ""]) for i in read], params.shows)
    evidence = tuple(Evidence(text[:120], f"screenshot:{path}")
                     for _, text, path in result.matched)
    if result.missing:
        value = params.unconfirmed_credit + (1 - params.unconfirmed_credit) * result.share
        for image in read:
            worth[id(image)] = min(worth[id(image)], value)
        absent = ", ".join(f"« {params.shows[g][0]} »" for g in result.missing[:3])
        unread = len(present) - len(read)
        notes.append(f"texte lu sur la capture (OCR) sans {absent}"
                     + (f" ; {unread} capture(s) illisible(s) par l'OCR" if unread else ""))
    return evidence

