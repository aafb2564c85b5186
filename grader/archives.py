"""Find a class's submissions: folders, Moodle downloads, GitHub Classroom clones.

An instructor hands ``grader batch`` whatever the LMS gave them: a folder of
student folders, Moodle's "download all submissions" zip (folders named
``Full Name_12345_assignsubmission_file_``, the report often inside the
student's own zip, sometimes zips in zips) or a folder of GitHub Classroom
clones (``tp1-<login>/``). Each becomes a list of ``StudentInput``: who the
student is (from the folder or Moodle name) and one folder to grade.

Archives come from students, so extraction is defensive: an entry whose path
would land outside the target (zip slip), a symlink, an encrypted entry, an
entry too large or compressed suspiciously well (zip bomb) is skipped and
becomes a diagnostic on that student's sheet; size and file-count budgets
bound the whole extraction. Nothing here modifies the instructor's input:
archives are extracted under the output folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.errors import SubmissionError
from grader.files import SKIP_DIRS
from grader.models import Diagnostic, Severity

MOODLE_NAME = re.compile(
    r"^(?P<name>.+?)_(?P<id>\d+)_assign(?:submission|feedback)_(?P<plugin>[a-z]+)_(?P<rest>.*)$")
"""Moodle's per-student prefix; ``rest`` is empty for folders, the file name for flat zips."""
EXTRACT_MARK = ".grader-extracted.json"
"""Written last in an extraction folder: the archive's hash and the notes, so an unchanged
archive is not extracted again (and its files keep their dates, so hashing them is cheap)."""
CLASS_NOTE = ""
"""Key of notes that concern the class archive, not one student."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one archive may write. A student's nested zips get their own budget,
    so one student zipping ``node_modules`` cannot starve the rest of the class."""

    max_entry_bytes: int = 200 * 1024 * 1024
    max_total_bytes: int = 2 * 1024 * 1024 * 1024
    max_files: int = 50_000
    max_ratio: float = 200.0
    """Uncompressed/compressed size above which a large entry is taken for a bomb."""
    ratio_floor: int = 1024 * 1024
    """Entries smaller than this are never judged by their ratio (tiny files compress well)."""
    max_depth: int = 3
    """How deep zips inside zips are opened."""
    student_bytes: int = 500 * 1024 * 1024
    student_files: int = 5_000


@dataclass(slots=True)
class _Budget:
    bytes_left: int
    files_left: int


@dataclass(frozen=True, slots=True)
class StudentInput:
    """One student of the class and the folder to grade."""

    key: str
    """Identity used everywhere (store, overrides, exports): the folder name, the Moodle
    full name or the GitHub login."""
    name: str
    folder: Path
    lms_id: str | None = None
    """Moodle's participant number when the folder name carries it."""
    login: str | None = None
    source: str = "folder"
    """``folder``, ``moodle`` or ``classroom``."""
    notes: tuple[Diagnostic, ...] = ()
    """Problems met while extracting this student's archives."""


@dataclass(frozen=True, slots=True)
class Discovery:
    students: tuple[StudentInput, ...]
    kind: str
    notes: tuple[Diagnostic, ...] = ()
    """Problems that concern the class archive itself (no student to put them on)."""


@dataclass(slots=True)
class _Notes:
    by_key: dict[str, list[Diagnostic]] = field(default_factory=dict)

    def add(self, key: str, code: str, message: str,
            severity: Severity = Severity.WARNING) -> None:
        self.by_key.setdefault(key, []).append(Diagnostic(code, message, severity))


def slugify(text: str) -> str:
    """A file-name-safe ASCII form of a student key (``Élodie Martin`` → ``elodie-martin``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text).strip("-.").lower()
    return slug or "student"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- safe extraction

def _safe_parts(name: str) -> tuple[str, ...] | None:
    """The entry's path as safe parts, or ``None`` when it would escape the target."""
    name = name.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
    if any(p == ".." for p in parts) or any("\x00" in p for p in parts):
        return None
    return parts


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _copy_bounded(source: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path,
                  limit: int) -> bool:
    """Copy one entry, stopping (and removing the partial file) past ``limit`` bytes: the
    declared size is checked before, this guards against a header that lies."""
    written = 0
    with source.open(info) as src, target.open("wb") as dst:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            written += len(chunk)
            if written > limit:
                break
            dst.write(chunk)
    if written > limit:
        target.unlink(missing_ok=True)
        return False
    return True


