#!/usr/bin/env python3
"""Measure the grader against labelled real reports (``../shared/corpus``).

Parsing: per report and overall, the share of labelled questions found with
the right id and start line (±3 lines), and the spurious ids (graded ids the
parser reports where the labels say there is no answer).

Grading: agreement of the automatic score with the instructors' (mean of
graders A and B, 0/0.5/1 per question): per-question share within 0.25 of the
question's points, mean absolute error, quadratic weighted kappa on the
0/0.5/1 scale, and each report's mark /20 error. Reports of another lab must
get no mark.

Screenshots (``--ocr``, the default when Tesseract is available; ``--no-ocr`` grades
by their presence only): for the reports whose screenshots are in the corpus, the share
of screenshot checks (questions whose rubric says what the screenshot ``shows``, answered
with a screenshot that OCR read) whose screenshots OCR confirms, overall and by the
instructors' grade. OCR results are cached in ``--ocr-cache``
(``~/.cache/docker-tp-grader/ocr-cache.sqlite``),
so only the first run pays for Tesseract.

Usage::

    python scripts/evaluate.py [CORPUS_DIR] [--rubric tp1-docker] [--verbose] [--no-ocr]

Labels are ``labels/<folder>.A.yaml`` (and ``.B``): ``report`` (path relative
to the corpus folder, or a folder name), ``lab``, ``no_lines`` (ids only), and
``questions: {id: {score, line, why}}``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from grader.ingest import read_submission
from grader.parse import parse_report
from grader.rubric import load_all_rubrics, load_rubric, resolve_rubric

TOLERANCE = 3


@dataclass
class Case:
    name: str
    report: Path
    folder: Path
    lab: str
    no_lines: bool
    lines: dict[str, set[int]] = field(default_factory=dict)
    """Question id → acceptable start lines (from either grader)."""
    answered: set[str] = field(default_factory=set)
    scores: dict[str, list[float]] = field(default_factory=dict)


def load_cases(corpus: Path) -> list[Case]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for path in sorted((corpus / "labels").glob("*.yaml")):
        name = path.name.split(".")[0]
        groups[name].append(yaml.safe_load(path.read_text(encoding="utf-8")))
    cases: list[Case] = []
    for name, labels in groups.items():
        first = labels[0]
        target = (corpus / str(first["report"]).split("#")[0].strip()).resolve()
        folder = target if target.is_dir() else _submission_root(target)
        case = Case(name, target, folder, str(first.get("lab")), bool(first.get("no_lines")))
        for label in labels:
            for qid, entry in (label.get("questions") or {}).items():
                qid = str(qid)
                case.scores.setdefault(qid, []).append(float(entry.get("score") or 0))
                if entry.get("line") is not None:
                    case.lines.setdefault(qid, set()).add(int(entry["line"]))
                    case.answered.add(qid)
        cases.append(case)
    return cases


def _submission_root(report: Path) -> Path:
    """The student's folder: the report's folder, or its parent for ``reports/x.md``."""
    parent = report.parent
    if parent.name.lower() in ("reports", "report", "rapport", "rapports", "docs"):
        return parent.parent
    return parent


def _expected_lab(case: Case, rubrics) -> str | None:
    """The rubric id a case should be graded with: labels say ``tp1``/``tp2``/``other``."""
    for rubric in rubrics:
        if rubric.id.split("-")[0] == case.lab:
            return rubric.id
    return None


def evaluate_parsing(cases: list[Case], rubrics, verbose: bool) -> dict[str, float]:
    total_labelled = total_found = total_spurious = total_detected = 0
    lab_right = 0
    print(f"{'report':<10} {'lab':<12} {'found':>9} {'spurious':>9}  misses")
    for case in cases:
        if case.report.is_dir():
            submission = read_submission(case.folder)
        else:
            submission = read_submission(case.folder, report=case.report)
        report = parse_report(submission, rubrics)
        expected_lab = _expected_lab(case, rubrics)
        lab_ok = report.lab == expected_lab
        lab_right += lab_ok
        graded = {q.id for r in rubrics if r.id == report.lab for q in r.graded_questions}
        starts = {a.id: a.lines[0] for a in report.answers if a.id in graded}
        found = 0
        misses: list[str] = []
        for qid in sorted(case.answered):
            if qid not in starts:
                misses.append(f"{qid}:absent")
                continue
            if case.no_lines or any(abs(starts[qid] - line) <= TOLERANCE
                                    for line in case.lines[qid]):
                found += 1
            else:
                misses.append(f"{qid}:{starts[qid]}≠{min(case.lines[qid])}")
        spurious = sorted(q for q in starts if q not in case.answered)
        total_labelled += len(case.answered)
        total_found += found
        total_spurious += len(spurious)
        total_detected += len(starts)
        share = f"{found}/{len(case.answered)}"
        print(f"{case.name:<10} {report.lab!s:<12} {share:>9} {len(spurious):>9}  "
              f"{' '.join(misses)}{' spurious=' + ','.join(spurious) if spurious else ''}"
              f"{'' if lab_ok else f'  LAB WRONG (expected {expected_lab})'}")
        if verbose:
            for answer in report.answers:
                print(f"    {answer.id:<5} {answer.lines[0]:>4}-{answer.lines[1]:<4} "
                      f"{answer.found_by:<9} {answer.label or ''}")
            for diagnostic in report.diagnostics:
                print(f"    ! {diagnostic.code}: {diagnostic.message}")
    found_share = total_found / total_labelled if total_labelled else 1.0
    spurious_share = total_spurious / total_detected if total_detected else 0.0
    print(f"\noverall: found {total_found}/{total_labelled} = {found_share:.1%}, "
          f"spurious {total_spurious}/{total_detected} = {spurious_share:.1%}, "
          f"lab right {lab_right}/{len(cases)}")
    return {"found": found_share, "spurious": spurious_share}


def _half(value: float) -> float:
    """Round to the 0/0.5/1 scale, halves up (0.25 → 0.5, 0.75 → 1)."""
    return int(value * 2 + 0.5) / 2


def quadratic_kappa(a: list[float], b: list[float], levels: tuple[float, ...] = (0, 0.5, 1)
                    ) -> float:
    index = {level: i for i, level in enumerate(levels)}
    k = len(levels)
    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b, strict=True):
        observed[index[x]][index[y]] += 1
    n = len(a)
    if n == 0:
        return float("nan")
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            weight = (i - j) ** 2 / (k - 1) ** 2
            num += weight * observed[i][j]
            den += weight * rows[i] * cols[j] / n
    return 1 - num / den if den else 1.0


@dataclass
class Confirmation:
    """Screenshot checks of the reports whose screenshots are in the corpus."""

    checked: list[tuple[str, str, bool, float]] = field(default_factory=list)
    """(report, question, confirmed by OCR, instructors' mean grade)."""

    def add(self, case: Case, graded, rubric, human: dict[str, float]) -> None:
        from grader.criteria.screens import question_shows, readable, shown

        readings = {q.id: q.images for q in graded.sheet.questions}
        for question in rubric.graded_questions:
            groups = question_shows(question)
            texts = [(i.path, i.ocr_text) for i in readings.get(question.id, ())
                     if i.found and readable(i.ocr_text)]
            if not groups or not texts:
                continue
            confirmed = not shown(texts, groups).missing
            self.checked.append((case.name, question.id, confirmed,
                                 human.get(question.id, 0.0)))

    def print(self, verbose: bool) -> None:
        if not self.checked:
            print("screenshots: no screenshot check (no OCR text, or no 'shows' in the rubric)")
            return
        total = len(self.checked)
        yes = sum(1 for c in self.checked if c[2])
        full = [c for c in self.checked if c[3] >= 0.75]
        low = [c for c in self.checked if c[3] < 0.75]
        print(f"screenshots: OCR confirms {yes}/{total} = {yes / total:.1%} of screenshot "
              f"checks; where the instructors gave ≥ 0.75: "
              f"{sum(c[2] for c in full)}/{len(full)}, below: {sum(c[2] for c in low)}/"
              f"{len(low)}")
        unconfirmed = [f"{r}:{q}" for r, q, ok, _ in self.checked if not ok]
        if unconfirmed:
            print(f"  not confirmed: {' '.join(unconfirmed)}")
        if verbose:
            for report, question, ok, grade in self.checked:
                print(f"    {report} {question} {'confirmed' if ok else 'NOT confirmed'} "
                      f"(instructors {grade:g})")


def evaluate_grading(cases: list[Case], rubrics, verbose: bool, ocr=False
                     ) -> dict[str, float]:
    from grader.pipeline import grade_submission

    confirmation = Confirmation()

    pairs_auto: list[float] = []
    pairs_human: list[float] = []
    within = 0
    mark_errors: list[float] = []
    other_ok = other = 0
    print(f"{'report':<10} {'mark':>6} {'human':>6} {'error':>6}  questions off by more than 0.25")
    for case in cases:
        report = case.report if not case.report.is_dir() else None
        graded = grade_submission(case.folder, rubrics, report=report, ocr=ocr)
        sheet = graded.sheet
        expected_lab = _expected_lab(case, rubrics)
        if expected_lab is None:
            other += 1
            other_ok += sheet.mark is None
            verdict = ("ok: not graded" if sheet.mark is None
                       else f"WRONG: graded as {sheet.rubric}")
            print(f"{case.name:<10} {sheet.mark!s:>6} {'—':>6} {'':>6}  {verdict}")
            continue
        if sheet.rubric != expected_lab:
            print(f"{case.name:<10} graded as {sheet.rubric}, expected {expected_lab}")
            mark_errors.append(20.0)
            continue
        auto = {q.id: q.score / q.points for q in sheet.questions if q.points}
        human = {qid: sum(v) / len(v) for qid, v in case.scores.items()}
        graded_count = len(sheet.questions)
        off: list[str] = []
        for qid, expected in sorted(human.items()):
            got = auto.get(qid, 0.0)
            pairs_auto.append(got)
            pairs_human.append(expected)
            if abs(got - expected) <= 0.25 + 1e-9:
                within += 1
            else:
                off.append(f"{qid}:{got:.2f}/{expected:g}")
        used = next(r for r in rubrics if r.id == sheet.rubric)
        confirmation.add(case, graded, used, human)
        human_mark = sum(human.values()) / graded_count * 20
        mark = sheet.mark if sheet.mark is not None else 0.0
        mark_errors.append(mark - human_mark)
        print(f"{case.name:<10} {mark:>6.2f} {human_mark:>6.2f} {mark - human_mark:>+6.2f}  "
              f"{' '.join(off)}")
        if verbose:
            for q in sheet.questions:
                if q.id in human and abs(auto.get(q.id, 0) - human[q.id]) > 0.25:
                    print(f"    {q.id} auto {q.score:g} human {human[q.id]:g}: "
                          f"{' | '.join(q.missing)[:300]}")
    n = len(pairs_auto)
    share = within / n if n else 1.0
    mae = sum(abs(a - b) for a, b in zip(pairs_auto, pairs_human, strict=True)) / n if n else 0.0
    kappa = quadratic_kappa([_half(a) for a in pairs_auto], [_half(b) for b in pairs_human])
    worst = max((abs(e) for e in mark_errors), default=0.0)
    inside = sum(1 for e in mark_errors if abs(e) <= 1.5)
    print(f"\noverall: {within}/{n} = {share:.1%} of questions within 0.25, MAE {mae:.3f}, "
          f"QWK {kappa:.3f}; marks within 1.5: {inside}/{len(mark_errors)} "
          f"(worst {worst:.2f}); other labs not graded: {other_ok}/{other}")
    confirmation.print(verbose)
    return {"within": share, "mae": mae, "qwk": kappa, "worst_mark": worst}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
    parser.add_argument("corpus", nargs="?", type=Path, default=default)
    parser.add_argument("--rubric", action="append", help="rubric id or file (default: all)")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--parsing-only", action="store_true")
    parser.add_argument("--grading-only", action="store_true")
    parser.add_argument("--ocr", action=argparse.BooleanOptionalAction, default=None,
                        help="read the screenshots with Tesseract (default: when available)")
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    parser.add_argument("--ocr-cache", type=Path,
                        default=cache_home / "docker-tp-grader" / "ocr-cache.sqlite",
                        help="SQLite file keeping OCR results between runs")
    args = parser.parse_args(argv)
    if not (args.corpus / "labels").is_dir():
        print(f"no labels under {args.corpus}; pass the corpus folder", file=sys.stderr)
        return 2
    rubrics = ([load_rubric(resolve_rubric(r)) for r in args.rubric] if args.rubric
               else load_all_rubrics())
    cases = load_cases(args.corpus)
    if not args.grading_only:
        print(f"== parsing: {len(cases)} labelled reports in {args.corpus}\n")
        evaluate_parsing(cases, rubrics, args.verbose)
    if not args.parsing_only:
        from grader import ocr as reader

        use_ocr = reader.available() if args.ocr is None else args.ocr
        if use_ocr and not reader.available():
            print(f"--ocr: {reader.unavailable_reason()}", file=sys.stderr)
            return 2
        cache = reader.SqliteOcrCache(args.ocr_cache) if use_ocr else False
        print(f"\n== grading: {len(cases)} labelled reports, OCR "
              f"{'on (' + reader.engine_id() + ')' if use_ocr else 'off'}\n")
        evaluate_grading(cases, rubrics, args.verbose, ocr=cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
