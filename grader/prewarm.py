"""Warm-up imported by the batch's fork server (``workerserver.WORKER_PRELOAD``).

Workers are forked from the server, so what it loads once every worker has from
its first submission on: the compiled default templates (about 85 ms) and the
syntax highlighters' lexers. Without it each worker pays for them on its first
page. Nothing here may fail a batch: a broken template folder is reported by
the pages that use it.

What the server holds then (the grader, its compiled patterns and templates) lives
as long as every worker: it is frozen out of the cyclic garbage collector, whose
full passes in a worker would otherwise scan it again and again for nothing (about
a fifth of a second per hundred submissions), as the ``gc.freeze`` documentation
advises for a server that forks.
"""

from __future__ import annotations

import gc
from contextlib import suppress

from grader.models import CodeKind
from grader.render.code import lexer_for
from grader.render.env import environment


def warm() -> None:
    # A warm-up: nothing may fail here, or the server would fail every worker. A broken
    # template is reported by the pages that use it.
    with suppress(Exception):
        env = environment(None)
        for name in ("macros.html.j2", "sheet.html.j2", "dashboard.html.j2"):
            env.get_template(name)
    with suppress(Exception):
        for kind in CodeKind:
            lexer_for(kind=kind)


warm()
gc.freeze()
