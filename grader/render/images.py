"""Screenshots for the HTML sheet: read inside the submission only, checked, then embedded.

A sheet is meant to be e-mailed or uploaded as one file, so screenshots become ``data:``
URIs by default; with an assets folder they are copied next to the sheet instead. Only
images the parser resolved inside the submission (``found``) or inside the report itself
(``embedded``, Word/PDF) are ever read; URLs written by the student are never fetched.
The media type comes from the file's first bytes, not its name, and only raster formats
are accepted, so a file called ``shot.png`` that holds HTML or SVG is never shown.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from grader.models import ImageRef, ImageStatus, Submission

MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""Larger screenshots are not embedded (the sheet says so): a sheet must stay mailable."""
MAX_SHEET_IMAGE_BYTES = 12 * 1024 * 1024
"""Budget of image bytes embedded in one sheet (about 16 MB of page once base64-encoded,
still mailable); images past it are listed, not embedded (``--assets`` copies them all)."""

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def sniff_image(data: bytes) -> str | None:
    """The media type of a raster image from its magic bytes, ``None`` for anything else."""
    for magic, media_type in _SIGNATURES:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True, slots=True)
class Shot:
    """One image reference of the report, as the page shows it."""

    ref: ImageRef
    anchor: str
    """Element id of the thumbnail; ``#anchor`` opens it full size (CSS ``:target``)."""
    src: str = ""
    """``data:`` URI or path relative to the sheet; empty when the image is not shown."""
    problem: str = ""
    """French reason why it is not shown (missing, remote, too large …)."""
    ocr_anchor: str = ""
    """Element id of the text OCR read in it, shown below the answer; empty when none."""
    ocr_label: str = ""
    """Caption link to that text (« texte reconnu ») or why there is none (« OCR non
    disponible »); empty for images that cannot be read at all."""

    @property
    def shown(self) -> bool:
        return bool(self.src)

    @property
    def label(self) -> str:
        return self.ref.path or self.ref.src

    @property
    def alt(self) -> str:
        """Alternative text: the student's alt text, else the file name."""
        text = self.ref.alt.strip()
        return text or f"Capture {self.label}"


_PROBLEMS = {
    ImageStatus.MISSING: "capture absente du dépôt",
    ImageStatus.REMOTE: "image en ligne, non chargée",
    ImageStatus.OUTSIDE: "chemin hors du dossier rendu, non lu",
}


class ImageStore:
    """Turns a submission's image references into ``Shot``s, reading each file once."""

    def __init__(self, submission: Submission, *, assets: Path | None = None,
                 budget: int = MAX_SHEET_IMAGE_BYTES) -> None:
        self._submission = submission
        self._root = submission.root.resolve()
        self._assets = assets
        self._budget = budget
        self._cache: dict[str, tuple[str, str]] = {}
        self._embedded = {image.name: image for image in submission.embedded_images}
        self._count = 0

    def shot(self, ref: ImageRef) -> Shot:
        self._count += 1
        anchor = f"capture-{self._count}"
        if ref.status not in (ImageStatus.FOUND, ImageStatus.EMBEDDED) or ref.path is None:
            return Shot(ref, anchor, problem=_PROBLEMS.get(ref.status, "capture non lue"))
        key = f"{ref.status}:{ref.path}"
        if key not in self._cache:
            self._cache[key] = self._load(ref)
        src, problem = self._cache[key]
        return Shot(ref, anchor, src=src, problem=problem)

    def _load(self, ref: ImageRef) -> tuple[str, str]:
        """(src, problem) for a resolved reference; never raises on a student's file."""
        assert ref.path is not None
        data, size = self._read(ref)
        if size > MAX_IMAGE_BYTES:
            return "", (f"capture trop volumineuse ({size / 1024 / 1024:.1f} Mo > "
                        f"{MAX_IMAGE_BYTES // 1024 // 1024} Mo), non intégrée")
        if data is None:
            return "", "capture illisible"
        media_type = sniff_image(data)
        if media_type is None:
            return "", "format d'image non pris en charge, non affichée"
        if self._assets is None and len(data) > self._budget:
            return "", "trop d'images pour une seule page, non intégrée (voir --assets)"
        if self._assets is None:
            self._budget -= len(data)
        if self._assets is None:
            return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}", ""
        return self._copy(ref.path, data), ""

    def _read(self, ref: ImageRef) -> tuple[bytes | None, int]:
        """The bytes (``None`` when unreadable or too large) and the size in bytes."""
        assert ref.path is not None
        if ref.status is ImageStatus.EMBEDDED:
            image = self._embedded.get(ref.path)
            return (image.data, len(image.data)) if image is not None else (None, 0)
        try:
            path = (self._root / ref.path).resolve()
            if not path.is_relative_to(self._root) or not path.is_file():
                return None, 0
            size = path.stat().st_size
            if size > MAX_IMAGE_BYTES:
                return None, size
            return path.read_bytes(), size
        except OSError:
            return None, 0

    def _copy(self, path: str, data: bytes) -> str:
        """Write the bytes into the assets folder under a name that cannot collide."""
        assert self._assets is not None
        digest = hashlib.sha256(data).hexdigest()[:10]
        name = f"{digest}-{_UNSAFE_NAME.sub('_', Path(path).name)[-60:]}"
        self._assets.mkdir(parents=True, exist_ok=True)
        target = self._assets / name
        if not target.exists():
            target.write_bytes(data)
        return quote(f"{self._assets.name}/{name}")
