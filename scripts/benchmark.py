#!/usr/bin/env python3
"""Time the grader's stages on real reports (a script, not a timed test).

Usage::

    python scripts/benchmark.py [REPORT_OR_FOLDER ...] [--repeat N]

Without arguments it times the bundled ``submissions/`` and, when present,
the corpus reports of ``../shared/corpus``. For each report it prints its
size and the median time of decoding, of parsing, and of grading (parse +
score, no sandbox) (rubric already loaded, as in a batch), in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from grader.decode import decode_bytes
from grader.ingest import read_submission
from grader.parse import parse_text
from grader.rubric import load_rubric
from grader.scoring import score_report

ROOT = Path(__file__).resolve().parents[1]


def median_ms(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``action`` over ``repeat`` runs, after one warm-up run
    (compiled regexes, prompt index, templates, lexers)."""
    action()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _targets(paths: list[Path]) -> list[Path]:
    if paths:
        return paths
    found = sorted(p for p in (ROOT / "submissions").iterdir() if p.is_dir())
    corpus = ROOT.parent / "shared" / "corpus"
    if corpus.is_dir():
        found += sorted(p for p in corpus.iterdir() if p.is_dir() and p.name != "labels")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rubric", type=Path, default=ROOT / "rubrics" / "tp1-docker.yaml")
    args = parser.parse_args(argv)
    rubric = load_rubric(args.rubric)
    print(f"{'report':<44} {'KB':>6} {'decode ms':>10} {'parse ms':>9} {'grade ms':>9}")
    parse_times: list[tuple[int, float]] = []
    grade_times: list[float] = []
    for target in _targets(args.paths):
        submission = read_submission(target)
        if submission.report_path is None:
            continue
        raw = (submission.root / submission.report_path).read_bytes()
        text = submission.text
        decode_ms = (median_ms(lambda raw=raw: decode_bytes(raw), args.repeat)
                     if submission.source_format == "text" else float("nan"))
        parse_ms = median_ms(lambda text=text: parse_text(text, rubric), args.repeat)

        def grade(text: str = text, submission=submission) -> object:  # type: ignore[no-untyped-def]
            report = parse_text(text, rubric, path=submission.report_path)
            return score_report(report, rubric, student=submission.student,
                                sources=submission.sources)

        grade_ms = median_ms(grade, args.repeat)
        parse_times.append((len(raw), parse_ms))
        grade_times.append(grade_ms)
        name = f"{target.name}/{submission.report_path}"
        print(f"{name[:44]:<44} {len(raw) / 1024:>6.1f} {decode_ms:>10.2f} {parse_ms:>9.2f} "
              f"{grade_ms:>9.2f}")
    if parse_times:
        around_20k = [ms for size, ms in parse_times if 15_000 <= size <= 25_000]
        print(f"\nparse: median {statistics.median(ms for _, ms in parse_times):.1f} ms, "
              f"max {max(ms for _, ms in parse_times):.1f} ms"
              + (f"; reports of 15–25 KB: max {max(around_20k):.1f} ms" if around_20k else ""))
        print(f"grade (parse + score): median {statistics.median(grade_times):.1f} ms, "
              f"max {max(grade_times):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
