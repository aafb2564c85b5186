#!/usr/bin/env python3
"""How stable the parse is when the same reports are typed in other styles.

Usage::

    python scripts/restyle.py [corpus ...] [--style NAME ...]

Students announce the same answer in many ways: ``### 📌 Question 2.a``,
``- [x] 2.a``, ``### Lancer un conteneur (2.b)``, a screenshot pasted by GitHub's
editor as ``<img …>``, a file saved in cp1252. Each style here rewrites every
labelled corpus report (``../shared/corpus``, ``../shared/corpus-tp2``) without
changing which text answers which question, keeping every line where it was; the
report is then parsed as the grader does (bytes decoded, lab detected) and each
graded answer compared with the plain report's parse (with ``--grade``, also its
total points): **lost** (no longer found),
**moved** (its first line moved by more than one line), and how many answers still
start where the instructors' labels say (±3 lines, as in ``evaluate.py``).

The plain corpus is what the parser was tuned on; the unseen reports it is measured
on are typed in styles like these. ``tests/test_restyle.py`` holds the styles that
must not change any answer.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from evaluate import Case, load_cases
from markdown_it import MarkdownIt

from grader.decode import decode_bytes
from grader.errors import GraderError
from grader.ingest import read_submission
from grader.models import Submission
from grader.parse import detect_lab, parse_text
from grader.parse.markers import Marker, MarkerKind
from grader.parse.units import Unit, UnitKind, build_units
from grader.pipeline import grade_submission
from grader.rubric import Rubric, load_all_rubrics

ROOT = Path(__file__).resolve().parents[1]
CORPORA = (ROOT.parent / "shared" / "corpus", ROOT.parent / "shared" / "corpus-tp2")
TOLERANCE = 3


class PlainReport:
    """A plain report's lines, with its code lines and the label lines the parser reads."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        units = build_units(text)
        self.code = {i for u in units if u.kind is UnitKind.CODE for i in range(u.start,
                                                                                u.end + 1)}
        self.labels: dict[int, Unit] = {u.start: u for u in units if _one_line_marker(u)}

    def markers(self, kind: MarkerKind) -> Iterator[tuple[int, Marker, int]]:
        """(line index, marker, heading level) of the label lines of one kind."""
        for i, unit in self.labels.items():
            if unit.marker is not None and unit.marker.kind is kind and i not in self.code:
                yield i, unit.marker, unit.heading_level


def _one_line_marker(unit: Unit) -> bool:
    return (unit.marker is not None and unit.start == unit.end
            and unit.kind in (UnitKind.TEXT, UnitKind.HEADING))


Style = Callable[["PlainReport"], "str | bytes"]


def _labels(write: Callable[[str, str, int], str | None]) -> Style:
    """Rewrite each question label line: ``write(ids, rest, heading level)``."""
    def style(report: PlainReport) -> str:
        lines = list(report.lines)
        for i, marker, level in report.markers(MarkerKind.QUESTION):
            if not marker.ids:
                continue
            ids = " et ".join(marker.ids)
            new = write(ids, marker.rest, level)
            if new is not None:
                quoted = lines[i].lstrip().startswith(">")
                lines[i] = f"> {new}" if quoted and not new.startswith(">") else new
        return "\n".join(lines)
    return style


def _in_exercise(write: Callable[[str, str, int], str | None]) -> Style:
    """Like ``_labels``, for a label whose exercise the nearest exercise label above it
    announces (``Exercice 2``): the styles that drop the exercise number from question
    labels, which a reader can then still place."""
    def style(report: PlainReport) -> str:
        lines = list(report.lines)
        exercises = sorted((i, m.exercise) for i, m, _ in report.markers(MarkerKind.EXERCISE))
        for i, marker, level in report.markers(MarkerKind.QUESTION):
            above = [number for j, number in exercises if j < i]
            if len(marker.ids) != 1 or not above or above[-1] != marker.exercise:
                continue
            new = write(marker.ids[0], marker.rest, level)
            if new is not None:
                quoted = lines[i].lstrip().startswith(">")
                lines[i] = f"> {new}" if quoted and not new.startswith(">") else new
        return "\n".join(lines)
    return style


