"""Helpers of the code criteria tests (dockerfile, python, compose): a report built
around one answer's fenced code, with line numbers that match the text built."""

from __future__ import annotations

from grader.criteria.base import Context
from grader.models import Answer, CodeBlock, CodeKind, CodeOrigin, ImageRef, ImageStatus, Report
from grader.rubric import Question


def code_context(question: Question, kind: CodeKind, info: str, answer: str | None, *,
                 elsewhere: str | None = None, sources: tuple = (),
                 screenshot: str | None = None, repaired: str | None = None) -> Context:
    """A report whose answer to ``question`` holds ``answer`` in a fence tagged ``info``
    (rebuilt as ``repaired`` when given), after a screenshot named ``screenshot`` when
    given, and ``elsewhere`` in an untagged fence of another section."""
    lines = ["# Rapport", "", f"#### Question {question.id}"]
    images: tuple[ImageRef, ...] = ()
    if screenshot is not None:
        lines.append(f"![capture]({screenshot})")
        images = (ImageRef(screenshot, "capture", len(lines), ImageStatus.FOUND, screenshot),)
    blocks: list[CodeBlock] = []
    if answer is not None:
        first = len(lines) + 1
        lines += [f"```{info}", *answer.rstrip("\n").split("\n"), "```"]
        blocks.append(CodeBlock(kind, answer, (first, len(lines)), CodeOrigin.FENCED,
                                info=info, repaired=repaired))
    end = len(lines)
    own = tuple(blocks)
    if elsewhere is not None:
        lines += ["", "## Annexe"]
        first = len(lines) + 1
        lines += ["```", *elsewhere.rstrip("\n").split("\n"), "```"]
        blocks.append(CodeBlock(kind, elsewhere, (first, len(lines)), CodeOrigin.FENCED))
    text = "\n".join(lines)
    body = "\n".join(lines[2:end])
    reply = Answer(question.id, (3, end), body, body, code_blocks=own, images=images)
    report = Report("rapport.md", text, "tp1-docker", (reply,), code_blocks=tuple(blocks))
    return Context(question, reply, report, sources)
