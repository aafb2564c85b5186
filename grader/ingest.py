"""Read a submission folder: find the report, decode it, list images and code.

The first pipeline stage. Students put their report anywhere
(``reports/rapport_tp1.md``, ``README.md``, ``TP1.md``, a ``.txt``, a Word file
renamed ``.md``) next to boilerplate READMEs and older drafts; the report is
the file that looks most like a lab report. Nothing here follows a symlink
out of the folder or reads an unbounded file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.decode import decode_bytes
from grader.documents import extract_document, sniff_format
from grader.errors import SubmissionError
from grader.files import walk
from grader.models import (
    Diagnostic,
    FileKind,
    Severity,
    SourceFile,
    Submission,
    SubmissionFile,
)

REPORT_SUFFIXES = (".md", ".markdown", ".txt", ".docx", ".pdf", ".rst", "")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg")
MAX_REPORT_BYTES = 20 * 1024 * 1024
_MARKER = re.compile(
    r"(?im)^[\s>#*_\-\d.)]*(?:q(?:uestion)?s?\s*\d{1,2}\s*[.\-]\s*[a-h1-9]\b|\d{1,2}\.[a-h]\b"
    r"|exerci[cs]e\s*\d|[ée]tape\s*\d|[a-h]\)\s)"
)
_NAME_HINTS = re.compile(r"rapport|report|tp\s*\d|compte[-_ ]?rendu|livrable|answers?|reponses?",
                         re.I)


@dataclass(frozen=True, slots=True)
class ReportCandidate:
    path: str
    score: float
    markers: int
    size: int


def _kind(path: PurePosixPath) -> FileKind | None:
    name = path.name.lower()
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return FileKind.IMAGE
    if name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile"):
        return FileKind.DOCKERFILE
    if suffix in (".yml", ".yaml"):
        stem = path.stem.lower()
        if "compose" in stem:
            return FileKind.COMPOSE
        return FileKind.YAML
    if suffix == ".py":
        return FileKind.PYTHON
    if name.startswith("requirements") and suffix in (".txt", ".in"):
        return FileKind.REQUIREMENTS
    return None


def list_files(root: Path) -> list[SubmissionFile]:
    files: list[SubmissionFile] = []
    for path in walk(root):
        rel = PurePosixPath(path.relative_to(root).as_posix())
        kind = _kind(rel)
        if kind is None:
            continue
        try:
            size = path.stat().st_size
        except OSError:
            continue
        files.append(SubmissionFile(str(rel), kind, size))
    return files


MAX_SOURCE_BYTES = 256 * 1024
MAX_SOURCES = 50


def read_sources(root: Path, files: list[SubmissionFile]) -> list[SourceFile]:
    """The text of the submission's code files, nearest to the root first, bounded."""
    wanted = [f for f in files if f.kind is not FileKind.IMAGE and f.size <= MAX_SOURCE_BYTES]
    wanted.sort(key=lambda f: (f.path.count("/"), f.path))
    sources: list[SourceFile] = []
    for file in wanted[:MAX_SOURCES]:
        try:
            data = (root / file.path).read_bytes()
        except OSError:
            continue
        if sniff_format(data[:4096]) != "text":
            continue
        sources.append(SourceFile(file.path, file.kind, decode_bytes(data).text))
    return sources


