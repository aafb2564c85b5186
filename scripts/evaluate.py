#!/usr/bin/env python3
"""Measure the grader against labelled real reports (``../shared/corpus``).

Parsing: per report and overall, the share of labelled questions found with
the right id and start line (±3 lines), and the spurious ids (graded ids the
parser reports where the labels say there is no answer).

Usage::

    python scripts/evaluate.py [CORPUS_DIR] [--rubric tp1-docker] [--verbose]

Labels are ``labels/<folder>.A.yaml`` (and ``.B``): ``report`` (path relative
to the corpus folder, or a folder name), ``lab``, ``no_lines`` (ids only), and
``questions: {id: {score, line, why}}``.
"""

from __future__ import annotations

import argparse
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
        expected_lab = "tp1-docker" if case.lab == "tp1" else (
            "tp2-ingestion" if case.lab == "tp2" else None)
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
        print(f"{case.name:<10} {str(report.lab):<12} {share:>9} {len(spurious):>9}  "
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
    parser.add_argument("corpus", nargs="?", type=Path, default=default)
    parser.add_argument("--rubric", action="append", help="rubric id or file (default: all)")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    if not (args.corpus / "labels").is_dir():
        print(f"no labels under {args.corpus}; pass the corpus folder", file=sys.stderr)
        return 2
    rubrics = ([load_rubric(resolve_rubric(r)) for r in args.rubric] if args.rubric
               else load_all_rubrics())
    cases = load_cases(args.corpus)
    print(f"== parsing: {len(cases)} labelled reports in {args.corpus}\n")
    evaluate_parsing(cases, rubrics, args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
