"""The fork server the batch's workers come from.

Workers are forked from a server process (``multiprocessing``'s ``forkserver``)
that imported the grader once: they do not inherit the batch's SQLite
connection or its progress-bar thread, and starting or replacing one is cheap.
The server itself takes most of a second to import the grader, so it is started
as early as it is known to be needed, and runs while the batch does other work:
by ``grader batch`` before anything else on a first run (no results yet, or
``--force``: every submission will be graded), otherwise by the batch when it
finds the first submission that needs grading. This module imports nothing of
the grader, so that the command line can start the server first.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import forkserver
from multiprocessing.context import BaseContext

WORKER_PRELOAD = ["grader.worker", "grader.render", "grader.render.sheet", "grader.prewarm"]
"""Imported once by the server, before it forks the workers (which start warm)."""


def start_worker_server() -> BaseContext:
    """Start the server if it is not running yet, and return its context (for the pool).
    Returns at once: the server imports the grader in the background."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    forkserver.ensure_running()
    return context
