"""Submission folders for the HTML view tests (``test_render.py`` and ``tests/browser``).

``xss_folder`` is a student's folder whose report and file names carry script payloads
(each would set ``window.__pwned``), with a real screenshot, a "PNG" that is HTML, an
SVG with a script, and references to missing, remote and outside images.
"""

from __future__ import annotations

import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

from support import fixture_text

HERE = Path(__file__).resolve().parent
XSS_REPORT = HERE / "fixtures" / "html" / "xss_report.md"
XSS_STUDENT = "eve<img src=x onerror=window.__pwned=1>"
"""A folder name is student input too: it becomes the sheet's title."""


def make_png(width: int = 320, height: int = 200, rgb: tuple[int, int, int] = (40, 90, 160)
             ) -> bytes:
    """A valid RGB PNG of one colour with a lighter band, big enough to see zoomed."""
    rows = []
    for y in range(height):
        colour = rgb if y % 40 >= 8 else (230, 230, 230)
        rows.append(b"\x00" + bytes(colour) * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def xss_folder(root: Path) -> Path:
    folder = root / XSS_STUDENT
    (folder / "captures").mkdir(parents=True)
    (folder / "rapport_tp1.md").write_text(XSS_REPORT.read_text(encoding="utf-8"),
                                           encoding="utf-8")
    (folder / "captures" / "run.png").write_bytes(make_png())
    (folder / "captures" / "fake.png").write_bytes(
        b"<html><script>window.__pwned=1</script></html>")
    (folder / "captures" / "evil.svg").write_bytes(
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=1">'
        b"<script>window.__pwned=1</script></svg>")
    return folder


def class_folder(root: Path, fixture: str = "headings.md", name: str = "alice",
                 shots: tuple[str, ...] = ()) -> Path:
    """A student's folder: a report fixture and, optionally, screenshots it references."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "rapport_tp1.md").write_text(fixture_text(fixture), encoding="utf-8")
    for shot in shots:
        path = folder / shot
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make_png())
    return folder


class Outline(HTMLParser):
    """Collects what the accessibility and self-containment tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[int] = []
        self.images: list[dict[str, str | None]] = []
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append((tag, values))
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if tag == "img":
            self.images.append(values)
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            if values.get(name) is not None:
                self.urls.append((tag, name, values[name] or ""))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    parser.close()
    return parser