def _split_id(ids: str) -> tuple[str, str] | None:
    """(exercise, letter) of a single lettered id (``2.a``); ``None`` for merged ids
    (``2.a et 2.b``) and numbered questions (``8.1``)."""
    number, _, sub = ids.partition(".")
    if " " in ids or not number.isdigit() or len(sub) != 1 or sub not in "abcdefgh":
        return None
    return number, sub


def _rank(letter: str) -> int:
    return "abcdefgh".index(letter) + 1


def _question_number(question: str, rest: str, level: int) -> str | None:
    """``## Question 2`` for 2.b: questions numbered within their exercise."""
    split = _split_id(question)
    if split is None:
        return None
    heading = f"{'#' * level} " if level else ""
    return f"{heading}Question {_rank(split[1])}{_rest(rest)}"


def _rest(rest: str) -> str:
    return f" {rest}" if rest else ""


def _numbered_heading(ids: str, rest: str, level: int) -> str | None:
    """``### 2.1 titre`` for 2.a: the questions numbered like sections (one id only)."""
    split = _split_id(ids)
    if split is None:
        return None
    return f"{'#' * (level or 3)} {split[0]}.{_rank(split[1])}{_rest(rest)}"


_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX")


def _roman(ids: str, rest: str, level: int) -> str | None:
    """``**II.a** titre`` for 2.a: the exercise in Roman numerals (one id only)."""
    split = _split_id(ids)
    if split is None or not 1 <= int(split[0]) <= len(_ROMAN):
        return None
    return f"**{_ROMAN[int(split[0]) - 1]}.{split[1]}**{_rest(rest)}"


def _list_paren(ids: str, rest: str, level: int) -> str | None:
    """``2) a) titre`` for 2.a: a numbered list item per question (one id only)."""
    split = _split_id(ids)
    return None if split is None else f"{split[0]}) {split[1]}){_rest(rest)}"


def _exercises(word: Callable[[int], str]) -> Style:
    """Rewrite each exercise label (``Exercice 2``) as ``word(2)``, the title kept."""
    def style(report: PlainReport) -> str:
        lines = list(report.lines)
        for i, marker, _ in report.markers(MarkerKind.EXERCISE):
            if marker.exercise is not None and marker.label in lines[i]:
                lines[i] = lines[i].replace(marker.label, word(marker.exercise), 1)
        return "\n".join(lines)
    return style


def _exercise_titles(report: PlainReport) -> str:
    """Each exercise label that has a title (``## Exercice 2 : Volumes``) reduced to its
    title (``## Volumes``): the statement's title copied without its number."""
    lines = list(report.lines)
    for i, marker, _ in report.markers(MarkerKind.EXERCISE):
        if marker.exercise is None or not marker.rest or marker.label not in lines[i]:
            continue
        before, _, after = lines[i].partition(marker.label)
        title = re.sub(r"^[\s*_]*[:.)\-–—]*\s*", "", after)
        if title:
            lines[i] = before.rstrip("*_ ") + (" " if before.strip("*_ ") else "") + title
    return "\n".join(lines)


