"""Errors that stop a run.

A student's problem (an unreadable report, a broken Dockerfile) is never an
exception here: it becomes a diagnostic on that student's sheet. These
exceptions are for the instructor's problems (a malformed rubric, a folder
that does not exist), which must stop the run with a message saying how to
fix it.
"""

from __future__ import annotations


class GraderError(Exception):
    """Base of every error the command line turns into a clean message."""

    exit_code = 1


class RubricError(GraderError):
    """A rubric file is invalid; the message names the file, line and key."""

    exit_code = 3

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 key: str | None = None) -> None:
        self.path = path
        self.line = line
        self.key = key
        where = ""
        if path is not None:
            where = path
            if line is not None:
                where += f":{line}"
            if key:
                where += f": {key}"
            where += ": "
        super().__init__(where + message)


class SubmissionError(GraderError):
    """A submission folder cannot be used at all (does not exist, not a folder)."""

    exit_code = 4


class SandboxUnavailable(GraderError):
    """The Docker sandbox was asked for but no engine answers."""

    exit_code = 5
