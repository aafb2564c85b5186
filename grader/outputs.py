"""The batch's output folder, written from the results store, and the overrides file.

The store is the single source of truth; the folder is a projection of it
that can be rebuilt at any time. Every file is written atomically (a
temporary file renamed over the old one), so a batch killed while writing
leaves the previous version, never half a page. Files whose content cannot
have changed (same result, same overrides, same grader) are not rewritten,
which keeps an unchanged re-run of a large class well under two seconds.

Layout of ``OUT``::

    index.html              class dashboard (instructor view: names, similar answers)
    sheets/<slug>.html      each student's sheet, instructor view (linked from index.html)
    sheets/<slug>.json      each score sheet as JSON (README's schema 1)
    students/<slug>.html    each student's sheet, student view: what may be sent to them
    grades.csv              plain CSV export (one column per question)
    similarity.json         pairs of students with answers alike, and the shared passages
    summary.json            the last run's summary
    overrides.csv           the instructor's overrides, editable (see ``sync_overrides_file``)
    results.sqlite          the results store
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from grader.errors import GraderError
from grader.export import grade_rows, to_csv
from grader.rubric import Rubric
from grader.similarity import SimilarPair, find_similar
from grader.store import Store, StoreError, StudentRecord

if TYPE_CHECKING:
    from grader.batch import BatchSummary

OVERRIDES_FILE = "overrides.csv"
MANIFEST = ".grader-outputs.json"
OVERRIDE_COLUMNS = ("student", "question", "score", "comment", "author", "at")
MAX_SIMILAR_ROWS = 200


class OverridesFileError(GraderError):
    """A line of ``overrides.csv`` cannot be used; the message names the line."""


def json_lines(items: Sequence[Any]) -> str:
    """A JSON array with one item per line: readable and diffable, each item encoded by
    orjson (``indent`` makes ``json`` fall back to pure Python: seconds for a class)."""
    if not items:
        return "[]\n"
    return "[\n" + ",\n".join(orjson.dumps(item).decode() for item in items) + "\n]\n"


def write_atomic(path: Path, data: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, path)


# ---------------------------------------------------------------- overrides file

@dataclass(frozen=True, slots=True)
class OverridesSync:
    changed: tuple[tuple[str, str], ...] = ()
    """(student, question) set or cleared from the file's edits."""


def sync_overrides_file(store: Store, path: Path, *, at: str) -> OverridesSync:
    """Import the instructor's edits of ``overrides.csv`` into the store, then rewrite it
    from the store.

    The file mirrors the store's current overrides (it is rewritten after every change,
    ``grader override`` included). Edit it and the next ``grader batch``, ``override`` or
    ``export`` applies the edits: a new or changed line sets an override (author: the
    line's, or ``overrides.csv``), a deleted line or an empty score clears one. A missing
    file is simply recreated."""
    changed: list[tuple[str, str]] = []
    if path.is_file():
        wanted: dict[tuple[str, str], tuple[float | None, str, str]] = {}
        text = path.read_text(encoding="utf-8-sig")
        for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
            student_text = (row.get("student") or "").strip()
            question = (row.get("question") or "").strip()
            if not student_text and not question:
                continue
            if not student_text or not question:
                raise OverridesFileError(f"{path}:{number}: both 'student' and 'question' "
                                         "are needed")
            raw = (row.get("score") or "").strip().replace(",", ".")
            try:
                score = float(raw) if raw else None
            except ValueError:
                raise OverridesFileError(f"{path}:{number}: score {raw!r} is not a number; "
                                         "write e.g. 0.5, or leave it empty to clear") from None
            try:
                student = store.resolve_student(student_text)
            except StoreError as exc:
                raise OverridesFileError(f"{path}:{number}: {exc}") from None
            wanted[(student, question)] = (score, (row.get("comment") or "").strip(),
                                           (row.get("author") or "").strip())
        current = {(s, q): o for s, per in store.overrides().items() for q, o in per.items()}
        for key in sorted(set(current) | set(wanted)):
            old = current.get(key)
            score, comment, author = wanted.get(key, (None, "", ""))
            if old is not None and score == old.override.score \
                    and comment == old.override.comment:
                continue
            if old is None and score is None:
                continue
            try:
                store.set_override(key[0], key[1], score, comment=comment,
                                   author=author or OVERRIDES_FILE, at=at,
                                   source=OVERRIDES_FILE, strict=False)
            except StoreError as exc:
                raise OverridesFileError(f"{path}: {key[0]} {key[1]}: {exc}") from None
            changed.append(key)
    write_overrides_file(store, path)
    return OverridesSync(tuple(changed))


