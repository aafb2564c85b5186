#!/usr/bin/env python3
"""Time the HTML views: a class dashboard and every student's sheet (a script, not a test).

Usage::

    python scripts/benchmark_render.py [--students 30] [--repeat 5] [--browser]

Grades the bundled ``submissions/`` and, when present, the corpus reports of
``../shared/corpus`` once, then cycles through them under new names until the class has
``--students`` students (grading is not timed: ``scripts/benchmark.py`` does that). It
prints the median time to render the dashboard (``render_dashboard``), and to render and
write all sheets with screenshots embedded (``write_sheet``), in milliseconds. With
``--browser`` it also opens the dashboard in headless Chromium (Debian's ``chromium`` and
``chromium-driver``, selenium) and reports the page's load time (navigation start to the
end of the load event). The acceptance goal is a 30-student dashboard under 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import replace
from pathlib import Path

from benchmark import median_ms  # scripts/ is on the path of a script it holds

from grader.pipeline import Graded, grade_submission
from grader.render import DashboardEntry, render_dashboard, sheet_filename, write_sheet
from grader.rubric import load_all_rubrics, load_rubric

ROOT = Path(__file__).resolve().parents[1]


def _folders() -> list[Path]:
    found = sorted(p for p in (ROOT / "submissions").iterdir() if p.is_dir())
    corpus = ROOT.parent / "shared" / "corpus"
    if corpus.is_dir():
        found += sorted(p for p in corpus.iterdir() if p.is_dir() and p.name != "labels")
    return found


def _browser_load_ms(page: Path, repeat: int) -> float:
    """Median time Chromium takes to load and lay out ``page`` (from ``file://``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--no-first-run",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        times = []
        for _ in range(repeat + 1):
            driver.get(page.as_uri())
            times.append(driver.execute_script(
                "document.body.getBoundingClientRect();"
                "const n = performance.getEntriesByType('navigation')[0];"
                "return n.loadEventEnd - n.startTime;"))
        return statistics.median(times[1:])
    finally:
        driver.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--browser", action="store_true",
                        help="Also time loading the dashboard in headless Chromium.")
    args = parser.parse_args(argv)
    rubrics = load_all_rubrics()
    tp1 = load_rubric(ROOT / "rubrics" / "tp1-docker.yaml")
    graded = [grade_submission(folder, rubrics) for folder in _folders()]
    graded = [g for g in graded if g.sheet.rubric == tp1.id] or graded
    klass: list[Graded] = []
    for index in range(args.students):
        source = graded[index % len(graded)]
        name = f"{source.sheet.student}-{index:02d}"
        klass.append(replace(source, sheet=replace(source.sheet, student=name)))
    entries = [DashboardEntry.from_graded(g, href=sheet_filename(g.sheet.student))
               for g in klass]
    dashboard_ms = median_ms(lambda: render_dashboard(entries, rubric=tp1), args.repeat)
    size = len(render_dashboard(entries, rubric=tp1).encode("utf-8"))
    with tempfile.TemporaryDirectory() as out:
        def sheets() -> None:
            for g in klass:
                write_sheet(g, Path(out), rubric=tp1)

        sheets_ms = median_ms(sheets, max(1, args.repeat // 2))
        total = sum(p.stat().st_size for p in Path(out).iterdir())
        index = Path(out) / "index.html"
        index.write_text(render_dashboard(entries, rubric=tp1), encoding="utf-8")
        load_ms = _browser_load_ms(index, args.repeat) if args.browser else None
    images = sum(1 for g in klass for a in g.report.answers for _ in a.images)
    print(f"class: {len(klass)} students from {len(graded)} graded reports, "
          f"{images} image references")
    print(f"dashboard: median {dashboard_ms:.1f} ms ({size / 1024:.0f} KB)")
    if load_ms is not None:
        print(f"dashboard in Chromium (load, file://): median {load_ms:.0f} ms")
    print(f"{len(klass)} sheets (render + write, screenshots embedded): median "
          f"{sheets_ms:.0f} ms, {sheets_ms / len(klass):.1f} ms per sheet "
          f"({total / 1024 / 1024:.1f} MB in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