def _extract(archive: Path, dest: Path, budget: _Budget, limits: Limits, notes: _Notes,
             route: _Route) -> list[Path]:
    """Extract ``archive`` under ``dest``; return the folders written (for nested zips)."""
    written: list[Path] = []
    label = archive.name
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        notes.add(route.owner_of_archive(), "archive.unreadable",
                  f"{label} cannot be opened as a zip ({exc}); ask for a new upload")
        return written
    with zf:
        for info in zf.infolist():
            parts = _safe_parts(info.filename)
            owner, parts = route(parts) if parts is not None else (route.owner_for(
                info.filename), None)
            if parts is None:
                notes.add(owner, "archive.unsafe_path",
                          f"{label}: entry {info.filename!r} points outside the archive "
                          "(zip slip); skipped")
                continue
            if info.is_dir() or not parts:
                continue
            if _is_symlink(info):
                notes.add(owner, "archive.symlink",
                          f"{label}: symbolic link {info.filename!r} ignored")
                continue
            if info.flag_bits & 0x1:
                notes.add(owner, "archive.encrypted",
                          f"{label}: {info.filename!r} is password-protected; skipped")
                continue
            if budget.files_left <= 0:
                notes.add(owner, "archive.too_many_files",
                          f"{label}: more than the allowed number of files; the rest skipped",
                          Severity.ERROR)
                break
            size = info.file_size
            ratio = size / max(info.compress_size, 1)
            if (size > limits.max_entry_bytes or size > budget.bytes_left
                    or (size > limits.ratio_floor and ratio > limits.max_ratio)):
                notes.add(owner, "archive.too_large",
                          f"{label}: {info.filename!r} would expand to {size:,} bytes "
                          f"(ratio {ratio:.0f}:1); skipped as a possible zip bomb",
                          Severity.ERROR)
                continue
            target = dest.joinpath(*parts)
            if not target.resolve().is_relative_to(dest.resolve()):
                notes.add(owner, "archive.unsafe_path",
                          f"{label}: entry {info.filename!r} resolves outside the target; "
                          "skipped")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.is_dir():
                continue
            try:
                complete = _copy_bounded(zf, info, target, min(limits.max_entry_bytes,
                                                               budget.bytes_left))
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                target.unlink(missing_ok=True)
                notes.add(owner, "archive.corrupt_entry",
                          f"{label}: {info.filename!r} could not be extracted ({exc})")
                continue
            if not complete:
                notes.add(owner, "archive.too_large",
                          f"{label}: {info.filename!r} is larger than it declares; skipped",
                          Severity.ERROR)
                continue
            budget.files_left -= 1
            budget.bytes_left -= size
            written.append(target)
    return written


@dataclass(slots=True)
class _Route:
    """Where an entry goes: Moodle's per-student prefixes are rewritten to one folder per
    student (``file`` and ``onlinetext`` submissions merged); other paths stay as they are.
    ``owner`` is the student key that notes about an entry belong to."""

    moodle: bool = False
    fixed_owner: str | None = None
    seen: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Folder name → (full name, participant id)."""

    def owner_of_archive(self) -> str:
        return self.fixed_owner if self.fixed_owner is not None else CLASS_NOTE

    def owner_for(self, name: str) -> str:
        """Who an unusable entry belongs to: its Moodle folder's student, if it has one."""
        if self.fixed_owner is not None:
            return self.fixed_owner
        match = MOODLE_NAME.match(name.replace("\\", "/").lstrip("/").split("/")[0])
        return f"{match['name']}_{match['id']}" if match else CLASS_NOTE

    def __call__(self, parts: tuple[str, ...]) -> tuple[str, tuple[str, ...] | None]:
        if self.fixed_owner is not None or not parts:
            return self.owner_of_archive(), parts
        match = MOODLE_NAME.match(parts[0])
        if match is None:
            return CLASS_NOTE, parts
        folder = f"{match['name']}_{match['id']}"
        self.seen[folder] = (match["name"], match["id"])
        rest = parts[1:] if not match["rest"] else (match["rest"], *parts[1:])
        return folder, (folder, *rest)


def _unique_folder(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}_{n}")
        n += 1
    return candidate


