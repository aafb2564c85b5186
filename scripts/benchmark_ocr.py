#!/usr/bin/env python3
"""Time OCR of a typical screenshot (``grader.ocr.ocr_image``) and of a cached re-read.

A 1400×800 terminal capture is rendered with Pillow (dark theme, DejaVu Sans Mono 14 px,
the output of ``docker build`` and ``docker compose ps``, saved as PNG), then read
``--runs`` times after one warm-up; the median and the spread are printed, with the
pre-processing's share. With ``../shared/corpus`` present, the real screenshots of about
that size (1200–1900 px wide) are timed too. ``--langs eng`` shows what French costs.

Usage::

    python scripts/benchmark_ocr.py [--runs 10] [--langs eng+fra] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

from grader import ocr

LINES = (
    "kj4@laptop:~/tp1$ docker build -t simple-api .",
    "[+] Building 15.7s (9/9) FINISHED                                         docker:default",
    " => [internal] load build definition from Dockerfile                              0.0s",
    " => => transferring dockerfile: 185B                                               0.0s",
    " => [internal] load metadata for docker.io/library/python:3.11-slim                1.6s",
    " => [internal] load .dockerignore                                                  0.0s",
    " => => transferring context: 2B                                                    0.0s",
    " => [1/4] FROM docker.io/library/python:3.11-slim@sha256:193fdd0bbcb3d2ae612bd6    7.6s",
    " => [internal] load build context                                                  0.1s",
    " => => transferring context: 140B                                                  0.0s",
    " => [2/4] WORKDIR /app                                                             0.1s",
    " => [3/4] COPY app.py .                                                            0.0s",
    " => [4/4] RUN pip install fastapi uvicorn                                          6.0s",
    " => exporting to image                                                             0.2s",
    " => => exporting layers                                                            0.1s",
    " => => writing image sha256:a761f45e988bbe59bf683996f82f90ea8d44b7f6efdcb8770d3    0.0s",
    " => => naming to docker.io/library/simple-api                                      0.0s",
    "kj4@laptop:~/tp1$ docker compose up -d",
    "[+] Running 3/3",
    " ✔ Network tp1_default  Created                                                    0.1s",
    " ✔ Container tp1-db-1   Started                                                    0.6s",
    " ✔ Container tp1-api-1  Started                                                    0.9s",
    "kj4@laptop:~/tp1$ docker compose ps",
    "NAME        IMAGE         COMMAND                  SERVICE   STATUS         PORTS",
    'tp1-api-1   tp1-api       "uvicorn app:app --h…"   api       Up 5 seconds   '
    "0.0.0.0:8000->8000/tcp",
    'tp1-db-1    postgres:16   "docker-entrypoint.s…"   db        Up 6 seconds   5432/tcp',
    "kj4@laptop:~/tp1$ curl http://localhost:8000/health",
    '{"status":"ok"}kj4@laptop:~/tp1$',
)


def screenshot(width: int = 1400, height: int = 800) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    font_file = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
    face = (ImageFont.truetype(str(font_file), 14) if font_file.is_file()
            else ImageFont.load_default(14))
    image = Image.new("RGB", (width, height), (12, 12, 12))
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(LINES):
        colour = (78, 201, 176) if line.startswith("kj4@") else (204, 204, 204)
        draw.text((12, 10 + index * 20), line, font=face, fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _time(data: bytes, runs: int, langs: str) -> list[float]:
    ocr.ocr_image(data, langs=langs)  # warm-up: Tesseract's data files into the page cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = ocr.ocr_image(data, langs=langs)
        times.append(time.perf_counter() - start)
        assert result.ok, result.note
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--langs", default=ocr.LANGS)
    parser.add_argument("--corpus", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "corpus")
    args = parser.parse_args(argv)
    if not ocr.available():
        print(f"OCR not available: {ocr.unavailable_reason()}", file=sys.stderr)
        return 2
    print(f"engine: {ocr.engine_id()} (langs {args.langs}), {args.runs} runs after a warm-up")
    data = screenshot()
    times = _time(data, args.runs, args.langs)
    from PIL import Image

    start = time.perf_counter()
    for _ in range(args.runs):
        ocr.preprocess(Image.open(io.BytesIO(data)))
    prep = (time.perf_counter() - start) / args.runs
    text = ocr.ocr_image(data, langs=args.langs).text
    print(f"1400×800 rendered terminal ({len(data) // 1024} KB PNG): median "
          f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}); "
          f"pre-processing {prep * 1000:.0f} ms; {len(text.split())} words read")
    with tempfile.TemporaryDirectory() as tmp:
        cache = ocr.SqliteOcrCache(Path(tmp) / "ocr.sqlite")
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        cache.put(digest, ocr.OcrResult(text, True, statistics.median(times)))
        start = time.perf_counter()
        for _ in range(100):
            assert cache.get(hashlib.sha256(data).hexdigest()) is not None
        hit = (time.perf_counter() - start) / 100
        cache.close()
    print(f"cached re-read (SHA-256 of the bytes + SQLite lookup): {hit * 1000:.2f} ms")
    corpus = sorted(p for p in args.corpus.glob("s*/**/*") if p.suffix.lower() in
                    (".png", ".jpg", ".jpeg")) if args.corpus.is_dir() else []
    typical = []
    for path in corpus:
        with Image.open(path) as image:
            if 1200 <= image.width <= 1900 and image.height >= 400:
                typical.append(path)
    if typical:
        medians = []
        for path in typical:
            medians.append(statistics.median(_time(path.read_bytes(), 3, args.langs)))
        print(f"corpus screenshots 1200–1900 px wide, ≥ 400 px high ({len(typical)}): median "
              f"{statistics.median(medians):.2f} s (min {min(medians):.2f}, "
              f"max {max(medians):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
