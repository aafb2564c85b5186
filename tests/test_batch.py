"""Grading a class (``grader/batch.py``): outputs, re-runs, fault isolation, a batch killed
and resumed, overrides across re-grades, and the ``batch``/``override``/``export`` commands.

Workers are real processes here: a crash, a hang past the timeout and a dying worker are
real too (``batch_support.faulty_grade``), not mocks of the pool.
"""

from __future__ import annotations

import csv
import errno
import gc
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import weakref
from pathlib import Path

import pytest
from batch_support import make_class, make_student
from click.testing import CliRunner
from support import ROOT

from grader.batch import BatchOptions, run_batch
from grader.cli import main
from grader.pipeline import grade_submission
from grader.rubric import Rubric, load_rubric
from grader.sheetcodec import encode_sheet
from grader.store import NewResult, Store
from grader.worker import Outcome, place_staged

TP1 = ROOT / "rubrics" / "tp1-docker.yaml"


@pytest.fixture
def rubric_file(tmp_path: Path) -> Path:
    """A copy of TP1's rubric that a test may edit."""
    path = tmp_path / "tp1-docker.yaml"
    shutil.copy(TP1, path)
    return path


def _options(klass: Path, out: Path, rubric: Path, **more: object) -> BatchOptions:
    values: dict[str, object] = {"rubric": str(rubric), "jobs": 2, "timeout": 60.0}
    values.update(more)
    return BatchOptions(klass, out, **values)  # type: ignore[arg-type]


def _files(out: Path) -> dict[str, bytes]:
    """The output folder's sheets, exports and pages (not the store nor bookkeeping)."""
    keep = ("sheets/", "students/", "grades.csv", "similarity.json", "index.html")
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.relative_to(out).as_posix().startswith(keep)}


def test_a_class_is_graded_into_the_output_folder(tmp_path: Path, rubric_file: Path,
                                                  tp1: Rubric) -> None:
    klass = make_class(tmp_path / "class", ["alice", "bob", "chloe"])
    summary = run_batch(_options(klass, tmp_path / "out", rubric_file))
    out = tmp_path / "out"
    assert (summary.students, summary.graded, summary.reused) == (3, 3, 0)
    assert summary.failed == {} and summary.ungraded == []
    for name in ("alice", "bob", "chloe"):
        assert (out / "sheets" / f"{name}.html").is_file()
        assert (out / "students" / f"{name}.html").is_file()
    assert (out / "index.html").is_file()
    # the JSON sheet is what ``grader grade --json`` gives for the same folder
    alone = grade_submission(klass / "bob", [load_rubric(rubric_file)],
                             forced=load_rubric(rubric_file), student="bob")
    assert (out / "sheets" / "bob.json").read_text("utf-8") == encode_sheet(alone.sheet,
                                                                            alone.report)
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text("utf-8"))))
    assert [r["student"] for r in rows] == ["alice", "bob", "chloe"]
    assert rows[1]["mark"] == format(alone.sheet.mark, "g")
    written = json.loads((out / "summary.json").read_text("utf-8"))
    assert written["students"] == 3


def test_a_batch_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path,
                                                              rubric_file: Path) -> None:
    """The batch keeps its long-lived objects out of the collector's full passes while it
    runs; a program that calls it gets every object back under the collector after."""
    klass = make_class(tmp_path / "class", ["alice", "bob"])
    assert gc.get_freeze_count() == 0
    cycle: list[object] = []
    cycle.append(cycle)
    witness = weakref.ref(_Cyclic(cycle))
    summary = run_batch(_options(klass, tmp_path / "out", rubric_file))
    assert summary.graded == 2
    assert gc.get_freeze_count() == 0
    del cycle
    gc.collect()
    assert witness() is None  # a cycle made before the batch is collected after it


class _Cyclic:
    def __init__(self, other: list[object]) -> None:
        self.other = other
        other.append(self)


