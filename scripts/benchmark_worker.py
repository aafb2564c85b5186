#!/usr/bin/env python3
"""CPU time of one batch worker's grading, by stage (a script, not a timed test).

Usage::

    python scripts/benchmark_worker.py [--students 300]

Builds the synthetic class of ``benchmark_batch.py`` and grades it in this process
with the batch worker's own function (``grader.worker.grade_task``: grade, fingerprint,
render both pages, pack, stage), as a worker of ``grader batch --rubric tp1-docker``
does, without OCR. It prints the CPU milliseconds per submission, in total and by
stage (stages nest: ``parse`` holds ``p.units`` … ``p.fit``).

The whole batch's wall clock moves with the VM's speed of the moment; this measures
the workers' share alone, on one core, so that a change to the grading can be
compared with the code before it. The reference loop's CPU time is printed with it,
and the total scaled to the VM's fast moments (0.33 s for the loop, as in
``benchmark_batch.py``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmark_batch import build_class, reference_seconds

import grader.parse
from grader import pipeline, worker
from grader.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
FAST_REFERENCE = 0.33
"""The reference loop's CPU seconds at the development VM's fast moments."""

STAGES: list[tuple[Any, str, str]] = [
    (pipeline, "report_for_lab", "find report"), (pipeline, "read_submission", "read"),
    (pipeline, "parse_report", "parse"), (grader.parse, "build_units", "p.units"),
    (grader.parse, "_mark_prompts", "p.prompts"), (grader.parse, "align", "p.align"),
    (grader.parse, "_fit", "p.fit"), (pipeline, "score_report", "score"),
    (worker, "answer_prints", "prints"), (worker, "_render", "render"),
    (worker, "encode_sheet", "encode"), (worker, "pack", "pack"),  # ``_pack`` calls ``pack``
    (worker, "_staging", "stage"), (worker, "_stage_pages", "stage"),
]


def _timed(function: Callable[..., Any], label: str,
           spent: defaultdict[str, float]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - start
    return timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    args = parser.parse_args(argv)
    spent: defaultdict[str, float] = defaultdict(float)
    for module, name, label in STAGES:
        setattr(module, name, _timed(getattr(module, name), label, spent))
    with tempfile.TemporaryDirectory(prefix="grader-worker-") as work:
        klass, out = Path(work) / "class", Path(work) / "out"
        build_class(klass, args.students)
        rubric = load_rubric(ROOT / "rubrics" / "tp1-docker.yaml")
        worker.init_worker([rubric], rubric, True, True, None,
                           "grader.pipeline:grade_submission", None, out)
        tasks = [worker.Task(f.name, f.name, str(f), "", (), ())
                 for f in sorted(klass.iterdir())]
        for task in tasks[:20]:  # warm-up: compiled patterns, templates, lexers, hadolint
            worker.grade_task(task)
        spent.clear()
        start = time.process_time()
        for task in tasks:
            worker.grade_task(task)
        total = time.process_time() - start
    reference = reference_seconds()
    per = 1000 / len(tasks)
    print(f"{len(tasks)} submissions, one process; reference loop {reference:.3f} s CPU")
    print(f"total {total * per:6.1f} ms CPU per submission "
          f"({total * per * FAST_REFERENCE / reference:.1f} scaled to a "
          f"{FAST_REFERENCE} s reference loop)")
    for label, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"  {label:<12} {seconds * per:6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
