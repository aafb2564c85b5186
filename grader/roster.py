"""The class roster: who each submission belongs to in the LMS.

A submission only says who the student is by its folder (``alice``), its
Moodle name (``Alice Martin_12345_…``) or its GitHub login; the LMS wants its
own identifier (Moodle's participant number, Canvas's user id, an SIS id) and
an e-mail. ``--roster roster.csv`` maps one to the other. Column names are
matched loosely (``Email address``, ``e-mail`` and ``email`` are one column)
so that a CSV exported from the LMS itself can be passed as is.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError

_COLUMNS: dict[str, tuple[str, ...]] = {
    "student": ("student", "key", "folder", "etudiant"),
    "name": ("name", "full name", "fullname", "nom", "nom complet"),
    "id": ("id", "identifier", "lms id", "lms_id", "participant", "user id", "moodle id",
           "canvas id"),
    "email": ("email", "e-mail", "email address", "mail", "adresse de courriel",
              "adresse email"),
    "login": ("login", "github", "github login", "github username", "username"),
    "sis_user_id": ("sis user id", "sis_user_id", "id number", "idnumber", "student id"),
    "sis_login_id": ("sis login id", "sis_login_id"),
    "section": ("section", "group", "groupe"),
}
"""Our field → the header spellings that mean it (compared after ``normalize``)."""


class RosterError(GraderError):
    """The roster file cannot be used; the message says which line and why."""


def normalize(text: str) -> str:
    """Compare names as a person would: accents, case, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^a-z0-9@.]+", " ", text).split())


@dataclass(frozen=True, slots=True)
class Person:
    """One roster line."""

    student: str = ""
    name: str = ""
    id: str = ""
    email: str = ""
    login: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""

    def handles(self) -> tuple[str, ...]:
        """Every value a submission's identity may be matched against."""
        values = (self.student, self.name, self.login, self.email, self.id, self.sis_user_id)
        return tuple(normalize(v) for v in values if v.strip())


@dataclass(frozen=True, slots=True)
class Roster:
    people: tuple[Person, ...]

    def find(self, *identities: str | None) -> Person | None:
        """The roster line whose student, name, login, e-mail or id matches one of the
        submission's identities (folder name, Moodle name, participant id, login)."""
        wanted = [normalize(i) for i in identities if i]
        for identity in wanted:
            for person in self.people:
                if identity in person.handles():
                    return person
        return None


def load_roster(path: Path) -> Roster:
    """Read a roster CSV (comma or semicolon separated, UTF-8 with or without BOM)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"{path}: cannot read the roster ({exc}); save it as UTF-8 CSV") \
            from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(text.splitlines(), dialect=dialect)
    if reader.fieldnames is None:
        raise RosterError(f"{path}: the roster is empty; write a header line such as "
                          "'student,id,email'")
    mapping: dict[str, str] = {}
    for header in reader.fieldnames:
        for field, spellings in _COLUMNS.items():
            if normalize(header) in spellings and field not in mapping:
                mapping[field] = header
    if not {"student", "name", "login", "email"} & mapping.keys():
        raise RosterError(f"{path}: no column names the student (expected one of: student, "
                          "name, login, email); found " + ", ".join(reader.fieldnames))
    people = []
    for row in reader:
        values = {field: (row.get(header) or "").strip() for field, header in mapping.items()}
        if any(values.values()):
            people.append(Person(**values))
    return Roster(tuple(people))
