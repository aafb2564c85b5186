"""Which files of a student's folder the grader looks at, walked in one order.

Reading a submission (``ingest``) and deciding whether it changed since the last
batch (``digests``) must see the same files, or an edit the grader reads could go
unnoticed. Kept apart from ``ingest`` so that the batch process, which only hashes
folders, does not import the report decoders.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

MAX_FILES = 20000
"""Files looked at per submission: a folder holding more (a dataset, a virtualenv under
another name) is cut there."""
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".idea",
                       ".vscode", ".mypy_cache", ".pytest_cache", "site-packages", ".tox"})


def walk(root: Path) -> Iterator[Path]:
    """Files under ``root`` in a fixed order, without following symlinks or entering tool
    or hidden folders; at most ``MAX_FILES``."""
    count = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_symlink():
                continue
            count += 1
            if count > MAX_FILES:
                return
            yield path