_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*([^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")


def _images(html: Callable[[str, str], str]) -> Style:
    """Markdown images written as HTML: ``html(alt, src)``."""
    def style(report: PlainReport) -> str:
        return "\n".join(line if i in report.code else
                         _MD_IMAGE.sub(lambda m: html(m.group(1), m.group(2)), line)
                         for i, line in enumerate(report.lines))
    return style


def _headings(shift: int) -> Style:
    def style(report: PlainReport) -> str:
        out = []
        for i, line in enumerate(report.lines):
            match = re.match(r"^( {0,3})(#{1,6})(?=\s)", line)
            if match and i not in report.code:
                level = min(6, max(1, len(match.group(2)) + shift))
                line = match.group(1) + "#" * level + line[match.end():]
            out.append(line)
        return "\n".join(out)
    return style


_OPENING = re.compile(r"^```[\w+-]*\s*$")
_CLOSING = re.compile(r"^```\s*$")
_MD = MarkdownIt("commonmark")


def _fences(opening: Callable[[str], str]) -> Style:
    """Rewrite the opening line of each fence (and close it alike) that is written plainly
    at column 0, as markdown reads it (not "```exec``` permet …", inline code)."""
    def style(report: PlainReport) -> str:
        lines = list(report.lines)
        for token in _MD.parse(report.text):
            if token.type != "fence" or token.map is None:
                continue
            first, last = token.map[0], token.map[1] - 1
            if (last > first and _OPENING.match(lines[first])
                    and _CLOSING.match(lines[last])):
                lines[first] = opening(lines[first])
                lines[last] = opening(lines[last])
        return "\n".join(lines)
    return style


def _tilde(line: str) -> str:
    return "~~~" + line.lstrip("`")


STYLES: dict[str, Style] = {
    "headings+1": _headings(+1),
    "headings-1": _headings(-1),
    "labels-bold": _labels(lambda ids, rest, level: f"**Question {ids} :**{_rest(rest)}"),
    "labels-q-colon": _labels(lambda ids, rest, level: f"Q{ids}:{_rest(rest)}"),
    "labels-dash-title": _labels(
        lambda ids, rest, level: f"{'#' * (level or 3)} Question {ids} -{_rest(rest)}"),
    "labels-bracketed": _labels(lambda ids, rest, level: f"({ids}){_rest(rest)}"),
    "labels-reponse-a": _labels(
        lambda ids, rest, level: f"{'#' * (level or 3)} Réponse à la question {ids}"
                                 f"{_rest(rest)}"),
    "labels-numbered-heading": _labels(_numbered_heading),
    "labels-anchored": _labels(  # GitHub readers' anchors, for a table of contents
        lambda ids, rest, level: f'{"#" * (level or 3)} <a id="q{ids.replace(" ", "")}"></a>'
                                 f"Question {ids}{_rest(rest)}"),
    "labels-html-bold": _labels(lambda ids, rest, level: f"<b>Question {ids}</b>{_rest(rest)}"),
    "labels-callout": _labels(lambda ids, rest, level: f"> [!NOTE] Question {ids}{_rest(rest)}"),
    "labels-escaped": _labels(  # pandoc's markdown export
        lambda ids, rest, level: f"Question {ids.replace('.', chr(92) + '.')}{_rest(rest)}"),
    "labels-paren": _labels(  # "Question 2(a)", as English statements number them
        lambda ids, rest, level: "Question " + " and ".join(
            f"{i.split('.')[0]}({i.split('.')[1]})" for i in ids.split(" et ")) + _rest(rest)),
    "labels-number-in-exercise": _in_exercise(_question_number),
    "labels-roman": _labels(_roman),
    "labels-list-paren": _labels(_list_paren),
    "labels-partie": _labels(lambda ids, rest, level: f"Partie {ids}{_rest(rest)}"),
    "labels-no-dot": _labels(
        lambda ids, rest, level: f"Question {ids.replace('.', '')}{_rest(rest)}"),
    "labels-emoji-heading": _labels(
        lambda ids, rest, level: f"{'#' * (level or 3)} 📌 Question {ids}{_rest(rest)}"),
    "labels-emoji-bold": _labels(lambda ids, rest, level: f"✅ **Question {ids}**{_rest(rest)}"),
    "labels-arrow": _labels(lambda ids, rest, level: f"→ **Question {ids}**{_rest(rest)}"),
    "labels-heading-no-dot": _labels(
        lambda ids, rest, level: f"{'#' * (level or 3)} {ids.replace('.', '')}"
                                 f"{' - ' + rest if rest else ''}"),
    "labels-task-box": _labels(lambda ids, rest, level: f"- [x] {ids}{_rest(rest)}"),
    "labels-id-last": _labels(  # a title then its id; an answer on the label line stays
        lambda ids, rest, level: f"{'#' * (level or 3)} {rest + ' ' if rest else ''}({ids})"
        if len(rest.split()) <= 10 else None),
    "exercises-emoji": _exercises(lambda n: f"🐳 Exercice {n}"),
    "exercises-lab-name": _exercises(lambda n: f"TP1 – Exercice {n}"),
    "exercises-partie": _exercises(lambda n: f"Partie {n}"),
    "exercises-title-only": _exercise_titles,
    "images-html": _images(lambda alt, src: f'<img width="600" alt="{alt}" src="{src}">'),
    "images-html-centred": _images(
        lambda alt, src: f'<p align="center"><img width="600" src="{src}"></p>'),
    "fences-tilde": _fences(_tilde),
    "fences-no-language": _fences(lambda line: "```"),
    "crlf": lambda report: report.text.replace("\n", "\r\n").encode("utf-8"),
    "utf-8-bom": lambda report: b"\xef\xbb\xbf" + report.text.encode("utf-8"),
    "cp1252": lambda report: report.text.encode("cp1252", errors="replace"),
    "mojibake": lambda report: report.text.encode("utf-8").decode("cp1252", errors="ignore")
    .encode("utf-8"),
    "utf-16": lambda report: "\ufeff".encode("utf-16-le") + report.text.encode("utf-16-le"),
}


@dataclass
class Outcome:
    style: str
    case: str
    lost: list[str]
    moved: list[str]
    right_before: int
    right_after: int


def graded_starts(text: str, rubrics: list[Rubric], lab: str, path: str | None
                  ) -> dict[str, int]:
    """Graded question id → first line, for the report parsed against its own lab (as
    ``parse_report`` would, when the lab is recognised)."""
    rubric = next(r for r in rubrics if r.id == lab)
    _, fits = detect_lab(text, rubrics, path=path)
    report = next((f.report for f in fits if f.rubric.id == lab), None)
    if report is None:
        report = parse_text(text, rubric, path=path)
    graded = {q.id for q in rubric.graded_questions}
    return {a.id: a.lines[0] for a in report.answers if a.id in graded}


def restyle(cases: list[tuple[Case, str]], rubrics: list[Rubric], styles: list[str]
            ) -> list[Outcome]:
    """Each style on each case (with the rubric id it is graded with)."""
    outcomes = []
    for case, lab in cases:
        submission = _read(case)
        if submission is None:
            continue
        plain = PlainReport(submission.text)
        before = graded_starts(plain.text, rubrics, lab, submission.report_path)
        for name in styles:
            data = STYLES[name](plain)
            text = decode_bytes(data.encode("utf-8") if isinstance(data, str) else data).text
            after = graded_starts(text, rubrics, lab, submission.report_path)
            outcomes.append(Outcome(
                name, case.name,
                lost=sorted(q for q in before if q not in after),
                moved=sorted(f"{q}:{before[q]}->{after[q]}" for q in before
                             if q in after and abs(after[q] - before[q]) > 1),
                right_before=_right(case, before), right_after=_right(case, after)))
    return outcomes


def mark_changes(cases: list[tuple[Case, str]], rubrics: list[Rubric], styles: list[str]
                 ) -> dict[str, list[tuple[str, float, float]]]:
    """Per style, the reports whose total points change when restyled: (case, plain,
    restyled). Each report is graded as ``grader grade --rubric`` does, from a copy of
    its folder (screenshots included) whose report holds the restyled bytes."""
    changes: dict[str, list[tuple[str, float, float]]] = {name: [] for name in styles}
    for case, lab in cases:
        submission = _read(case)
        if submission is None or not (submission.report_path or "").endswith(
                (".md", ".markdown", ".txt")):
            continue  # unreadable, or a Word or PDF report: its text is not its bytes
        report = str(submission.report_path)
        rubric = next(r for r in rubrics if r.id == lab)
        plain = PlainReport(submission.text)
        with tempfile.TemporaryDirectory(prefix="restyle-") as work:
            folder = Path(work) / case.folder.name
            shutil.copytree(case.folder, folder)
            target = folder / report
            before = _points(folder, rubric, report)
            for name in styles:
                data = STYLES[name](plain)
                target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
                after = _points(folder, rubric, report)
                if abs(after - before) > 0.005:
                    changes[name].append((case.name, before, after))
    return changes


def _read(case: Case) -> Submission | None:
    """The labelled report, or ``None`` (said on stderr) when it cannot be read."""
    try:
        return (read_submission(case.folder) if case.report.is_dir()
                else read_submission(case.folder, report=case.report))
    except GraderError as error:
        print(f"{case.name}: skipped, {error}", file=sys.stderr)
        return None


def _points(folder: Path, rubric: Rubric, report: str) -> float:
    """Total points of that very report (a folder may hold others: ``seeds/``)."""
    graded = grade_submission(folder, [rubric], forced=rubric, report=report)
    return sum(q.score for q in graded.sheet.questions)


def _right(case: Case, starts: dict[str, int]) -> int:
    return sum(1 for q in case.answered if q in starts and (case.no_lines or any(
        abs(starts[q] - line) <= TOLERANCE for line in case.lines[q])))


def labelled_cases(corpora: list[Path], rubrics: list[Rubric]) -> list[tuple[Case, str]]:
    cases = []
    for corpus in corpora:
        for case in load_cases(corpus):
            lab = next((r.id for r in rubrics if r.id.split("-")[0] == case.lab), None)
            if lab is not None:
                cases.append((case, lab))
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="*", type=Path, default=list(CORPORA))
    parser.add_argument("--style", action="append", choices=sorted(STYLES),
                        help="only these styles (default: all)")
    parser.add_argument("--grade", action="store_true",
                        help="also grade each restyled report and list the totals that "
                        "change (about a minute)")
    args = parser.parse_args(argv)
    missing = [str(c) for c in args.corpus if not (c / "labels").is_dir()]
    if missing:
        parser.error(f"not a labelled corpus (no labels/ folder): {', '.join(missing)}")
    rubrics = load_all_rubrics()
    cases = labelled_cases(args.corpus, rubrics)
    styles = args.style or list(STYLES)
    outcomes = restyle(cases, rubrics, styles)
    print(f"{len(cases)} labelled reports; per style: answers lost, moved (> 1 line), "
          "starting where the labels say (plain → restyled)")
    print(f"{'style':<22} {'lost':>5} {'moved':>6}  labels right   worst reports")
    for name in styles:
        mine = [o for o in outcomes if o.style == name]
        lost = sum(len(o.lost) for o in mine)
        moved = sum(len(o.moved) for o in mine)
        before = sum(o.right_before for o in mine)
        after = sum(o.right_after for o in mine)
        worst = sorted((o for o in mine if o.lost or o.moved),
                       key=lambda o: -(len(o.lost) + len(o.moved)))[:3]
        where = " ".join(f"{o.case}:{'/'.join(o.lost + o.moved)}" for o in worst)
        print(f"{name:<22} {lost:>5} {moved:>6}  {before:>4} → {after:<4}  {where}")
    if args.grade:
        print("\ntotal points that change when restyled (plain → restyled):")
        for name, changed in mark_changes(cases, rubrics, styles).items():
            shown = ", ".join(f"{c} {a:.2f} → {b:.2f}" for c, a, b in changed) or "none"
            print(f"{name:<22} {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