def write_overrides_file(store: Store, path: Path) -> None:
    rows = [[o.student, o.question, format(o.override.score, "g"), o.override.comment,
             o.override.author, o.override.at]
            for per in store.overrides().values() for o in per.values()]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(OVERRIDE_COLUMNS)
    writer.writerows(sorted(rows))
    write_atomic(path, buffer.getvalue())


# ---------------------------------------------------------------- similarity

@dataclass(slots=True)
class ClassSimilarity:
    """The class's similar pairs, computed (or taken from the store's cache) on demand:
    an unchanged re-run needs only how many there are and who is in them."""

    store: Store
    graded: list[tuple[str, int]]
    """(student, result id) of the graded results compared."""
    digest: str
    count: int = 0
    students: tuple[str, ...] = ()
    _pairs: list[SimilarPair] | None = None
    _text: str | None = None

    @classmethod
    def of(cls, store: Store, students: Sequence[StudentRecord]) -> ClassSimilarity:
        results = store.results(s.key for s in students)
        graded = sorted((key, r.id) for key, r in results.items() if r.status == "graded")
        digest = hashlib.sha256(json.dumps(graded).encode()).hexdigest()
        found = cls(store, graded, digest)
        brief = store.cached("similarity-brief", digest)
        if brief is None:
            found.pairs()
        else:
            data = json.loads(brief)
            found.count, found.students = data["count"], tuple(data["students"])
        return found

    def pairs(self) -> list[SimilarPair]:
        if self._pairs is not None:
            return self._pairs
        cached = self.store.cached("similarity", self.digest)
        if cached is not None:
            self._pairs = [_pair_from_dict(p) for p in orjson.loads(cached)]
            self._text = cached
            return self._pairs
        prints: dict[str, Any] = {}
        for key, result_id in self.graded:
            found = self.store.fingerprints(result_id)
            if found:
                prints[key] = found
        self._pairs = find_similar(prints)
        self.count = len(self._pairs)
        self.students = tuple(sorted({k for p in self._pairs for k in (p.a, p.b)}))
        self.store.remember("similarity", self.digest, self.text())
        self.store.remember("similarity-brief", self.digest,
                            json.dumps({"count": self.count, "students": self.students}))
        return self._pairs

    def text(self) -> str:
        """``similarity.json``'s content, encoded once (it is also the cached form)."""
        if self._text is None:
            self._text = json_lines([p.as_dict() for p in self.pairs()])
        return self._text


def _pair_from_dict(data: Mapping[str, Any]) -> SimilarPair:
    from grader.similarity import Passage, SharedAnswer

    return SimilarPair(data["a"], data["b"], tuple(
        SharedAnswer(q["question"], q["containment"], q["shared"],
                     tuple(Passage(p["a"], p["b"]) for p in q["passages"]))
        for q in data["questions"]))


def _similarity_section(pairs: Sequence[SimilarPair], records: Mapping[str, StudentRecord],
                        ) -> Any:
    from grader.render import DashboardLink, DashboardSection

    def link(key: str) -> DashboardLink:
        record = records[key]
        return DashboardLink(record.name or key, f"sheets/{record.slug}.html")

    shown: list[tuple[Any, ...]] = []
    for pair in pairs:
        for answer in pair.answers[:MAX_SIMILAR_ROWS - len(shown)]:
            passage = answer.passages[0] if answer.passages else None
            shown.append((link(pair.a), link(pair.b), answer.question,
                          f"{answer.containment:.0%} ({answer.shared})",
                          passage.a if passage else "", passage.b if passage else ""))
    total = sum(len(pair.answers) for pair in pairs)
    note = ("Réponses très proches malgré l'énoncé et le code fournis retirés : passages "
            "communs ci-dessous (tous dans similarity.json). À vérifier avant toute conclusion.")
    if total > len(shown):
        note += f" {len(shown)} lignes affichées sur {total}."
    return DashboardSection(
        "Réponses similaires", ("Étudiant A", "Étudiant B", "Question", "Part commune",
                                "Passage de A", "Passage de B"), tuple(shown), note)


# ---------------------------------------------------------------- the folder

def student_files(slug: str, html: bool) -> dict[str, str]:
    """A student's files in the output folder → the store's payload each one holds."""
    files = {f"sheets/{slug}.json": "sheet"}
    if html:
        files[f"sheets/{slug}.html"] = "html_instructor"
        files[f"students/{slug}.html"] = "html_student"
    return files