def rank_reports(root: Path) -> list[ReportCandidate]:
    """Report-like files, the most report-like first."""
    candidates: list[ReportCandidate] = []
    for path in walk(root):
        rel = path.relative_to(root).as_posix()
        suffix = path.suffix.lower()
        if suffix not in REPORT_SUFFIXES:
            continue
        name = path.name.lower()
        if suffix in ("", ".txt") and (name.startswith(("requirements", "license", "dockerfile"))
                                       or name in ("notice", "makefile", "procfile")):
            continue
        try:
            size = path.stat().st_size
        except OSError:
            continue
        if size == 0 or size > MAX_REPORT_BYTES:
            continue
        with path.open("rb") as handle:
            head = handle.read(min(size, 2 * 1024 * 1024))
        fmt = sniff_format(head)
        if fmt in ("docx", "pdf", "odt"):
            markers = 5  # cannot count without extracting; still a strong candidate
        elif fmt == "text":
            text = head.decode("utf-8", errors="replace")
            markers = len(_MARKER.findall(text))
        else:
            continue
        score = float(markers)
        if _NAME_HINTS.search(path.stem):
            score += 3
        if "readme" in name:
            score -= 1
        if re.search(r"(?:old|draft|brouillon|copy|copie|backup|bak|v\d+)$", path.stem, re.I):
            score -= 2
        score += min(size, 40_000) / 40_000  # longer wins ties
        candidates.append(ReportCandidate(rel, score, markers, size))
    candidates.sort(key=lambda c: (-c.score, c.path.count("/") == 0, c.path))
    return candidates


def read_submission(root: str | Path, *, report: str | Path | None = None,
                    encoding: str | None = None, student: str | None = None) -> Submission:
    """Read one student's folder (or a single report file) into a ``Submission``."""
    root = Path(root)
    if root.is_file():
        report = root.name if report is None else report
        student = student or root.stem
        root = root.parent
    if not root.is_dir():
        raise SubmissionError(f"{root} is not a folder; pass a student's submission folder")
    root = root.resolve()
    diagnostics: list[Diagnostic] = []
    files = list_files(root)
    candidates: list[str] = []
    if report is not None:
        report_path = Path(report)
        full = report_path if report_path.is_absolute() else root / report_path
        if not full.is_file():
            full = Path(report).resolve()
        if not full.is_file():
            raise SubmissionError(f"report {report} not found; pass a path inside {root}")
        full = full.resolve()
        if not full.is_relative_to(root):
            raise SubmissionError(f"report {report} is outside the submission folder {root}")
        chosen: str | None = full.relative_to(root).as_posix()
    else:
        ranked = rank_reports(root)
        candidates = [c.path for c in ranked]
        chosen = ranked[0].path if ranked else None
        if len(ranked) > 1:
            others = ", ".join(c.path for c in ranked[1:4])
            diagnostics.append(Diagnostic(
                "report.chosen", f"report {chosen} chosen among {len(ranked)} candidates "
                f"(also: {others}); use --report to pick another", Severity.INFO))
    name = student or root.name
    if chosen is None:
        diagnostics.append(Diagnostic(
            "report.missing", "no report found (no .md, .txt, .docx or .pdf file with text); "
            "ask the student for the report", Severity.ERROR))
        return Submission(root=root, student=name, report_path=None, text="", encoding="",
                          files=tuple(files), diagnostics=tuple(diagnostics))
    data = (root / chosen).read_bytes()[:MAX_REPORT_BYTES]
    fmt = sniff_format(data)
    embedded: tuple = ()
    if fmt in ("docx", "pdf", "odt"):
        document = extract_document(data, fmt)
        from grader.decode import normalise_text
        text, notes = normalise_text(document.text)
        diagnostics.extend(document.diagnostics)
        diagnostics.extend(notes)
        embedded = document.images
        used = fmt
    elif fmt == "text":
        decoded = decode_bytes(data, encoding=encoding)
        text = decoded.text
        used = decoded.encoding
        diagnostics.extend(decoded.diagnostics)
    else:
        diagnostics.append(Diagnostic(
            "report.binary", f"{chosen} is not a text report (looks like {fmt}); "
            "ask the student for a markdown export", Severity.ERROR))
        text, used = "", fmt
    return Submission(root=root, student=name, report_path=chosen, text=text, encoding=used,
                      source_format=fmt if fmt != "text" else "text", files=tuple(files),
                      embedded_images=embedded, candidates=tuple(candidates),
                      sources=tuple(read_sources(root, files)),
                      diagnostics=tuple(diagnostics))