def test_the_batch_process_imports_neither_the_report_readers_nor_the_engine() -> None:
    """The batch process hashes folders, collects results and renders the dashboard;
    reading, grading and rendering sheets is the workers' job (their modules are loaded
    once, in the fork server): importing them would only slow its start and its end."""
    code = ("import sys, grader.cli, grader.batch, grader.render; "
            "print(sorted(m for m in ('ftfy', 'charset_normalizer', 'grader.ingest', "
            "'grader.parse', 'grader.scoring', 'markdown_it', 'pygments', 'rapidfuzz') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


def test_an_unchanged_rerun_grades_nothing_and_writes_the_same(tmp_path: Path,
                                                               rubric_file: Path) -> None:
    klass = make_class(tmp_path / "class", ["alice", "bob", "chloe"])
    out = tmp_path / "out"
    run_batch(_options(klass, out, rubric_file))
    before = _files(out)
    again = run_batch(_options(klass, out, rubric_file))
    assert (again.graded, again.reused) == (0, 3)
    assert _files(out) == before
    report = klass / "bob" / "rapport_tp1.md"
    report.write_text(report.read_text("utf-8") + "\nUne ligne ajoutée.\n", "utf-8")
    os.utime(report, ns=(time.time_ns() - 10**10, time.time_ns() - 10**10))
    changed = run_batch(_options(klass, out, rubric_file))
    assert (changed.graded, changed.reused) == (1, 2)
    forced = run_batch(_options(klass, out, rubric_file, force=True))
    assert (forced.graded, forced.reused) == (3, 0)


def test_staging_is_removed_whether_or_not_everything_was_placed(tmp_path: Path) -> None:
    """A grading's staging folder goes once placed; a page the output folder refuses
    (here a folder in its way) is left to ``write_outputs`` and its staged copy is
    removed too, with the screenshots' emptied folder."""
    out = tmp_path / "out"
    staging = out / ".tmp" / "bob.x"
    (staging / "bob_files").mkdir(parents=True)
    (staging / "bob_files" / "ab12-shot.png").write_bytes(b"png")
    (staging / "bob.html").write_text("page", encoding="utf-8")
    (staging / "bob.json").write_text("{}", encoding="utf-8")
    (out / "sheets" / "bob.html" / "in-the-way").mkdir(parents=True)
    result = NewResult(student="bob", input_key="k", status="graded", sheet=b"")
    staged = (("sheets/bob.json", str(staging / "bob.json")),
              ("sheets/bob.html", str(staging / "bob.html")))
    placed = place_staged(out, Outcome(result, staged=staged, staging=str(staging)))
    assert placed == ["sheets/bob.json"]
    assert (out / "sheets" / "bob_files" / "ab12-shot.png").read_bytes() == b"png"
    assert (out / "students" / "bob_files" / "ab12-shot.png").read_bytes() == b"png"
    assert not staging.exists()
    placed = place_staged(out, Outcome(result, staged=(), staging=str(staging)))
    assert placed == []  # a staging folder already gone is not an error
    (staging / "bob_files").mkdir(parents=True)  # the same screenshot, graded again
    (staging / "bob_files" / "ab12-shot.png").write_bytes(b"png")
    assert place_staged(out, Outcome(result, staged=(), staging=str(staging))) == []
    assert (out / "sheets" / "bob_files" / "ab12-shot.png").read_bytes() == b"png"
    assert not staging.exists()


def test_staged_files_reach_an_output_folder_on_another_filesystem(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sheets/`` linked to another filesystem: a rename cannot cross it (EXDEV), so the
    page and the screenshot are copied beside their target and renamed into place; the
    screenshot, which the store does not hold, is not lost."""
    out = tmp_path / "out"
    staging = out / ".tmp" / "bob.x"
    (staging / "bob_files").mkdir(parents=True)
    (staging / "bob_files" / "ab12-shot.png").write_bytes(b"png")
    (staging / "bob.html").write_text("page", encoding="utf-8")
    sheets = out / "sheets"
    rename = os.replace

    def across(source: str | Path, target: str | Path) -> None:
        if Path(target).is_relative_to(sheets) and not Path(source).is_relative_to(sheets):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        rename(source, target)

    monkeypatch.setattr(os, "replace", across)
    result = NewResult(student="bob", input_key="k", status="graded", sheet=b"")
    placed = place_staged(out, Outcome(result, staged=(("sheets/bob.html",
                                                        str(staging / "bob.html")),),
                                       staging=str(staging)))
    assert placed == ["sheets/bob.html"]
    assert (sheets / "bob.html").read_text("utf-8") == "page"
    assert (sheets / "bob_files" / "ab12-shot.png").read_bytes() == b"png"
    assert (out / "students" / "bob_files" / "ab12-shot.png").read_bytes() == b"png"
    assert sorted(p.name for p in sheets.rglob("*")) == ["ab12-shot.png", "bob.html",
                                                        "bob_files"]  # no temporary left
    assert not staging.exists()


def test_pages_written_by_the_workers_are_the_stores_and_come_back_when_lost(
        tmp_path: Path, rubric_file: Path) -> None:
    """Workers write each student's sheet and pages as they grade; the folder stays a
    projection of the store: every file holds the stored payload, and a deleted file is
    written again from the store by the next (unchanged) run, without grading."""
    klass = make_class(tmp_path / "class", ["alice", "bob", "chloe"])
    out = tmp_path / "out"
    run_batch(_options(klass, out, rubric_file))
    columns = {"sheets/{}.json": "sheet", "sheets/{}.html": "html_instructor",
               "students/{}.html": "html_student"}
    with Store.in_folder(out) as store:
        for key, result in store.results(["alice", "bob", "chloe"]).items():
            for pattern, column in columns.items():
                stored = store.payload(result.id, column)
                assert stored and (out / pattern.format(key)).read_text("utf-8") == stored
    assert not list((out / ".tmp").glob("*"))  # no temporary file left behind
    mode = (out / "index.html").stat().st_mode & 0o777  # what the umask gives any file
    for pattern in columns:
        assert (out / pattern.format("bob")).stat().st_mode & 0o777 == mode, pattern
    before = _files(out)
    (out / "students" / "bob.html").unlink()
    (out / "sheets" / "chloe.json").unlink()
    again = run_batch(_options(klass, out, rubric_file))
    assert (again.graded, again.reused) == (0, 3)
    assert _files(out) == before


def test_crashes_hangs_and_dead_workers_are_isolated(tmp_path: Path,
                                                     rubric_file: Path) -> None:
    klass = make_class(tmp_path / "class", ["alice", "crash", "hang", "die", "zoe"])
    out = tmp_path / "out"
    started = time.monotonic()
    summary = run_batch(_options(klass, out, rubric_file, timeout=4.0,
                                 grade_fn="batch_support:faulty_grade"))
    assert time.monotonic() - started < 60
    assert sorted(summary.failed) == ["crash", "die", "hang"]
    assert "ZeroDivisionError" in summary.failed["crash"]
    assert "longer than 4 s" in summary.failed["hang"]
    assert "died" in summary.failed["die"]
    with Store.in_folder(out) as store:
        results = store.results(["alice", "crash", "hang", "die", "zoe"])
        assert {k: r.status for k, r in results.items()} == {
            "alice": "graded", "zoe": "graded", "crash": "failed", "hang": "failed",
            "die": "failed"}
        assert "score_report" in (results["crash"].error or "")  # the traceback is kept
    for name, code in (("crash", "batch.error"), ("hang", "batch.timeout"),
                       ("die", "batch.crashed")):
        sheet = json.loads((out / "sheets" / f"{name}.json").read_text("utf-8"))
        assert [d["code"] for d in sheet["diagnostics"]] == [code]
        assert (out / "sheets" / f"{name}.html").is_file()
    # what the dying worker had staged does not outlive the batch
    assert not list((out / ".tmp").glob("*"))
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(
        (out / "grades.csv").read_text("utf-8")))}
    assert rows["crash"]["status"] == "failed" and rows["crash"]["mark"] == ""
    assert rows["alice"]["mark"] != ""
    # failed submissions are tried again on the next run; the others are kept
    retry = run_batch(_options(klass, out, rubric_file))
    assert (retry.graded, retry.reused, retry.failed) == (3, 2, {})


def test_a_killed_batch_resumes_to_the_results_of_an_uninterrupted_run(
        tmp_path: Path, rubric_file: Path) -> None:
    names = [f"student{i:02d}" for i in range(24)]
    klass = make_class(tmp_path / "class", names)
    reference = tmp_path / "reference"
    run_batch(_options(klass, reference, rubric_file))
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", "batch", str(klass), "--out", str(out), "--rubric",
         str(rubric_file), "--jobs", "1"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True, cwd=tmp_path)
    committed = 0
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            committed = _committed(out / "results.sqlite")
            if committed >= 3:
                break
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the batch, its fork server and workers
        process.wait()
    assert 3 <= committed < len(names), "the batch was not killed midway"
    db = sqlite3.connect(out / "results.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    kept = db.execute("SELECT count(*) FROM results").fetchone()[0]
    db.close()
    resumed = run_batch(_options(klass, out, rubric_file))
    assert resumed.reused == kept >= committed
    assert resumed.graded == len(names) - kept
    ours, theirs = _files(out), _files(reference)
    assert sorted(ours) == sorted(theirs)
    for name, data in theirs.items():
        if name.endswith(".json") or name.endswith(".csv"):
            assert ours[name] == data, name
    for name in theirs:
        if name.endswith(".html"):
            assert _without_stamps(ours[name]) == _without_stamps(theirs[name]), name


def test_workers_left_running_by_a_killed_batch_change_nothing_in_the_folder(
        tmp_path: Path, rubric_file: Path) -> None:
    """Killing the batch process alone leaves its workers grading (they come from the fork
    server, not from the batch). What they finish must not reach the output folder: the
    next run, which reuses the stored results, shows exactly the store."""
    from batch_support import SLOW_MARKS

    klass = tmp_path / "class"
    make_student(klass, "alice", "letters.md")  # a report that shows its screenshots
    make_student(klass, "bob", "headings.md")
    out = tmp_path / "out"
    run_batch(_options(klass, out, rubric_file))
    before = _files(out)
    overrides = out / "overrides.csv"
    header = overrides.read_text("utf-8")
    overrides.write_text(header + "alice,2.a,0,pendant le lot tué\n", "utf-8")
    screenshot = klass / "alice" / "captures" / "build.png"
    original = screenshot.read_bytes()
    screenshot.write_bytes(original + b"another capture")  # a new file to publish
    marks = tmp_path / "marks"
    marks.mkdir()
    code = ("import sys; from pathlib import Path; from grader.batch import BatchOptions, "
            "run_batch; run_batch(BatchOptions(Path(sys.argv[1]), Path(sys.argv[2]), "
            "rubric=sys.argv[3], jobs=2, timeout=60.0, ocr=False, "
            "grade_fn='batch_support:slow_grade'))")
    tests = str(Path(__file__).parent)
    env = {**os.environ, SLOW_MARKS: str(marks),
           "PYTHONPATH": os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-c", code, str(klass), str(out),
                                str(rubric_file)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not (marks / "alice.pid").is_file() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (marks / "alice.pid").is_file(), "alice was never graded again"
    process.kill()  # the batch only: its workers go on
    process.wait()
    worker = int((marks / "alice.pid").read_text("utf-8"))
    while time.monotonic() < deadline:  # until the orphaned worker has finished
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    assert _files(out) == before  # neither pages nor screenshots
    overrides.write_text(header, "utf-8")
    screenshot.write_bytes(original)
    again = run_batch(_options(klass, out, rubric_file))
    assert (again.graded, again.reused) == (0, 2)
    assert _files(out) == before
    assert "pendant le lot tué" not in (out / "sheets" / "alice.json").read_text("utf-8")


def _committed(path: Path) -> int:
    if not path.is_file():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return int(db.execute("SELECT count(*) FROM results").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _without_stamps(page: bytes) -> bytes:
    """A page without what may legitimately differ between two output folders."""
    return re.sub(rb"(/tmp|/private)[^\"'<\s]*", b"", page)


def test_an_override_survives_a_regrade_with_a_changed_rubric(tmp_path: Path,
                                                              rubric_file: Path) -> None:
    klass = make_class(tmp_path / "class", ["alice", "bob"])
    out = tmp_path / "out"
    run_batch(_options(klass, out, rubric_file))
    before = json.loads((out / "sheets" / "alice.json").read_text("utf-8"))
    auto_2a = next(q for q in before["questions"] if q["id"] == "2.a")["auto_score"]
    assert auto_2a > 0
    runner = CliRunner()
    result = runner.invoke(main, ["override", "alice", "2.a", "0.25", "--comment",
                                  "explication recopiée du cours", "--author", "prof",
                                  "--out", str(out)])
    assert result.exit_code == 0, result.output
    # export applies it at once, before any re-grade
    exported = runner.invoke(main, ["export", "--out", str(out), "-o", "-"])
    alice = next(r for r in csv.DictReader(io.StringIO(exported.output))
                 if r["student"] == "alice")
    assert (alice["2.a"], alice["overridden"]) == ("0.25", "2.a")
    # the rubric changes: 2.a is now worth 2 points, so its automatic score doubles
    text = rubric_file.read_text("utf-8")
    text = re.sub(r'(id: "2\.a"\n(?:.*\n){3}    points: )1', r"\g<1>2", text, count=1)
    rubric_file.write_text(text, "utf-8")
    summary = run_batch(_options(klass, out, rubric_file))
    assert summary.graded == 2  # a new rubric re-grades everyone
    sheet = json.loads((out / "sheets" / "alice.json").read_text("utf-8"))
    q2a = next(q for q in sheet["questions"] if q["id"] == "2.a")
    assert q2a["points"] == 2 and q2a["auto_score"] == pytest.approx(2 * auto_2a)
    assert q2a["score"] == 0.25
    assert q2a["override"]["comment"] == "explication recopiée du cours"
    assert q2a["override"]["author"] == "prof"
    assert "override.auto_changed" in [d["code"] for d in sheet["diagnostics"]]
    assert summary.flagged["alice"] == ["override.auto_changed"]
    assert "bob" not in summary.flagged
    history = runner.invoke(main, ["override", "alice", "--history", "--out", str(out)])
    assert "2.a  — → 0.25  by prof (cli)" in history.output


def test_the_overrides_file_is_imported_on_each_run(tmp_path: Path, rubric_file: Path) -> None:
    klass = make_class(tmp_path / "class", ["alice", "bob"])
    out = tmp_path / "out"
    run_batch(_options(klass, out, rubric_file))
    overrides = out / "overrides.csv"
    assert overrides.read_text("utf-8") == "student,question,score,comment,author,at\n"
    overrides.write_text("student,question,score,comment\nbob,2.b,0.5,vu à l'oral\n", "utf-8")
    summary = run_batch(_options(klass, out, rubric_file))
    assert (summary.graded, summary.reused) == (1, 1)  # only bob's sheet changes
    sheet = json.loads((out / "sheets" / "bob.json").read_text("utf-8"))
    q2b = next(q for q in sheet["questions"] if q["id"] == "2.b")
    assert (q2b["score"], q2b["override"]["comment"]) == (0.5, "vu à l'oral")
    rewritten = list(csv.DictReader(io.StringIO(overrides.read_text("utf-8"))))
    assert [(r["student"], r["question"], r["score"], r["author"]) for r in rewritten] == [
        ("bob", "2.b", "0.5", "overrides.csv")]
    overrides.write_text("student,question,score,comment\n", "utf-8")  # line deleted
    run_batch(_options(klass, out, rubric_file))
    sheet = json.loads((out / "sheets" / "bob.json").read_text("utf-8"))
    assert next(q for q in sheet["questions"] if q["id"] == "2.b")["override"] is None
    with Store.in_folder(out) as store:
        assert [(h.new_score, h.source) for h in store.history("bob")] == [
            (0.5, "overrides.csv"), (None, "overrides.csv")]


def test_a_bad_overrides_line_stops_the_run_with_its_line(tmp_path: Path,
                                                          rubric_file: Path) -> None:
    klass = make_class(tmp_path / "class", ["alice"])
    out = tmp_path / "out"
    run_batch(_options(klass, out, rubric_file))
    (out / "overrides.csv").write_text("student,question,score\nalice,2.a,beaucoup\n", "utf-8")
    result = CliRunner().invoke(main, ["batch", str(klass), "--out", str(out), "--rubric",
                                       str(rubric_file)])
    assert result.exit_code == 1
    assert "overrides.csv:2: score 'beaucoup' is not a number" in result.output


def test_batch_command_on_a_moodle_zip_with_a_roster(tmp_path: Path, rubric_file: Path) -> None:
    from test_archives import moodle_zip

    archive = moodle_zip(tmp_path / "download.zip")
    roster = tmp_path / "roster.csv"
    roster.write_text("Full name;Email address;Section\nAlice Martin;alice@u.fr;G1\n"
                      "Bob Durand;bob@u.fr;G2\n", "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(archive), "--out", str(out), "--rubric",
                                       str(rubric_file), "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    assert "3 submissions" in result.output
    assert "archive.too_large" in result.output  # Bob's zip bomb, flagged
    assert f"dashboard: {out.resolve() / 'index.html'}" in result.output
    moodle = CliRunner().invoke(main, ["export", "--format", "moodle", "--out", str(out),
                                       "-o", "-"])
    rows = list(csv.DictReader(io.StringIO(moodle.output)))
    assert [(r["Identifier"], r["Full name"], r["Email address"]) for r in rows] == [
        ("Participant 101", "Alice Martin", "alice@u.fr"),
        ("Participant 102", "Bob Durand", "bob@u.fr"),
        ("Participant 103", "Chloé Petit", "")]
    assert all(r["Grade"] for r in rows)
    # a small class's marks are printed, each as the export gives it
    printed = dict(re.findall(r"^  (.+?) +([\d.]+)/20  tp1-docker$", result.output, re.M))
    assert len(printed) == 3
    assert sorted(float(m) for m in printed.values()) == sorted(float(r["Grade"])
                                                                for r in rows)


def test_one_batch_at_a_time_per_output_folder(tmp_path: Path, rubric_file: Path) -> None:
    import fcntl

    from grader.batch import BatchBusy

    klass = make_class(tmp_path / "class", ["alice"])
    out = tmp_path / "out"
    out.mkdir()
    with (out / ".lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running batch would
        with pytest.raises(BatchBusy, match="another 'grader batch'"):
            run_batch(_options(klass, out, rubric_file))
    assert run_batch(_options(klass, out, rubric_file)).graded == 1


def test_similarity_file_lists_each_flagged_pair_on_its_line(tmp_path: Path,
                                                             rubric_file: Path) -> None:
    klass = tmp_path / "class"
    for name, fixture in (("alice", "headings.md"), ("bob", "headings.md"),
                          ("chloe", "letters.md"), ("dan", "roman.md")):
        make_student(klass, name, fixture)
    out = tmp_path / "out"
    summary = run_batch(_options(klass, out, rubric_file))
    text = (out / "similarity.json").read_text("utf-8")
    pairs = json.loads(text)
    assert [(p["a"], p["b"]) for p in pairs] == [("alice", "bob")]
    assert summary.similar_pairs == 1
    lines = text.splitlines()
    assert (lines[0], lines[-1]) == ("[", "]")
    # one pair per line, readable as written (accents not escaped)
    assert [json.loads(line.removesuffix(",")) for line in lines[1:-1]] == pairs
    assert all(line.endswith(",") for line in lines[1:-2])
    assert "modèle" in text
