"""Finding a class's submissions and extracting archives safely (``grader/archives.py``).

The Moodle fixture is built here, entry by entry, the way Moodle's "download all
submissions" lays it out, plus what a hostile or careless student can put in a zip: a
zip-slip entry, an absolute path, a symlink, a zip bomb, zips nested in zips.
"""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest
from support import PNG, fixture_bytes

from grader.archives import (
    EXTRACT_MARK,
    Limits,
    discover,
    discover_folder,
    extract_class_archive,
    slugify,
)
from grader.errors import SubmissionError

ALICE = "Alice Martin_101_assignsubmission_file_"
BOB = "Bob Durand_102_assignsubmission_file_"
CHLOE_FILE = "Chloé Petit_103_assignsubmission_file_"
CHLOE_TEXT = "Chloé Petit_103_assignsubmission_onlinetext_"
BOMB_BYTES = 50 * 1024 * 1024


def _zip(entries: dict[str, bytes], *, symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buffer.getvalue()


def _bomb_entry(zf: zipfile.ZipFile, name: str) -> None:
    """50 MB of zeros: about 50 KB compressed, a ratio no real file has."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as handle:
        chunk = bytes(1024 * 1024)
        for _ in range(BOMB_BYTES // len(chunk)):
            handle.write(chunk)


def moodle_zip(path: Path) -> Path:
    """A Moodle download: Alice's report at the top of her folder; Bob's project zipped
    with a zip inside it, plus a bomb; Chloé's file and online-text submissions; and
    hostile entries (zip slip, absolute path, symlink)."""
    inner = _zip({"captures/run.png": PNG})
    project = _zip({"tp1/reports/rapport_tp1.md": fixture_bytes("headings.md"),
                    "tp1/api/Dockerfile": b"FROM python:3.11-slim\n",
                    "tp1/captures.zip": inner,
                    "../../bob-escape.txt": b"escaped from Bob's zip"})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{ALICE}/rapport_tp1.md", fixture_bytes("bold_crlf.md"))
        zf.writestr(f"{BOB}/tp1.zip", project)
        _bomb_entry(zf, f"{BOB}/bomb.bin")
        zf.writestr(f"{CHLOE_FILE}/Chloé_rapport.md", fixture_bytes("etapes.md"))
        zf.writestr(f"{CHLOE_TEXT}/onlinetext.html", b"<p>voir le fichier</p>")
        zf.writestr(f"{ALICE}/../../../slip.txt", b"zip slip")
        zf.writestr("/etc/absolute.txt", b"absolute path")
        link = zipfile.ZipInfo(f"{ALICE}/link-to-passwd")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    return path


@pytest.fixture
def class_zip(tmp_path: Path) -> Path:
    return moodle_zip(tmp_path / "download.zip")


def _all_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_moodle_zip_gives_one_student_per_participant(tmp_path: Path, class_zip: Path) -> None:
    found = extract_class_archive(class_zip, tmp_path / "work" / "extracted")
    assert found.kind == "moodle"
    assert [(s.key, s.name, s.lms_id, s.source) for s in found.students] == [
        ("Alice Martin", "Alice Martin", "101", "moodle"),
        ("Bob Durand", "Bob Durand", "102", "moodle"),
        ("Chloé Petit", "Chloé Petit", "103", "moodle"),
    ]
    chloe = found.students[2]
    assert {p.name for p in chloe.folder.iterdir()} == {"Chloé_rapport.md", "onlinetext.html"}


def test_nested_zips_are_opened_next_to_themselves(tmp_path: Path, class_zip: Path) -> None:
    found = extract_class_archive(class_zip, tmp_path / "extracted")
    bob = found.students[1]
    files = _all_files(bob.folder)
    assert "tp1/tp1/reports/rapport_tp1.md" in files
    assert "tp1/tp1/api/Dockerfile" in files
    assert "tp1/tp1/captures/captures/run.png" in files  # a zip inside the zip


def test_hostile_entries_are_skipped_and_reported(tmp_path: Path, class_zip: Path) -> None:
    dest = tmp_path / "work" / "extracted"
    found = extract_class_archive(class_zip, dest)
    everything = _all_files(tmp_path)
    assert not any("slip" in f or "escape" in f or "absolute" in f for f in everything)
    assert not any(p.is_symlink() for p in tmp_path.rglob("*"))
    alice, bob, _ = found.students
    assert {d.code for d in alice.notes} == {"archive.unsafe_path", "archive.symlink"}
    bob_codes = [d.code for d in bob.notes]
    assert "archive.too_large" in bob_codes  # the bomb, never written
    assert "archive.unsafe_path" in bob_codes  # the zip slip inside Bob's own zip
    assert not (bob.folder / "bomb.bin").exists()
    assert [d.code for d in found.notes] == ["archive.unsafe_path"]  # /etc/absolute.txt


def test_declared_size_over_the_limit_is_not_extracted(tmp_path: Path) -> None:
    archive = tmp_path / "class.zip"
    archive.write_bytes(_zip({f"{ALICE}/big.md": b"x" * 5000,
                              f"{ALICE}/rapport.md": b"# TP1\n"}))
    found = extract_class_archive(archive, tmp_path / "out", Limits(max_entry_bytes=1000))
    alice = found.students[0]
    assert [p.name for p in alice.folder.iterdir()] == ["rapport.md"]
    assert [d.code for d in alice.notes] == ["archive.too_large"]


def test_file_count_budget_stops_extraction(tmp_path: Path) -> None:
    archive = tmp_path / "class.zip"
    archive.write_bytes(_zip({f"{ALICE}/f{i}.md": b"x" for i in range(10)}))
    found = extract_class_archive(archive, tmp_path / "out", Limits(max_files=4))
    assert len(list(found.students[0].folder.iterdir())) == 4
    assert [d.code for d in found.students[0].notes] == ["archive.too_many_files"]


def test_unchanged_archive_is_not_extracted_again(tmp_path: Path, class_zip: Path) -> None:
    dest = tmp_path / "extracted"
    first = extract_class_archive(class_zip, dest)
    report = first.students[0].folder / "rapport_tp1.md"
    stamp = report.stat().st_mtime_ns
    again = extract_class_archive(class_zip, dest)
    assert again == first
    assert report.stat().st_mtime_ns == stamp
    assert (dest / EXTRACT_MARK).is_file()


def test_plain_zip_of_student_folders(tmp_path: Path) -> None:
    archive = tmp_path / "class.zip"
    archive.write_bytes(_zip({"classe/alice/rapport.md": b"# TP1\n",
                              "classe/bob/README.md": b"# TP1\n"}))
    found = discover(archive, tmp_path / "work")
    assert found.kind == "folder"
    assert [s.key for s in found.students] == ["alice", "bob"]


def test_not_a_zip_is_an_instructor_error(tmp_path: Path) -> None:
    bogus = tmp_path / "class.zip"
    bogus.write_text("not a zip")
    with pytest.raises(SubmissionError, match="not a zip"):
        discover(bogus, tmp_path / "work")


def test_github_classroom_clones_use_the_login(tmp_path: Path) -> None:
    for login in ("alice", "bob-smith", "c3po"):
        folder = tmp_path / "clones" / f"tp1-docker-{login}"
        (folder / ".git").mkdir(parents=True)
        (folder / "README.md").write_text("# TP1\n")
    found = discover_folder(tmp_path / "clones")
    assert found.kind == "classroom"
    assert [(s.key, s.login) for s in found.students] == [
        ("alice", "alice"), ("bob-smith", "bob-smith"), ("c3po", "c3po")]


def test_plain_folders_keep_their_names(tmp_path: Path) -> None:
    """Folders sharing a prefix are not taken for Classroom clones without ``.git``."""
    for name in ("alice-martin", "alice-durand"):
        (tmp_path / "class" / name).mkdir(parents=True)
    (tmp_path / "class" / "README.md").write_text("not a student")
    found = discover_folder(tmp_path / "class")
    assert found.kind == "folder"
    assert [s.key for s in found.students] == ["alice-durand", "alice-martin"]


def test_extracted_moodle_folders_are_recognised(tmp_path: Path) -> None:
    for name in (ALICE, CHLOE_FILE, CHLOE_TEXT):
        (tmp_path / "class" / name).mkdir(parents=True)
    found = discover_folder(tmp_path / "class")
    assert found.kind == "moodle"
    assert [(s.key, s.lms_id, s.folder.name) for s in found.students] == [
        ("Alice Martin", "101", ALICE), ("Chloé Petit", "103", CHLOE_FILE)]


def test_student_zips_in_a_folder_are_opened_in_the_work_dir(tmp_path: Path) -> None:
    """The instructor's folder is never written to: the student's folder is copied."""
    student = tmp_path / "class" / "alice"
    student.mkdir(parents=True)
    (student / "rendu.zip").write_bytes(_zip({"rapport_tp1.md": b"# TP1\n"}))
    before = _all_files(tmp_path / "class")
    found = discover(tmp_path / "class", tmp_path / "out" / "extracted")
    assert _all_files(tmp_path / "class") == before
    folder = found.students[0].folder
    assert folder.is_relative_to(tmp_path / "out")
    assert (folder / "rendu" / "rapport_tp1.md").read_bytes() == b"# TP1\n"


def test_zips_nested_too_deep_are_left_closed(tmp_path: Path) -> None:
    data = _zip({"rapport.md": b"# TP1\n"})
    for level in range(4):
        data = _zip({f"level{level}.zip": data})
    archive = tmp_path / "class.zip"
    archive.write_bytes(_zip({f"{ALICE}/rendu.zip": data}))
    found = extract_class_archive(archive, tmp_path / "out", Limits(max_depth=2))
    assert "archive.too_deep" in [d.code for d in found.students[0].notes]


def test_slugify_is_ascii_and_safe() -> None:
    assert slugify("Élodie Martin") == "elodie-martin"
    assert slugify("../../etc") == "etc"
    assert slugify("///") == "student"
