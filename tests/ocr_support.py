"""Helpers of the OCR tests: terminal-like screenshots rendered with Pillow, and a grading
function that counts OCR calls (imported by the batch's worker processes)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import grader.ocr
from grader.ocr import OcrResult
from grader.pipeline import Graded, grade_submission

MONO = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
OTHERS = (Path("/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf"),
          Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
"""A second font when one is installed (Liberation Mono, else DejaVu Sans, proportional,
as some consoles use); Pillow's own bundled font otherwise."""

THEMES = {"dark": ((12, 12, 12), (204, 204, 204), (78, 201, 176)),
          "light": ((255, 255, 255), (30, 30, 30), (0, 95, 135))}
"""Background, text and prompt colours (Windows Terminal dark, a light theme)."""

OUTPUTS: dict[str, tuple[str, ...]] = {
    "4.b": ("$ curl http://localhost:8000/health", '{"status":"ok"}'),
    "2.c": ("$ docker ps -a",
            "CONTAINER ID   IMAGE     COMMAND                  CREATED          STATUS",
            '5f2c1e9b8d7a   alpine    "echo \'Bonjour depuis…"   12 seconds ago   '
            "Exited (0) 11 seconds ago"),
    "4.c": ("$ docker ps",
            "CONTAINER ID   IMAGE        COMMAND                  PORTS",
            '9a8b7c6d5e4f   simple-api   "uvicorn app:app --h…"   0.0.0.0:8000->8000/tcp'),
    "6.b": ("demo=# SELECT version();",
            " PostgreSQL 16.11 (Debian 16.11-1.pgdg13+1) on x86_64-pc-linux-gnu",
            "demo=# SELECT current_database();", " current_database", "------------------",
            " demo", "(1 row)"),
    "3.c": ("$ docker build -t simple-api .",
            "[+] Building 12.4s (9/9) FINISHED                      docker:default",
            " => [4/4] RUN pip install fastapi uvicorn                  8.1s",
            " => => naming to docker.io/library/simple-api               0.0s"),
}
"""Terminal output of TP1 questions whose answer is a screenshot."""


def font_path(kind: str) -> Path | None:
    """``mono``: DejaVu Sans Mono; ``other``: a second installed font, or ``None`` for
    Pillow's bundled default font."""
    if kind == "mono":
        return MONO if MONO.is_file() else None
    return next((p for p in OTHERS if p.is_file()), None)


def render(lines: tuple[str, ...], *, theme: str = "dark", font: str = "mono", size: int = 14,
           fmt: str = "PNG", quality: int = 60, width: int | None = None) -> bytes:
    """A screenshot of a terminal showing ``lines`` (the first one a prompt line)."""
    from PIL import Image, ImageDraw, ImageFont

    path = font_path(font)
    face = (ImageFont.truetype(str(path), size) if path is not None
            else ImageFont.load_default(size))
    background, ink, prompt = THEMES[theme]
    step = round(size * 1.45)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    longest = max(measure.textlength(line, font=face) for line in lines)
    width = width or int(longest) + 2 * size
    image = Image.new("RGB", (width, step * (len(lines) + 2)), background)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((size, step * (index + 1)), line, font=face,
                  fill=prompt if index == 0 else ink)
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=quality)
    else:
        image.save(out, fmt)
    return out.getvalue()


@cache
def read(question: str, theme: str, font: str, size: int) -> str:
    """OCR text of the rendered, JPEG-compressed (quality 60) screenshot of a question's
    output (cached: pass and fail cases share each image)."""
    result = grader.ocr.ocr_image(render(OUTPUTS[question], theme=theme, font=font, size=size,
                                         fmt="JPEG", quality=60))
    assert result.ok, result.note
    return result.text


needs_tesseract = pytest.mark.skipif(
    not grader.ocr.available(),
    reason=f"OCR not available here: {grader.ocr.unavailable_reason()} "
           "(scripts/ci/setup-ocr.sh installs it)")


def counting_grade(folder: str | Path, rubrics: Any, **options: Any) -> Graded:
    """``grade_submission`` in a batch worker with a stand-in OCR engine that appends a line
    to ``ocr-calls.log`` beside the class folder per image it reads: tests count OCR calls made in
    other processes. The stand-in reads every image as a ``/health`` answer."""
    log = Path(folder).parent.parent / "ocr-calls.log"

    def fake(data: bytes, **kwargs: Any) -> OcrResult:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"{len(data)}\n")
        return OcrResult('$ curl localhost:8000/health\n{"status":"ok"}', True, 0.01)

    grader.ocr.ocr_image = fake  # type: ignore[assignment]
    grader.ocr.available = lambda: True  # type: ignore[assignment]
    return grade_submission(folder, rubrics, **options)