def write_outputs(store: Store, out: Path, *, rubrics: Sequence[Rubric],
                  summary: BatchSummary, html: bool, similarity: bool,
                  templates: Path | None, fresh: Mapping[str, int] | None = None) -> None:
    """Write the output folder for the store's latest run, and fill in ``summary``.

    ``fresh`` names the files already put in place this run (file → the result id it
    holds): workers write their student's pages as they grade, on every core, and each
    is moved into the folder once its result is saved, so that only the class-wide files
    are left to this serial step."""
    fresh = fresh or {}
    clock = time.perf_counter()
    students = store.class_students(summary.run_id)
    records = {s.key: s for s in students}
    results = store.results(records)
    alike = ClassSimilarity.of(store, students) if similarity else None
    clock = summary.lap("similarity", clock)
    summary.similar_pairs = alike.count if alike else 0
    for key in records:
        result = results.get(key)
        if result is None:
            summary.failed[key] = "not graded yet (the batch was stopped before it)"
            continue
        if result.status == "ungraded":
            summary.ungraded.append(key)
        elif result.status == "failed":
            summary.failed[key] = result.note or "failed"
        codes = [c for c in result.flags if c.startswith(("override.", "archive."))]
        if codes:
            summary.flagged[key] = codes
    for key in alike.students if alike else ():
        summary.flagged.setdefault(key, []).append("similarity.pair")
    manifest_path = out / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    written: dict[str, int] = {}
    for key, record in sorted(records.items()):
        result = results.get(key)
        if result is None:
            continue
        for name, column in student_files(record.slug, html).items():
            target = out / name
            if fresh.get(name) == result.id:  # written by the worker that graded it, placed
                written[name] = result.id
                continue
            if manifest.get(name) != result.id or not target.is_file():
                text = store.payload(result.id, column)
                if text is None:
                    continue
                write_atomic(target, text)
            written[name] = result.id
    summary.outputs = {"grades": out / "grades.csv", "similarity": out / "similarity.json",
                       "sheets": out / "sheets", "store": store.path,
                       "overrides": out / OVERRIDES_FILE}
    if html:
        summary.outputs["dashboard"] = out / "index.html"
        summary.outputs["students"] = out / "students"
    # the class-wide files depend on every result, override and similar pair shown
    inputs = json.dumps([sorted((k, r.id) for k, r in results.items()),
                         alike.digest if alike else "", students, sorted(
                             (k, q, o.override, o.auto_before)
                             for k, per in store.overrides().items() for q, o in per.items()),
                         html, str(templates or ""), [r.digest for r in rubrics]], default=repr)
    key = hashlib.sha256(inputs.encode()).hexdigest()
    class_files = [out / "grades.csv", out / "similarity.json"] + (
        [out / "index.html"] if html else [])
    if manifest.get("_class") != key or not all(f.is_file() for f in class_files):
        pairs = alike.pairs() if alike else []
        rows = grade_rows(store, summary.run_id)
        write_atomic(out / "grades.csv", to_csv(rows))
        write_atomic(out / "similarity.json", alike.text() if alike else json_lines([]))
        if html:
            dashboard = _dashboard(_dashboard_entries(rows, html), rubrics, pairs, records,
                                   templates)
            if dashboard is not None:
                write_atomic(out / "index.html", dashboard)
    summary.lap("outputs", clock)
    write_atomic(out / "summary.json", json.dumps(summary.as_dict(), ensure_ascii=False,
                                                  indent=2) + "\n")
    write_atomic(manifest_path, json.dumps({**written, "_class": key}, sort_keys=True))


def _dashboard_entries(rows: Sequence[Any], html: bool) -> list[Any]:
    try:
        from grader.render import DashboardEntry
    except ImportError:
        return []
    entries = []
    for row in rows:
        href = f"sheets/{row.student.slug}.html" if html else None
        if row.status in ("failed", "missing"):
            entries.append(DashboardEntry(row.student.name or row.student.key, None, href,
                                          row.sheet.diagnostics if row.sheet else ()))
        else:
            entries.append(DashboardEntry(row.student.name or row.student.key, row.sheet, href))
    return entries


def _dashboard(entries: Sequence[Any], rubrics: Sequence[Rubric], pairs: Sequence[SimilarPair],
               records: Mapping[str, StudentRecord], templates: Path | None) -> str | None:
    try:
        from grader.render import render_dashboard
    except ImportError:
        return None
    used = {e.sheet.rubric for e in entries if e.sheet is not None and e.sheet.rubric}
    rubric = next((r for r in rubrics if r.id in used), rubrics[0] if len(rubrics) == 1
                  else None)
    extra = {"sections": [_similarity_section(pairs, records)]} if pairs else {}
    return render_dashboard(entries, rubric=rubric, audience="instructor",
                            templates=templates, extra=extra)
