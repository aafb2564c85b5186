"""Find image references in a report and resolve them inside the submission.

References come as markdown ``![alt](path)``, HTML ``<img src=…>`` and
Obsidian ``![[name.png]]``; paths may hold spaces, ``%20``, ``../`` or start
with ``/`` (the repository root). A reference is only ever resolved to a file
inside the submission folder: anything escaping it is marked ``outside`` and
never read, remote URLs are never fetched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from grader.models import ImageRef, ImageStatus

_MARKDOWN = re.compile(
    r"!\[(?P<alt>[^\]]*)\]\(\s*(?:<(?P<angle>[^>]+)>|(?P<src>[^)\s]+(?:\s+(?![\"'(])[^)\s\"']+)*))"
    r"(?:\s+[\"'(][^)]*[\"')])?\s*\)"
)
_HTML = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*"
                   r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))",
                   re.IGNORECASE)
_HTML_ALT = re.compile(r"\balt\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)
_WIKI = re.compile(r"!\[\[(?P<name>[^\]|#]+)(?:[#|][^\]]*)?\]\]")
_REFERENCE = re.compile(r"!\[(?P<alt>[^\]]*)\]\[(?P<label>[^\]]*)\]")
_DEFINITION = re.compile(r"^ {0,3}\[(?P<label>[^\]]+)\]:\s*(?:<(?P<angle>[^>]+)>|(?P<src>\S+))")
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.\-]*:)?//", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RawImageRef:
    src: str
    alt: str
    line: int
    wiki: bool = False


def find_image_refs(lines: Iterable[str], *, first_line: int = 1) -> list[RawImageRef]:
    """Every image reference, in order, with the 1-based line it is on. A reference-style
    image (``![capture][1]``, ``[1]: captures/ps.png`` further down, as some editors
    write them) takes the path its label defines."""
    lines = list(lines)
    defined = _definitions(lines) if any("]:" in line for line in lines) else {}
    refs: list[RawImageRef] = []
    for number, line in enumerate(lines, start=first_line):
        if "!" not in line and "<" not in line:
            continue
        found: list[tuple[int, RawImageRef]] = []
        for match in _MARKDOWN.finditer(line):
            src = match.group("angle") or match.group("src") or ""
            found.append((match.start(), RawImageRef(src.strip(), match.group("alt"), number)))
        if defined:
            for match in _REFERENCE.finditer(line):
                key = (match.group("label") or match.group("alt")).strip().lower()
                if key in defined:
                    found.append((match.start(),
                                  RawImageRef(defined[key], match.group("alt"), number)))
        for match in _HTML.finditer(line):
            src = match.group("dq") or match.group("sq") or match.group("bare") or ""
            alt = _HTML_ALT.search(match.group(0))
            alt_text = (alt.group(1) or alt.group(2) or "") if alt else ""
            found.append((match.start(), RawImageRef(src.strip(), alt_text, number)))
        for match in _WIKI.finditer(line):
            name = match.group("name").strip()
            found.append((match.start(), RawImageRef(name, name, number, wiki=True)))
        refs.extend(ref for _, ref in sorted(found, key=lambda item: item[0]))
    return refs


def _definitions(lines: Iterable[str]) -> dict[str, str]:
    """Link reference definitions (``[1]: captures/ps.png``): label (lowercase) → path;
    the first definition of a label wins, as in markdown."""
    defined: dict[str, str] = {}
    for line in lines:
        match = _DEFINITION.match(line)
        if match:
            src = (match.group("angle") or match.group("src") or "").strip()
            defined.setdefault(match.group("label").strip().lower(), src)
    return defined


class ImageResolver:
    """Resolves references against one submission folder, never leaving it."""

    def __init__(self, root: Path | None, report_dir: str = "", *,
                 files: Iterable[str] = (), embedded: Iterable[str] = ()) -> None:
        self._root = root.resolve() if root is not None else None
        self._report_dir = PurePosixPath(report_dir) if report_dir else PurePosixPath()
        self._files = {f: f for f in files}
        self._lower = {f.lower(): f for f in self._files}
        self._by_name: dict[str, list[str]] = {}
        for path in self._files:
            self._by_name.setdefault(PurePosixPath(path).name.lower(), []).append(path)
        self._embedded = set(embedded)

    def resolve(self, raw: RawImageRef) -> tuple[ImageRef, str | None]:
        """The resolved reference, and a note when it was found by a fallback."""
        src = raw.src
        if src in self._embedded:
            return ImageRef(src, raw.alt, raw.line, ImageStatus.EMBEDDED, src), None
        if _REMOTE.match(src) or src.lower().startswith("data:"):
            return ImageRef(src, raw.alt, raw.line, ImageStatus.REMOTE), None
        cleaned = unquote(src.split("#", 1)[0].split("?", 1)[0]).replace("\\", "/").strip()
        if not cleaned:
            return ImageRef(src, raw.alt, raw.line, ImageStatus.MISSING), None
        if raw.wiki:
            match = self._by_file_name(cleaned)
            if match:
                return ImageRef(src, raw.alt, raw.line, ImageStatus.FOUND, match), None
            return ImageRef(src, raw.alt, raw.line, ImageStatus.MISSING, cleaned), None
        if cleaned.startswith("/"):
            candidate = _normalise(PurePosixPath(cleaned.lstrip("/")))
        else:
            candidate = _normalise(self._report_dir / cleaned)
        if candidate is None:
            return ImageRef(src, raw.alt, raw.line, ImageStatus.OUTSIDE), None
        found = self._existing(candidate)
        if found:
            return ImageRef(src, raw.alt, raw.line, ImageStatus.FOUND, found), None
        # Fallbacks for reports moved after writing: from the folder root, then by name.
        from_root = _normalise(PurePosixPath(cleaned))
        found = self._existing(from_root) if from_root is not None else None
        if found is None:
            found = self._by_file_name(PurePosixPath(cleaned).name)
        if found:
            note = f"image {src!r} resolved to {found!r} (the path as written does not exist)"
            return ImageRef(src, raw.alt, raw.line, ImageStatus.FOUND, found), note
        return ImageRef(src, raw.alt, raw.line, ImageStatus.MISSING, candidate), None

    def _existing(self, candidate: str) -> str | None:
        if candidate in self._files:
            return self._files[candidate]
        if candidate.lower() in self._lower:
            return self._lower[candidate.lower()]
        if self._root is None or self._files:
            return None
        path = (self._root / candidate)
        try:
            real = path.resolve()
        except OSError:
            return None
        if real.is_file() and real.is_relative_to(self._root):
            return candidate
        return None

    def _by_file_name(self, name: str) -> str | None:
        matches = self._by_name.get(PurePosixPath(name).name.lower(), [])
        return matches[0] if len(matches) == 1 else None


def _normalise(path: PurePosixPath) -> str | None:
    """Collapse ``..`` and ``.``; ``None`` when the path climbs out of the folder."""
    parts: list[str] = []
    for part in path.parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts) if parts else None


def resolve_all(refs: Iterable[RawImageRef], resolver: ImageResolver
                ) -> tuple[list[ImageRef], list[tuple[int, str]]]:
    resolved: list[ImageRef] = []
    notes: list[tuple[int, str]] = []
    for raw in refs:
        ref, note = resolver.resolve(raw)
        resolved.append(ref)
        if note:
            notes.append((raw.line, note))
    return resolved, notes


def as_posix(path: str | os.PathLike[str]) -> str:
    return PurePosixPath(Path(path).as_posix()).as_posix()


def sizes(files: Mapping[str, int]) -> dict[str, int]:
    return dict(files)
