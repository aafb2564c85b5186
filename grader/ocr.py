"""Reading the screenshots: Tesseract OCR tuned for terminal captures, and its cache.

About a third of a Docker lab's answers are a terminal screenshot (``docker build``,
``curl /health``, ``docker ps``, ``psql``). This module turns each screenshot an answer
references into text that criteria can match (``Context.ocr``: image path → text). It is
the only module that imports Pillow or pytesseract, both lazily: without them, or without
the ``tesseract`` program and its ``eng``/``fra`` data, ``available()`` is false and the
grader falls back to checking that screenshots are present.

Pre-processing (``preprocess``), for captures of terminals and browsers:

1. first frame only (GIF, animated WebP/PNG); transparency flattened on white;
2. grayscale; a dark background (median below mid-grey) is inverted, so that text is
   always dark on light, which is what Tesseract is trained on;
3. contrast stretched (1 % cut at both ends: coloured prompts become dark enough);
4. upscaled so that a text line is about ``TARGET_LINE_HEIGHT`` pixels (line height
   estimated from the rows that hold ink), at most ×4 and ``MAX_OCR_PIXELS`` in all.
   Tesseract reads 12–16 px terminal fonts poorly and 30 px ones well.

Then Tesseract reads the page as one block (``--psm 6``, right for terminals); when that
yields next to nothing, a second pass on an Otsu-binarised copy with automatic layout
(``--psm 3``) is tried. Tesseract runs with ``OMP_THREAD_LIMIT=1``: its OpenMP threads make
it five times slower on a 2-core machine, and the batch already runs one worker per core.

Limits (a student's file is untrusted): at most ``MAX_IMAGE_BYTES`` read, at most
``MAX_PIXELS`` decoded (``Image.MAX_IMAGE_PIXELS``; Pillow's decompression-bomb warning is
an error here), ``TIMEOUT`` seconds of Tesseract per pass. A corrupt, enormous or
unsupported image gives a failed ``OcrResult`` and a diagnostic, never an exception.

Cache: OCR costs about a second per screenshot, so results are kept by the SHA-256 of the
image's bytes (``OcrCache``, ``grader.ocr_cache``); a re-grade of unchanged screenshots
does no OCR at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING

from grader.models import Diagnostic, ImageStatus, Report, Severity, Submission
from grader.ocr_cache import (
    OCR_TABLE_SQL,
    MemoryOcrCache,
    OcrCache,
    OcrResult,
    SqliteOcrCache,
    cacheable,
)

if TYPE_CHECKING:
    from PIL.Image import Image as PilImage

LANGS = "eng+fra"
"""Tesseract languages: terminal output is English, students' consoles often French."""
MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""Larger files are not read (a screenshot is rarely over 2 MB)."""
MAX_PIXELS = 40_000_000
"""Larger images are not decoded (a 4K screenshot is 8.3 M pixels)."""
MAX_OCR_PIXELS = 8_000_000
"""Upscaling stops there: time grows with the pixels, quality no longer does."""
TARGET_LINE_HEIGHT = 30
"""Pixels per text line after upscaling."""
MAX_SCALE = 4.0
TIMEOUT = 30.0
"""Seconds of Tesseract per pass before it is killed."""
MAX_TEXT = 20_000
"""Characters of recognised text kept per image."""
MIN_USEFUL = 8
"""A first pass with fewer letters and digits than this is retried differently."""
PREPROCESS_VERSION = 2
"""Bump when pre-processing changes: cached texts of the old one are then ignored."""


# ---------------------------------------------------------------- engine detection

@lru_cache(maxsize=1)
def _probe() -> tuple[bool, str]:
    """(usable, version or reason): pytesseract and Pillow importable, the ``tesseract``
    program answering, and every language of ``LANGS`` installed."""
    try:
        import PIL  # noqa: F401
        import pytesseract
    except ImportError as exc:
        return False, f"{exc.name} is not installed (pip install pytesseract Pillow)"
    try:
        version = str(pytesseract.get_tesseract_version()).split()[0]
        languages = set(pytesseract.get_languages(config=""))
    except Exception as exc:  # TesseractNotFoundError, OSError, a broken install
        return False, (f"the tesseract program does not run ({type(exc).__name__}); install "
                       "it: apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra")
    missing = [lang for lang in LANGS.split("+") if lang not in languages]
    if missing:
        return False, (f"Tesseract has no {'+'.join(missing)} data; install "
                       + " ".join(f"tesseract-ocr-{m}" for m in missing))
    return True, version


def available() -> bool:
    """Whether screenshots can be read here (checked once per process)."""
    return _probe()[0]


def unavailable_reason() -> str | None:
    """Why OCR cannot run here, with how to fix it; ``None`` when it can."""
    usable, detail = _probe()
    return None if usable else detail


def engine_id() -> str:
    """What produced a text: Tesseract version, languages and pre-processing. Cached texts
    of another engine are not reused."""
    usable, detail = _probe()
    return f"tesseract {detail if usable else '-'} {LANGS} p{PREPROCESS_VERSION}"


# ---------------------------------------------------------------- pre-processing

def _flatten(image: PilImage) -> PilImage:
    """First frame, transparency on white, 8-bit grayscale."""
    from PIL import Image

    with contextlib.suppress(EOFError):
        image.seek(0)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P"
                                                and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        image = background
    return image.convert("L")


def _rows(binary: PilImage) -> list[int]:
    """Mean value of each row of a black-on-white image (255: no ink)."""
    from PIL import Image

    column = binary.resize((1, binary.height), resample=Image.Resampling.BOX)
    return list(column.tobytes())


def otsu(gray: PilImage) -> int:
    """Otsu's threshold of a grayscale image (from its histogram)."""
    histogram = gray.histogram()[:256]
    total = sum(histogram)
    weighted = sum(i * h for i, h in enumerate(histogram))
    below = below_weighted = 0.0
    best, threshold = -1.0, 128
    for level, count in enumerate(histogram):
        below += count
        if below == 0:
            continue
        above = total - below
        if above == 0:
            break
        below_weighted += level * count
        mean_below = below_weighted / below
        mean_above = (weighted - below_weighted) / above
        spread = below * above * (mean_below - mean_above) ** 2
        if spread > best:
            best, threshold = spread, level
    return threshold