def expand_nested(folder: Path, owner: str, limits: Limits, notes: _Notes) -> None:
    """Open every zip inside a student's folder next to it (``tp1.zip`` → ``tp1/``), zips
    found inside those too, down to ``limits.max_depth``."""
    budget = _Budget(limits.student_bytes, limits.student_files)
    pending = [(p, 1) for p in sorted(_zips_in(folder))]
    while pending:
        archive, depth = pending.pop(0)
        if depth > limits.max_depth:
            notes.add(owner, "archive.too_deep",
                      f"{archive.name}: zip nested more than {limits.max_depth} levels deep; "
                      "not opened")
            continue
        target = _unique_folder(archive.with_suffix(""))
        target.mkdir(parents=True)
        written = _extract(archive, target, budget, limits, notes, _Route(fixed_owner=owner))
        pending.extend((p, depth + 1) for p in sorted(written)
                       if p.suffix.lower() == ".zip" and zipfile.is_zipfile(p))


def _zips_in(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        for name in files:
            path = Path(root) / name
            if name.lower().endswith(".zip") and not path.is_symlink() \
                    and zipfile.is_zipfile(path):
                found.append(path)
    return found


def extract_class_archive(archive: Path, dest: Path, limits: Limits = Limits()) -> Discovery:
    """Extract a class zip (Moodle's or a zip of student folders) into ``dest`` and discover
    its students. Re-extracts only when the archive's bytes (or the limits) changed."""
    digest = file_sha256(archive)
    stamp = {"sha256": digest, "limits": repr(limits), "version": 1}
    mark = dest / EXTRACT_MARK
    if mark.is_file():
        try:
            saved = json.loads(mark.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        if all(saved.get(k) == v for k, v in stamp.items()):
            return _discover_extracted(dest, saved)
    if not zipfile.is_zipfile(archive):
        raise SubmissionError(f"{archive} is not a zip archive; pass a folder of submissions "
                              "or the zip downloaded from the LMS")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    notes = _Notes()
    with zipfile.ZipFile(archive) as zf:
        heads = (_safe_parts(n) for n in zf.namelist())
        moodle = any(parts and MOODLE_NAME.match(parts[0]) for parts in heads)
    route = _Route(moodle=moodle)
    _extract(archive, dest, _Budget(limits.max_total_bytes, limits.max_files), limits, notes,
             route)
    for child in sorted(p for p in _students_root(dest, moodle).iterdir() if p.is_dir()):
        expand_nested(child, child.name, limits, notes)
    saved = {**stamp, "moodle": moodle, "people": route.seen,
             "notes": {k: [d.as_dict() for d in v] for k, v in notes.by_key.items()}}
    tmp = mark.with_suffix(".tmp")
    tmp.write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, mark)
    return _discover_extracted(dest, saved)


def _students_root(dest: Path, moodle: bool) -> Path:
    """Where the student folders are: a zip often holds one folder that holds the class."""
    entries = [p for p in dest.iterdir() if not p.name.startswith(".")]
    if not moodle and len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest


def _notes_from(raw: object) -> tuple[Diagnostic, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(Diagnostic(d["code"], d["message"], Severity(d["severity"])) for d in raw)


def _discover_extracted(dest: Path, saved: dict[str, object]) -> Discovery:
    raw_notes = saved.get("notes")
    notes = ({k: _notes_from(v) for k, v in raw_notes.items()}
             if isinstance(raw_notes, dict) else {})
    class_notes = notes.get(CLASS_NOTE, ())
    people = saved.get("people")
    if saved.get("moodle") and isinstance(people, dict):
        students: dict[str, StudentInput] = {}
        for folder, (name, lms_id) in sorted(people.items()):
            if not (dest / folder).is_dir():
                continue
            key = name if name not in students else f"{name}_{lms_id}"
            students[key] = StudentInput(key, name, dest / folder, lms_id=lms_id,
                                         source="moodle", notes=notes.get(folder, ()))
        if not students:
            raise SubmissionError(f"{dest} holds no readable submission; check the zip")
        return Discovery(tuple(sorted(students.values(), key=lambda s: s.key)), "moodle",
                         class_notes)
    found = discover_folder(_students_root(dest, False), notes_by_key=notes)
    return Discovery(found.students, found.kind, class_notes)


# ---------------------------------------------------------------- discovery

def _is_clone(folder: Path) -> bool:
    return (folder / ".git").exists()


def _classroom_prefix(names: list[str]) -> str:
    """The ``assignment-`` prefix GitHub Classroom puts before each login, or ``''``."""
    if len(names) < 2:
        return ""
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    cut = prefix.rfind("-")
    return prefix[:cut + 1] if cut > 0 else ""


def discover_folder(root: Path, *, work_dir: Path | None = None, limits: Limits = Limits(),
                    notes_by_key: dict[str, tuple[Diagnostic, ...]] | None = None) -> Discovery:
    """Students of a folder of student folders (plain, Moodle-named or Classroom clones).

    A student folder holding zips is copied under ``work_dir`` with its zips opened there,
    so the instructor's folder is never written to."""
    notes_by_key = dict(notes_by_key or {})
    folders = sorted(p for p in root.iterdir()
                     if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
                     and p.name not in SKIP_DIRS)
    if not folders:
        raise SubmissionError(f"{root} holds no student folder; pass a folder with one "
                              "sub-folder per student, or the LMS's zip")
    names = [f.name for f in folders]
    moodle = {f.name: MOODLE_NAME.match(f.name + ("" if f.name.endswith("_") else "_"))
              for f in folders}
    kind = "folder"
    if sum(m is not None for m in moodle.values()) * 2 > len(folders):
        kind = "moodle"
    prefix = ""
    if kind == "folder" and sum(_is_clone(f) for f in folders) * 2 > len(folders):
        kind = "classroom"
        prefix = _classroom_prefix(names)
    chosen: dict[str, StudentInput] = {}
    for folder in folders:
        match = moodle[folder.name]
        if kind == "moodle" and match is not None:
            name, lms_id = match["name"], match["id"]
            key = name
            if key in chosen and chosen[key].lms_id != lms_id:
                key = f"{name}_{lms_id}"  # two students with the same name
            elif key in chosen and match["plugin"] != "file":
                continue  # onlinetext next to the file submission: keep the file one
            student = StudentInput(key, name, folder, lms_id=lms_id, source="moodle",
                                   notes=notes_by_key.get(folder.name, ()))
        elif kind == "classroom":
            login = folder.name[len(prefix):] or folder.name
            student = StudentInput(login, login, folder, login=login, source="classroom",
                                   notes=notes_by_key.get(folder.name, ()))
        else:
            student = StudentInput(folder.name, folder.name, folder,
                                   notes=notes_by_key.get(folder.name, ()))
        chosen[student.key] = student
    students = list(chosen.values())
    if work_dir is not None:
        students = [_open_nested(s, work_dir, limits) for s in students]
    return Discovery(tuple(sorted(students, key=lambda s: s.key)), kind,
                     notes_by_key.get(CLASS_NOTE, ()))


def _open_nested(student: StudentInput, work_dir: Path, limits: Limits) -> StudentInput:
    """A copy of the student's folder with its zips opened, when it holds any."""
    if not _zips_in(student.folder):
        return student
    target = work_dir / slugify(student.key)
    stamp = _tree_stamp(student.folder)
    mark = target / EXTRACT_MARK
    saved: dict[str, object] = {}
    if mark.is_file():
        try:
            saved = json.loads(mark.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
    if saved.get("stamp") != stamp:
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(student.folder, target, symlinks=True,
                        ignore=shutil.ignore_patterns(*SKIP_DIRS, ".*"))
        notes = _Notes()
        expand_nested(target, student.key, limits, notes)
        saved = {"stamp": stamp, "notes": [d.as_dict() for d in
                                           notes.by_key.get(student.key, [])]}
        tmp = mark.with_suffix(".tmp")
        tmp.write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, mark)
    raw = saved.get("notes") or []
    assert isinstance(raw, list)
    extra = tuple(Diagnostic(d["code"], d["message"], Severity(d["severity"])) for d in raw)
    return StudentInput(student.key, student.name, target, student.lms_id, student.login,
                        student.source, student.notes + extra)


def _tree_stamp(folder: Path) -> str:
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            info = (Path(root) / name).lstat()
            digest.update(f"{root}/{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def discover(class_path: Path, work_dir: Path, limits: Limits = Limits()) -> Discovery:
    """The class's students, whatever form the LMS gave them in."""
    if class_path.is_file():
        return extract_class_archive(class_path, work_dir / slugify(class_path.stem), limits)
    if not class_path.is_dir():
        raise SubmissionError(f"{class_path} does not exist; pass a folder of submissions "
                              "or the LMS's zip")
    return discover_folder(class_path, work_dir=work_dir, limits=limits)
