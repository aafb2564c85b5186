"""Parse a decoded report into answers by question id (the second pipeline stage).

``parse_report`` turns the ``Submission``'s text into a ``Report`` for one
lab's rubric; ``detect_lab`` parses with every known rubric and keeps the one
whose questions the report covers best, or none when nothing fits (a report
of another lab, a general Docker guide).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from grader.models import (
    Answer,
    Diagnostic,
    ImageRef,
    ImageStatus,
    Report,
    Severity,
    Submission,
)
from grader.parse.images import ImageResolver, find_image_refs, resolve_all
from grader.parse.prompts import PromptIndex, prompt_index
from grader.parse.signatures import affinity_model
from grader.parse.structure import Draft, align, settle_tentative
from grader.parse.units import Unit, UnitKind, build_units
from grader.rubric import Rubric

__all__ = ["MIN_FIT", "LabFit", "detect_lab", "named_for", "parse_report", "parse_text"]

MIN_FIT = 0.5
"""Share of a lab's graded questions a report must answer recognisably to be that lab's.
On the corpora, TP1 and TP2 reports score 0.67–1.0 on their own lab and 0.06–0.47 on
the other; guides and other labs' reports 0–0.26 (``detect_lab`` on
``../shared/corpus`` and ``../shared/corpus-tp2``)."""
NAME_HINT_BONUS = 0.05
"""Ranking bonus when the file name says which lab it is (``rapport_tp1.md``)."""
NAMED_MIN_FIT = 0.2
"""A report named for a lab (``rapport_tp1.md``) that no lab fits by ``MIN_FIT`` is still
that lab's when it fits it this well: an unfinished report, graded with a
``lab.by_name`` warning. The first half of each corpus report fits its own lab
0.22–0.48 (and TP1's first exercises look like TP2's: up to 0.44). Other labs' reports
and guides fit TP1 0–0.26: one of them named ``rapport_tp1.md`` may be graded as TP1,
with that warning, which beats no mark at all for a real unfinished report. Seed 003
(another course's TP2) fits this TP2 0.12."""
NAMED_SURE_FIT = 0.6
"""A report named for a lab that fits it this well is that lab's: the other labs are
not tried (a parse each). Above every cross-lab fit seen on the corpora (0.47)."""


def parse_text(text: str, rubric: Rubric, *, path: str | None = None,
               resolver: ImageResolver | None = None) -> Report:
    """Split ``text`` into answers to ``rubric``'s questions."""
    if "\r" in text:  # callers that did not decode through ``grader.decode``
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    units = build_units(text)
    settle_tentative(units, rubric)
    _mark_prompts(units, prompt_index(rubric))
    drafts = align(units, rubric)
    resolver = resolver or ImageResolver(None)
    raw_refs = find_image_refs(lines)
    images, notes = resolve_all(raw_refs, resolver)
    diagnostics = [Diagnostic("image.resolved_by_name", note, Severity.INFO, line)
                   for line, note in notes]
    built_answers: list[tuple[Answer, Draft]] = []
    unanswered: list[Draft] = []
    for draft in drafts:
        built = _answer(draft, lines, images)
        if built is None:
            unanswered.append(draft)
        else:
            built_answers.append((built, draft))
    answers = _unique(built_answers, diagnostics)
    found = {a.id for a in answers}
    for draft in unanswered:
        missing = [i for i in draft.ids if i not in found]
        if missing:
            diagnostics.append(Diagnostic(
                "answer.prompt_only",
                f"{', '.join(missing)}: only the lab statement's text was found, no answer",
                Severity.INFO, draft.units[0].start + 1 if draft.units else None))
    order = {q.id: i for i, q in enumerate(rubric.questions)}
    answers.sort(key=lambda a: (order.get(a.id, 999), a.lines[0]))
    code_blocks = tuple(u.code for u in units if u.code is not None)
    absent = [image for image in images if image.status is ImageStatus.MISSING]
    if absent:
        shown = ", ".join(repr(image.src) for image in absent[:5])
        more = f" and {len(absent) - 5} more" if len(absent) > 5 else ""
        diagnostics.append(Diagnostic(
            "image.missing", f"{len(absent)} referenced image(s) not in the submission: "
            f"{shown}{more}; ask the student to commit them", Severity.WARNING,
            absent[0].line))
    for image in images:
        if image.status is ImageStatus.OUTSIDE:
            diagnostics.append(Diagnostic("image.outside",
                                          f"image {image.src!r} points outside the submission "
                                          "folder; it was not read", Severity.WARNING, image.line))
    return Report(path=path, text=text, lab=rubric.id, answers=tuple(answers),
                  code_blocks=code_blocks, images=tuple(images), diagnostics=tuple(diagnostics))


_PRIORITY = {"label": 0, "step": 1, "letter": 1, "signature": 2}


def _unique(built: Sequence[tuple[Answer, Draft]], diagnostics: list[Diagnostic]) -> list[Answer]:
    """One answer per id: an explicit label beats a step number, which beats a guess."""
    chosen: dict[str, Answer] = {}
    for answer, draft in built:
        for note in draft.notes:
            diagnostics.append(Diagnostic("answer.relabelled", note, Severity.INFO,
                                          answer.lines[0]))
        for question_id in draft.ids:
            other = chosen.get(question_id)
            if other is None:
                chosen[question_id] = _with_id(answer, question_id)
                continue
            keep_new = _PRIORITY[answer.found_by] < _PRIORITY[other.found_by]
            kept, dropped = (answer, other) if keep_new else (other, answer)
            if keep_new:
                chosen[question_id] = _with_id(answer, question_id)
            if _PRIORITY[answer.found_by] == _PRIORITY[other.found_by]:
                diagnostics.append(Diagnostic(
                    "answer.duplicate",
                    f"{question_id} is answered twice (lines {other.lines[0]} and "
                    f"{answer.lines[0]}); the answer at line {kept.lines[0]} is used",
                    Severity.WARNING, dropped.lines[0]))
    return list(chosen.values())


def _with_id(answer: Answer, question_id: str) -> Answer:
    return Answer(id=question_id, lines=answer.lines, text=answer.text,
                  student_text=answer.student_text, prompt_lines=answer.prompt_lines,
                  code_blocks=answer.code_blocks, images=answer.images,
                  found_by=answer.found_by, label=answer.label)


def _mark_prompts(units: Sequence[Unit], index: PromptIndex) -> None:
    """Flag units that copy the statement; commands only count as copies in a copied run."""
    for unit in units:
        if unit.kind in (UnitKind.TEXT, UnitKind.HEADING):
            text = unit.marker.rest if unit.marker is not None else unit.text
            # A line of code pasted as text is not statement prose: the lab's code
            # appears in many questions and in the answers that reproduce it.
            match = index.match_line(text) if _is_prose(text) else None
            if match is None:
                match = index.match_title(text)
                unit.prompt_by_title = match is not None
            if match is not None:
                unit.is_prompt = True
                unit.prompt_of = match.question
    # A short line of the statement (a bullet, "docker ps -a") only counts as copied
    # when it sits next to copied text; typed alone it is the student's own.
    for i, unit in enumerate(units):
        if unit.is_prompt or unit.kind is not UnitKind.TEXT or unit.marker is not None:
            continue
        before = units[i - 1] if i else None
        after = units[i + 1] if i + 1 < len(units) else None
        near = [u for u in (before, after)
                if u is not None and u.is_prompt and not u.prompt_by_title
                and u.kind is UnitKind.TEXT and u.marker is None]
        if near and index.is_statement_line(unit.text):
            unit.is_prompt = True
            unit.prompt_of = near[0].prompt_of
    for i, unit in enumerate(units):
        if unit.code is None:
            continue
        skeleton = "___" in unit.code.text
        neighbours = [units[j] for j in (i - 1, i + 1) if 0 <= j < len(units)]
        # Statement code the student reproduced after a label line ("Question 2.c.
        # Mettre à jour docker-compose.yml") is their answer; only code inside a run of
        # pasted statement prose is the statement's own.
        among_copied = any(n.is_prompt and n.kind is UnitKind.TEXT and n.marker is None
                           and not n.prompt_by_title for n in neighbours)
        if not (skeleton or among_copied):
            continue
        match = index.match_code(unit.code.text, among_copied=among_copied)
        if match is not None:
            unit.is_prompt = True
            unit.prompt_of = match.question


def _answer(draft: Draft, lines: list[str], images: Sequence[ImageRef]) -> Answer | None:
    units = sorted(draft.units, key=lambda u: u.start)
    if not units:
        return None
    if draft.found_by != "label":
        # A pasted statement above the answer is not the answer: skip a leading run of
        # copied text when it holds real statement prose, not just a retyped title.
        lead = 0
        while lead < len(units):
            if units[lead].is_prompt:
                lead += 1
                continue
            # A few short lines between two pasted statement lines (a list of downloads
            # that lost its links, "Puis :") are part of the pasted statement.
            after = lead
            while after < len(units) and _is_connector(units[after]):
                after += 1
            if after > lead and after < len(units) and units[after].is_prompt:
                lead = after
                continue
            break
        pasted = [u for u in units[:lead] if u.is_prompt and not u.prompt_by_title
                  and u.kind is not UnitKind.HEADING]
        if lead and pasted:
            units = units[lead:]
    while units and units[-1].kind is UnitKind.RULE:
        units = units[:-1]
    if not units:
        return None
    own = [u for u in units if not u.is_prompt and u is not draft.marker_unit
           and u.kind is not UnitKind.RULE]
    marker_rest = ""
    marker_unit = draft.marker_unit
    if marker_unit is not None and marker_unit.marker is not None and not marker_unit.is_prompt:
        marker_rest = marker_unit.marker.rest
    if not own and not marker_rest.strip() and not _has_images(units, images):
        return None
    start = units[0].start
    end = units[-1].end
    prompt_lines = tuple(line + 1 for u in units if u.is_prompt
                         for line in range(u.start, u.end + 1))
    student_parts = [marker_rest] if marker_rest else []
    student_parts += [u.text for u in own]
    code_blocks = tuple(u.code for u in units if u.code is not None and not u.is_prompt)
    in_range = tuple(img for img in images if start + 1 <= img.line <= end + 1)
    return Answer(id=draft.ids[0], lines=(start + 1, end + 1),
                  text="\n".join(lines[start:end + 1]),
                  student_text="\n".join(p for p in student_parts if p.strip()),
                  prompt_lines=prompt_lines, code_blocks=code_blocks, images=in_range,
                  found_by=draft.found_by, label=draft.label)


_PROSE_WORD = re.compile(r"(?<![\w.])[^\W\d_]{3,}(?![\w(])")


def _is_prose(text: str) -> bool:
    """At least two plain words: "Complétez la fonction", not ``gdf.expect_x([``."""
    return len(_PROSE_WORD.findall(text)) >= 2


def _is_connector(unit: Unit) -> bool:
    """A few words between two copied statement lines (``Puis :``, ``* le port ;``)."""
    return (unit.kind is UnitKind.TEXT and len(unit.text.split()) <= 5
            and "![" not in unit.text and "<img" not in unit.text.lower())


def _has_images(units: Sequence[Unit], images: Sequence[ImageRef]) -> bool:
    lines = {line + 1 for u in units for line in range(u.start, u.end + 1)}
    return any(img.line in lines for img in images)


@dataclass(frozen=True, slots=True)
class LabFit:
    rubric: Rubric
    report: Report
    fit: float
    """Share of the lab's graded questions found with content that looks like their answer."""


def _fit(report: Report, rubric: Rubric, *, enough: float | None = None) -> float:
    """Share of the lab's graded questions whose answer looks like one. With ``enough``,
    counting stops once that share is reached (a forced lab only needs to know whether
    it fits): the value returned is then only a lower bound."""
    graded = [q for q in rubric.questions if q.graded]
    if not graded:
        return 0.0
    model = affinity_model(rubric, graded)
    index = {q.id: i for i, q in enumerate(graded)}
    recognised = 0.0
    for answer in report.answers:
        if answer.id not in index:
            continue
        code_match = any(
            (rubric.question(answer.id) or graded[0]).code is block.kind
            for block in answer.code_blocks)
        unit = Unit(UnitKind.TEXT, 0, 0, answer.student_text or answer.text)
        # The expected kind of code, or more than one weak keyword: a signature command,
        # or two of the key's words (scored only when the code does not already say so).
        if code_match or model.score(unit, index[answer.id]) > 0.5:
            recognised += 1
        elif answer.found_by != "signature" and answer.images:
            # A labelled screenshot: labels (``2.a``) are shared between labs, so it
            # counts half; a report answered only with labelled screenshots still fits.
            recognised += 0.5
        if enough is not None and recognised >= enough * len(graded):
            break
    return recognised / len(graded)


def named_for(path: str | None, rubric: Rubric) -> bool:
    """The report's file name says it is this lab's (``rapport_tp2.md``)."""
    hint = PurePosixPath(path).stem.lower() if path else ""
    return bool(hint) and any(h.lower() in hint for h in rubric.report_hints)


def detect_lab(text: str, rubrics: Sequence[Rubric], *, path: str | None = None,
               resolver: ImageResolver | None = None) -> tuple[LabFit | None, list[LabFit]]:
    """Parse with every rubric; the best-ranked fit above ``MIN_FIT`` (a lab the file is
    named for ranks ``NAME_HINT_BONUS`` higher, but a fit above ``MIN_FIT`` beats a
    named one below it), else the lab the file is named for when it fits it by
    ``NAMED_MIN_FIT``; and the fits, best first.

    A report named for a lab (``rapport_tp2.md``) is parsed with that lab first, and
    when it fits it surely (``NAMED_SURE_FIT``) the others are not tried."""
    fits: list[LabFit] = []

    def named(rubric: Rubric) -> bool:
        return named_for(path, rubric)

    def rank(fit: LabFit) -> float:
        return fit.fit + (NAME_HINT_BONUS if named(fit.rubric) else 0.0)

    for rubric in sorted(rubrics, key=lambda r: not named(r)):
        report = parse_text(text, rubric, path=path, resolver=resolver)
        fits.append(LabFit(rubric, report, _fit(report, rubric)))
        if named(rubric) and fits[-1].fit >= NAMED_SURE_FIT:
            break
    fits.sort(key=rank, reverse=True)
    best = next((f for f in fits if f.fit >= MIN_FIT), None)
    if best is None:  # an unfinished report: its name says which lab
        best = next((f for f in fits if named(f.rubric) and f.fit >= NAMED_MIN_FIT), None)
    return best, fits


def parse_report(submission: Submission, rubrics: Sequence[Rubric], *,
                 forced: Rubric | None = None) -> Report:
    """The ``Report`` of a submission: parsed with ``forced`` or with the best-fitting lab."""
    report_dir = str(PurePosixPath(submission.report_path).parent) if submission.report_path else ""
    resolver = ImageResolver(submission.root, "" if report_dir == "." else report_dir,
                             files=[f.path for f in submission.images],
                             embedded=[img.name for img in submission.embedded_images])
    base = list(submission.diagnostics)
    if submission.report_path is None:
        return Report(path=None, text="", lab=forced.id if forced else None, answers=(),
                      diagnostics=tuple(base))
    if forced is not None:
        report = parse_text(submission.text, forced, path=submission.report_path,
                            resolver=resolver)
        fit = _fit(report, forced, enough=MIN_FIT)
        if fit < MIN_FIT:
            base.append(Diagnostic(
                "lab.poor_fit", f"the report answers few questions of {forced.id} "
                f"recognisably ({fit:.0%}); is it the right lab?", Severity.WARNING))
        return _with_diagnostics(report, base)
    best, fits = detect_lab(submission.text, rubrics, path=submission.report_path,
                            resolver=resolver)
    if best is None:
        detail = ", ".join(f"{f.rubric.id}: {f.fit:.0%}" for f in fits) or "no rubric known"
        base.append(Diagnostic(
            "lab.unknown", "the report does not look like any known lab "
            f"({detail} of questions recognised); it was not split into answers. "
            "Pass --rubric to force a lab.", Severity.WARNING))
        report = Report(path=submission.report_path, text=submission.text, lab=None, answers=(),
                        diagnostics=())
        return _with_diagnostics(report, base)
    if best.fit >= MIN_FIT:
        base.append(Diagnostic("lab.detected", f"lab {best.rubric.id} detected "
                               f"({best.fit:.0%} of its questions recognised)", Severity.INFO))
    else:
        base.append(Diagnostic(
            "lab.by_name", f"lab {best.rubric.id} taken from the report's name "
            f"({submission.report_path}): only {best.fit:.0%} of its questions are "
            "recognised; an unfinished report?", Severity.WARNING))
    return _with_diagnostics(best.report, base)


def _with_diagnostics(report: Report, first: Sequence[Diagnostic]) -> Report:
    return Report(path=report.path, text=report.text, lab=report.lab, answers=report.answers,
                  code_blocks=report.code_blocks, images=report.images,
                  diagnostics=tuple(first) + report.diagnostics)