def line_height(gray: PilImage) -> float | None:
    """Height in pixels of the bands of rows holding ink (text lines) of a dark-on-light
    image (upper quartile); ``None`` when no line structure is seen."""
    cut = otsu(gray)
    binary = gray.point(lambda v: 0 if v <= cut else 255)
    runs: list[int] = []
    length = 0
    for value in _rows(binary):
        if value < 250:
            length += 1
        elif length:
            runs.append(length)
            length = 0
    if length:
        runs.append(length)
    runs = sorted(r for r in runs if r >= 4)
    if not runs:
        return None
    # The upper quartile: lines without ascenders ("demo", "----") are lower than a line.
    return float(runs[(len(runs) * 3) // 4])


def preprocess(image: PilImage) -> PilImage:
    """The image as Tesseract reads it best: dark text on white, lines about
    ``TARGET_LINE_HEIGHT`` px high (see the module docstring)."""
    from PIL import Image, ImageOps, ImageStat

    gray = _flatten(image)
    if ImageStat.Stat(gray).median[0] < 128:
        gray = ImageOps.invert(gray)
    gray = ImageOps.autocontrast(gray, cutoff=1)
    height = line_height(gray)
    scale = 2.0 if height is None or height < 6 else TARGET_LINE_HEIGHT / height
    pixels = gray.width * gray.height
    scale = max(1.0, min(scale, MAX_SCALE, (MAX_OCR_PIXELS / max(pixels, 1)) ** 0.5))
    if scale > 1.05:
        size = (round(gray.width * scale), round(gray.height * scale))
        gray = gray.resize(size, resample=Image.Resampling.LANCZOS)
    return gray


def _binarised(gray: PilImage) -> PilImage:
    cut = otsu(gray)
    return gray.point(lambda v: 0 if v <= cut else 255)


# ---------------------------------------------------------------- OCR

def _clean(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\x0c", "").split("\n")]
    return "\n".join(line for line in lines if line.strip())[:MAX_TEXT]


def _useful(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def decode(data: bytes) -> tuple[PilImage | None, str | None]:
    """The image decoded within the limits, or ``None`` and why not."""
    if len(data) > MAX_IMAGE_BYTES:
        return None, (f"image too large to read ({len(data) / 1024 / 1024:.1f} MB > "
                      f"{MAX_IMAGE_BYTES // 1024 // 1024} MB)")
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                return None, (f"image too large to decode ({image.width}×{image.height} "
                              f"pixels > {MAX_PIXELS // 1_000_000} M)")
            image.seek(0)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None, f"image too large to decode (over {MAX_PIXELS // 1_000_000} M pixels)"
    except Exception as exc:  # Pillow raises many kinds on a corrupt or odd file
        return None, f"not a readable image ({type(exc).__name__}: {str(exc)[:80]})"
    return image, None


def _tesseract(image: PilImage, psm: int, langs: str, timeout: float) -> str:
    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    return str(pytesseract.image_to_string(image, lang=langs, config=f"--psm {psm}",
                                           timeout=timeout))


def ocr_image(data: bytes, *, langs: str = LANGS, timeout: float = TIMEOUT) -> OcrResult:
    """Read the text of one screenshot. Never raises on a student's file: a corrupt,
    enormous or unsupported image, a Tesseract failure or a timeout is a failed result
    whose ``note`` says why."""
    start = time.perf_counter()
    image, problem = decode(data)
    if image is None:
        return OcrResult("", False, time.perf_counter() - start, problem)
    try:
        prepared = preprocess(image)
        text = _clean(_tesseract(prepared, 6, langs, timeout))
        if _useful(text) < MIN_USEFUL:
            second = _clean(_tesseract(_binarised(prepared), 3, langs, timeout))
            if _useful(second) > _useful(text):
                text = second
    except RuntimeError as exc:  # pytesseract's "Tesseract process timeout"
        note = (f"OCR stopped after {timeout:g} s" if "timeout" in str(exc).lower()
                else f"Tesseract failed ({str(exc)[:80]})")
        return OcrResult("", False, time.perf_counter() - start, note)
    except Exception as exc:  # a TesseractError on an odd image must not sink the sheet
        return OcrResult("", False, time.perf_counter() - start,
                         f"Tesseract failed ({type(exc).__name__}: {str(exc)[:80]})")
    return OcrResult(text, True, time.perf_counter() - start)


# ---------------------------------------------------------------- a submission's screenshots

def image_bytes(submission: Submission, status: ImageStatus, path: str
                ) -> tuple[bytes | None, str | None]:
    """The bytes of an answer's image: a file inside the submission folder (never outside
    it: the resolved path must stay under the root) or an image embedded in a Word/PDF
    report. ``None`` and why when it cannot be read."""
    if status is ImageStatus.EMBEDDED:
        embedded = next((e for e in submission.embedded_images if e.name == path), None)
        return (embedded.data, None) if embedded is not None else (None, "embedded image lost")
    root = submission.root.resolve()
    try:
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return None, "file not found inside the submission"
        size = target.stat().st_size
        if size > MAX_IMAGE_BYTES:
            return None, (f"image too large to read ({size / 1024 / 1024:.1f} MB > "
                          f"{MAX_IMAGE_BYTES // 1024 // 1024} MB)")
        return target.read_bytes(), None
    except OSError as exc:
        return None, f"file unreadable ({exc.strerror or exc})"


def answer_images(report: Report) -> list[tuple[str, ImageStatus, int]]:
    """(path, status, line) of each distinct readable image referenced by an answer."""
    seen: dict[str, tuple[str, ImageStatus, int]] = {}
    for answer in report.answers:
        for image in answer.images:
            if image.status in (ImageStatus.FOUND, ImageStatus.EMBEDDED) and image.path:
                seen.setdefault(image.path, (image.path, image.status, image.line))
    return list(seen.values())


Reader = Callable[[bytes], OcrResult]


def collect_ocr(submission: Submission, report: Report, cache: OcrCache | None = None, *,
                jobs: int = 1, read: Reader | None = None
                ) -> tuple[dict[str, str], tuple[Diagnostic, ...]]:
    """The text of every screenshot referenced by an answer (image path → text; ``""``
    when OCR ran and found nothing) and the diagnostics of those that could not be read.

    Files are read from the submission folder (``ImageRef.path``, kept inside it) and
    embedded images from ``submission.embedded_images``. Results come from ``cache`` when
    it has the bytes' SHA-256, else from ``read`` (default ``ocr_image``), ``jobs`` images
    at a time, and go back into the cache. An image that fails is absent from the dict."""
    reader = read or ocr_image
    texts: dict[str, str] = {}
    notes: list[Diagnostic] = []
    todo: list[tuple[str, int, bytes, str]] = []
    same: list[tuple[str, int, str]] = []
    """Images whose bytes are already to be read (one OCR per content)."""
    for path, status, line in answer_images(report):
        data, problem = image_bytes(submission, status, path)
        if data is None:
            notes.append(Diagnostic("image.unreadable", f"{path}: {problem}; it was not "
                                    "read (OCR)", Severity.WARNING, line))
            continue
        digest = hashlib.sha256(data).hexdigest()
        hit = cache.get(digest) if cache is not None else None
        if hit is not None:
            _record(path, line, hit, texts, notes)
        elif any(item[3] == digest for item in todo):
            same.append((path, line, digest))
        else:
            todo.append((path, line, data, digest))
    if not todo:
        return texts, tuple(notes)

    def run(item: tuple[str, int, bytes, str]) -> OcrResult:
        return reader(item[2])

    if jobs > 1 and len(todo) > 1:
        with ThreadPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
            results = list(pool.map(run, todo))
    else:
        results = [run(item) for item in todo]
    by_digest: dict[str, OcrResult] = {}
    for (path, line, _, digest), result in zip(todo, results, strict=True):
        if cache is not None and cacheable(result):
            cache.put(digest, result)
        by_digest[digest] = result
        _record(path, line, result, texts, notes)
    for path, line, digest in same:
        _record(path, line, by_digest[digest], texts, notes)
    return texts, tuple(notes)


def _record(path: str, line: int, result: OcrResult, texts: dict[str, str],
            notes: list[Diagnostic]) -> None:
    if result.ok:
        texts[path] = result.text
        return
    code = "image.unreadable" if (result.note or "").startswith(
        ("image too large", "not a readable")) else "image.ocr_failed"
    notes.append(Diagnostic(code, f"{path}: {result.note}; its text was not read (OCR)",
                            Severity.WARNING, line))


__all__ = ["LANGS", "OCR_TABLE_SQL", "MemoryOcrCache", "OcrCache", "OcrResult", "SqliteOcrCache",
           "available", "cacheable", "collect_ocr", "decode", "engine_id", "image_bytes",
           "ocr_image", "preprocess", "unavailable_reason"]
