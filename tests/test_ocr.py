"""Reading screenshots (``grader.ocr``) and judging what they show (``evidence`` with
``shows``, ``in: [screenshots]``, the wrong-screenshot flag).

Screenshots are rendered here with Pillow (terminal captures in light and dark themes, two
fonts, 12 to 18 px, JPEG quality 60), so the tests need no corpus. Tests that run
Tesseract skip with the reason when it is not installed (``scripts/ci/setup-ocr.sh``);
the others replace it with a stand-in.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from ocr_support import OUTPUTS, needs_tesseract, read, render

import grader.ocr
from grader.criteria import REGISTRY
from grader.criteria.base import Context
from grader.criteria.screens import SHOWS_THRESHOLD, find_shown, fold_ocr, wrong_screenshots
from grader.models import Answer, ImageRef, ImageStatus, Report, Status
from grader.ocr import (
    MemoryOcrCache,
    OcrResult,
    SqliteOcrCache,
    collect_ocr,
    decode,
    ocr_image,
    preprocess,
)
from grader.pipeline import grade_submission
from grader.rubric import Question, Rubric, load_rubric, resolve_rubric
from grader.scoring import score_report
from grader.views import sheet_json

pytest.importorskip("PIL", reason="Pillow is not installed (pip install Pillow)")

SHOWS: dict[str, list[list[str]]] = {
    "4.b": [['{"status":"ok"}', '"status": "ok"', 'status: "ok"', "status:ok"]],
    "2.c": [["Exited (0)", "Exited"], ["alpine"]],
    "4.c": [["simple-api", "simple_api"], ["8000->8000", "8000:8000", "0.0.0.0:8000"]],
    "6.b": [["PostgreSQL 16", "postgres 16"], ["demo"]],
    "3.c": [["FINISHED", "Successfully built", "naming to", "writing image sha256"]],
}
"""The TP1 rubric's ``shows`` for these questions."""
LOOKS = [("dark", "mono", 12), ("light", "mono", 18), ("dark", "other", 14),
         ("light", "other", 16)]
"""Theme, font (DejaVu Sans Mono, another one) and size in px of the rendered captures."""


@pytest.fixture(scope="module")
def tp1() -> Rubric:
    return load_rubric(resolve_rubric("tp1-docker"))


def _judge(params: dict[str, Any], ocr: dict[str, str], *, images: tuple[ImageRef, ...] = (),
           question: Question | None = None) -> Any:
    """The ``evidence`` criterion's judgement on an answer holding ``images``."""
    images = images or (ImageRef("shot.jpg", "", 3, ImageStatus.FOUND, "shot.jpg"),)
    answer = Answer("4.b", (1, 5), "## 4.b\n![](shot.jpg)", "![](shot.jpg)", images=images)
    report = Report("r.md", answer.text, "tp1-docker", (answer,))
    question = question or Question(id="4.b", exercise=4, title="t")
    kind = REGISTRY["evidence"]
    return kind.judge(kind.parse(params), Context(question, answer, report, ocr=ocr))


# ---------------------------------------------------------------- pre-processing, limits

def _image(data: bytes) -> Any:
    from PIL import Image

    return Image.open(io.BytesIO(data))


def test_dark_background_is_inverted_and_small_text_upscaled() -> None:
    from PIL import ImageStat

    dark = _image(render(OUTPUTS["4.b"], theme="dark", size=12))
    prepared = preprocess(dark)
    assert ImageStat.Stat(prepared).median[0] > 200, "text must end dark on light"
    assert prepared.mode == "L"
    assert prepared.width >= dark.width * 1.8, "12 px text is upscaled about ×2.5"
    light = _image(render(OUTPUTS["4.b"], theme="light", size=12))
    assert ImageStat.Stat(preprocess(light)).median[0] > 200


def test_large_text_is_not_upscaled_and_pixels_are_bounded() -> None:
    big = _image(render(OUTPUTS["6.b"], theme="light", size=40))
    assert preprocess(big).width == big.width
    wide = _image(render(("x",), theme="dark", size=8, width=3000))
    prepared = preprocess(wide)
    assert prepared.width * prepared.height <= grader.ocr.MAX_OCR_PIXELS * 1.01


def test_transparency_is_flattened_on_white() -> None:
    from PIL import Image

    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    assert preprocess(image).getpixel((5, 5)) == 255


def test_corrupt_bytes_are_a_failed_result_not_a_crash() -> None:
    for data in (b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
                 render(OUTPUTS["4.b"])[:300]):
        result = ocr_image(data)
        assert not result.ok
        assert result.note and result.note.startswith("not a readable image"), result.note


def _png_header(width: int, height: int) -> bytes:
    """A tiny PNG file claiming ``width`` × ``height`` pixels (a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [7_000, 20_000, 100_000])
def test_decompression_bomb_is_refused_before_decoding(side: int) -> None:
    data = _png_header(side, side)
    assert len(data) < 200
    image, problem = decode(data)
    assert image is None
    assert problem is not None and problem.startswith("image too large to decode")
    result = ocr_image(data)
    assert not result.ok and result.seconds < 1


def test_oversized_file_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grader.ocr, "MAX_IMAGE_BYTES", 1000)
    result = ocr_image(render(OUTPUTS["6.b"]))
    assert not result.ok and result.note and result.note.startswith("image too large to read")


def test_gif_first_frame_and_webp_are_decoded() -> None:
    from PIL import Image, features

    first = _image(render(OUTPUTS["4.b"], theme="light"))
    second = Image.new("RGB", first.size, (0, 0, 0))
    out = io.BytesIO()
    first.convert("P").save(out, "GIF", save_all=True, append_images=[second.convert("P")])
    image, problem = decode(out.getvalue())
    assert image is not None and problem is None
    assert preprocess(image).getpixel((2, 2)) > 200, "the first (light) frame is read"
    if features.check("webp"):
        webp = io.BytesIO()
        first.save(webp, "WEBP", quality=80)
        image, problem = decode(webp.getvalue())
        assert image is not None and problem is None


@needs_tesseract
def test_gif_and_webp_are_read() -> None:
    from PIL import features

    first = _image(render(OUTPUTS["4.b"], theme="dark", size=16))
    out = io.BytesIO()
    first.save(out, "GIF", save_all=True, append_images=[first.rotate(180)])
    assert "status" in ocr_image(out.getvalue()).text
    if features.check("webp"):
        webp = io.BytesIO()
        first.save(webp, "WEBP", quality=70)
        assert "status" in ocr_image(webp.getvalue()).text


def test_tesseract_timeout_is_a_failed_result(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("Tesseract process timeout")

    monkeypatch.setattr(grader.ocr, "_tesseract", slow)
    result = ocr_image(render(OUTPUTS["4.b"]))
    assert not result.ok and result.note and "stopped after" in result.note
    assert not grader.ocr.cacheable(result), "a timeout may pass next time"


# ---------------------------------------------------------------- fuzzy matching

@pytest.mark.parametrize(("text", "needle"), [
    ('{"status" :"ok"}', '{"status":"ok"}'),
    ("{“status”: “ok”}", '{"status":"ok"}'),
    ("9a8b simple -api  0.0.0.0:8000-8000/tcp", "8000->8000"),
    ("STATUS Exited (@) 11 seconds ago", "Exited (0)"),
    ("PostgreSQL 16.11 (Debian 16.11-1) on x86_64", "PostgreSQL 16"),
    ("demo=# SELECT current_database();", "demo"),
    ("[+] Building 12.4s (9/9) FlNISHED", "FINISHED"),
])
def test_noisy_ocr_text_still_shows(text: str, needle: str) -> None:
    assert find_shown(fold_ocr(text), needle) is not None


@pytest.mark.parametrize(("text", "needle"), [
    ("PostgreSQL 15.4 (Debian) on x86_64", "PostgreSQL 16"),
    ("0.0.0.0:5432->5432/tcp", "8000->8000"),
    ("demonstration of a command", "demo"),
    ("Up 3 seconds", "Exited (0)"),
    ("complete", "Application startup complete"),
    ('{"status":"error"}', '{"status":"ok"}'),
])
def test_other_content_does_not_show(text: str, needle: str) -> None:
    assert find_shown(fold_ocr(text), needle) is None


def test_threshold_is_documented_where_rubric_authors_read() -> None:
    import grader.criteria.screens

    assert f"partial_ratio`` ≥\n    {SHOWS_THRESHOLD}" in (REGISTRY["evidence"].__doc__ or "")
    assert f"({SHOWS_THRESHOLD}:" in (grader.criteria.screens.__doc__ or "")


# ---------------------------------------------------------------- evidence with shows

@needs_tesseract
@pytest.mark.parametrize("look", LOOKS, ids=lambda look: "-".join(map(str, look)))
@pytest.mark.parametrize("question", list(OUTPUTS))
def test_screenshot_showing_the_content_passes(question: str, look: tuple[str, str, int]
                                              ) -> None:
    text = read(question, *look)
    judgement = _judge({"min": 1, "shows": SHOWS[question]}, {"shot.jpg": text})
    assert judgement.fraction == 1, (text, judgement.detail)
    assert any(e.source == "screenshot:shot.jpg" and e.text != "shot.jpg"
               for e in judgement.evidence), "what it shows is evidence"


@needs_tesseract
@pytest.mark.parametrize("look", LOOKS[:2], ids=lambda look: "-".join(map(str, look)))
@pytest.mark.parametrize("question", list(OUTPUTS))
def test_screenshot_of_other_output_does_not_pass(question: str, look: tuple[str, str, int]
                                                 ) -> None:
    for other in OUTPUTS:
        if other == question:
            continue
        text = read(other, *look)
        judgement = _judge({"min": 1, "shows": SHOWS[question], "unconfirmed_credit": 0.5},
                           {"shot.jpg": text})
        # 0.5 when none of the groups shows; a build's output does name simple-api (4.c).
        expected = 0.75 if (question, other) == ("4.c", "3.c") else 0.5
        assert judgement.fraction == pytest.approx(expected), (question, other, text)
        assert judgement.detail and "sans" in judgement.detail


def test_partly_shown_content_earns_in_proportion() -> None:
    judgement = _judge({"shows": SHOWS["6.b"], "unconfirmed_credit": 0.5},
                       {"shot.jpg": "postgres=# SELECT version();\nPostgreSQL 16.2 on x86_64"})
    assert judgement.fraction == pytest.approx(0.75)
    assert "« demo »" in (judgement.detail or "")


def test_content_may_be_spread_over_the_answers_screenshots() -> None:
    images = (ImageRef("a.png", "", 3, ImageStatus.FOUND, "a.png"),
              ImageRef("b.png", "", 4, ImageStatus.FOUND, "b.png"))
    judgement = _judge({"shows": SHOWS["6.b"]},
                       {"a.png": "SELECT version();\nPostgreSQL 16.2 (Debian)",
                        "b.png": "SELECT current_database();\n demo\n(1 row)"}, images=images)
    assert judgement.fraction == 1


def test_without_ocr_the_screenshot_counts_by_presence() -> None:
    judgement = _judge({"min": 1, "shows": SHOWS["4.b"]}, {})
    assert judgement.fraction == 1
    assert judgement.detail and "OCR non disponible" in judgement.detail


def test_unreadable_or_remote_screenshots_keep_their_presence_credit() -> None:
    blank = _judge({"shows": SHOWS["4.b"], "unconfirmed_credit": 0}, {"shot.jpg": "~ |"})
    assert blank.fraction == 1 and "illisible" in (blank.detail or "")
    images = (ImageRef("https://x/y.png", "", 3, ImageStatus.REMOTE),
              ImageRef("a.png", "", 4, ImageStatus.FOUND, "a.png"))
    mixed = _judge({"shows": SHOWS["4.b"], "unconfirmed_credit": 0},
                   {"a.png": "$ docker ps\nCONTAINER ID IMAGE COMMAND"}, images=images)
    assert mixed.fraction == 1, "the remote screenshot cannot be checked: benefit of doubt"


def test_shows_is_validated() -> None:
    from grader.criteria import validate_spec
    from grader.rubric import CriterionSpec

    bad = validate_spec(CriterionSpec(kind="evidence", missed="m", shows=[[]]))
    assert bad is not None and bad[0][0] == "shows"
    assert validate_spec(CriterionSpec(kind="evidence", missed="m", shows=[["ok"]])) is None


def test_text_criteria_read_screenshots_when_told() -> None:
    images = (ImageRef("s.png", "", 3, ImageStatus.FOUND, "s.png"),)
    answer = Answer("3.c", (1, 5), "## 3.c\n![](s.png)", "![](s.png)", images=images)
    report = Report("r.md", answer.text, "tp1-docker", (answer,))
    ocr = {"s.png": "kj4@box:~/tp1$ sudo docker build -t simple-api .\n"
                    "[+] Building 15.7s (9/9) FINISHED"}
    ctx = Context(Question(id="3.c", exercise=3, title="t"), answer, report, ocr=ocr)
    for kind, params in (("command", {"command": "docker build -t simple-api ."}),
                         ("regex", {"pattern": r"\bFINISHED\b"}),
                         ("concepts", {"groups": [["finished"]]})):
        criterion = REGISTRY[kind]
        blind = criterion.judge(criterion.parse(params), ctx)
        seeing = criterion.judge(criterion.parse({**params, "in": ["text", "code",
                                                                    "screenshots"]}), ctx)
        assert blind.fraction == 0, kind
        assert seeing.fraction == 1, kind
        assert seeing.evidence[0].source == "screenshot:s.png"


# ---------------------------------------------------------------- wrong screenshot

def _two_answers(tp1: Rubric, ocr_b: str, ocr_6b: str) -> tuple[Report, dict[str, str]]:
    answers = (
        Answer("4.b", (1, 3), "## 4.b\n![](a.png)", "![](a.png)",
               images=(ImageRef("a.png", "", 2, ImageStatus.FOUND, "a.png"),)),
        Answer("6.b", (4, 6), "## 6.b\n![](b.png)", "![](b.png)",
               images=(ImageRef("b.png", "", 5, ImageStatus.FOUND, "b.png"),)),
    )
    report = Report("r.md", "\n".join(a.text for a in answers), tp1.id, answers)
    return report, {"a.png": ocr_b, "b.png": ocr_6b}


def test_screenshot_of_another_question_is_flagged(tp1: Rubric) -> None:
    health = '$ curl http://localhost:8000/health\n{"status":"ok"}'
    report, ocr = _two_answers(tp1, health, health)
    notes = wrong_screenshots(report, tp1, ocr)
    assert [n.code for n in notes] == ["image.wrong_question"]
    assert notes[0].line == 5 and "6.b" in notes[0].message and "4.b" in notes[0].message
    sheet = score_report(report, tp1, student="x", ocr=ocr)
    assert any(d.code == "image.wrong_question" for d in sheet.diagnostics)


def test_right_or_unclear_screenshots_are_not_flagged(tp1: Rubric) -> None:
    health = '{"status":"ok"}'
    psql = "demo=# SELECT version();\nPostgreSQL 16.11 on x86_64\n demo"
    report, ocr = _two_answers(tp1, health, psql)
    assert wrong_screenshots(report, tp1, ocr) == ()
    report, ocr = _two_answers(tp1, health, "a photo of a cat, nothing else to read here")
    assert wrong_screenshots(report, tp1, ocr) == (), "unrelated is not another question's"


# ---------------------------------------------------------------- pipeline, sheet, cache

REPORT = """# TP1

## Question 4.b

Réponse de l'API :

![health](captures/health.jpg)

## Question 6.b

Session psql :

![psql](captures/psql.png)
"""


def _submission(root: Path, *, health: bytes | None = None, psql: bytes | None = None) -> Path:
    folder = root / "alice"
    (folder / "captures").mkdir(parents=True, exist_ok=True)
    (folder / "rapport_tp1.md").write_text(REPORT, encoding="utf-8")
    (folder / "captures" / "health.jpg").write_bytes(
        health or render(OUTPUTS["4.b"], theme="dark", fmt="JPEG"))
    (folder / "captures" / "psql.png").write_bytes(psql or render(OUTPUTS["6.b"],
                                                                  theme="light"))
    return folder


def _fake_reader(calls: list[int]) -> Any:
    def fake(data: bytes, **kwargs: Any) -> OcrResult:
        calls.append(len(data))
        return OcrResult('$ curl localhost:8000/health\n{"status":"ok"}', True, 0.01)
    return fake


def test_regrade_with_the_cache_does_no_ocr(tmp_path: Path, tp1: Rubric,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(grader.ocr, "ocr_image", _fake_reader(calls))
    monkeypatch.setattr(grader.ocr, "available", lambda: True)
    folder = _submission(tmp_path)
    with SqliteOcrCache(tmp_path / "ocr.sqlite", engine="test") as cache:
        first = grade_submission(folder, [tp1], forced=tp1, ocr=cache)
        assert len(calls) == 2 and len(cache) == 2
        second = grade_submission(folder, [tp1], forced=tp1, ocr=cache)
    assert len(calls) == 2, "the second grading read every screenshot from the cache"
    assert sheet_json(first.sheet) == sheet_json(second.sheet)
    with SqliteOcrCache(tmp_path / "ocr.sqlite", engine="test") as reopened:
        grade_submission(folder, [tp1], forced=tp1, ocr=reopened)
    assert len(calls) == 2, "the cache survives the process (SQLite)"
    with SqliteOcrCache(tmp_path / "ocr.sqlite", engine="other tesseract") as other:
        grade_submission(folder, [tp1], forced=tp1, ocr=other)
    assert len(calls) == 4, "texts of another engine are not reused"


def test_same_image_twice_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       tp1: Rubric) -> None:
    calls: list[int] = []
    monkeypatch.setattr(grader.ocr, "ocr_image", _fake_reader(calls))
    folder = _submission(tmp_path, psql=render(OUTPUTS["4.b"], theme="dark", fmt="JPEG"))
    from grader.ingest import read_submission
    from grader.parse import parse_report

    submission = read_submission(folder)
    report = parse_report(submission, [tp1], forced=tp1)
    cache = MemoryOcrCache()
    texts, notes = collect_ocr(submission, report, cache)
    assert sorted(texts) == ["captures/health.jpg", "captures/psql.png"] and notes == ()
    assert len(calls) == 1 and len(cache) == 1, "same bytes, one OCR"


def test_images_outside_the_folder_are_never_read(tmp_path: Path, tp1: Rubric,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(grader.ocr, "ocr_image", _fake_reader(calls))
    secret = tmp_path / "secret.png"
    secret.write_bytes(render(("top secret",)))
    folder = _submission(tmp_path)
    (folder / "captures" / "health.jpg").unlink()
    (folder / "captures" / "health.jpg").symlink_to(secret)
    from grader.ingest import read_submission
    from grader.parse import parse_report

    submission = read_submission(folder)
    report = parse_report(submission, [tp1], forced=tp1)
    data, problem = grader.ocr.image_bytes(submission, ImageStatus.FOUND,
                                           "captures/health.jpg")
    assert data is None and problem
    texts, _ = collect_ocr(submission, report)
    assert "captures/health.jpg" not in texts and len(calls) == 1


def test_corrupt_screenshot_is_a_diagnostic(tmp_path: Path, tp1: Rubric) -> None:
    if not grader.ocr.available():
        pytest.skip("needs the OCR path to run; see the fallback test")
    folder = _submission(tmp_path, health=b"\xff\xd8\xff garbage, not a JPEG")
    graded = grade_submission(folder, [tp1], forced=tp1, ocr=True)
    codes = [d.code for d in graded.sheet.diagnostics]
    assert "image.unreadable" in codes
    data = sheet_json(graded.sheet)
    health = next(q for q in data["questions"] if q["id"] == "4.b")["images"]
    assert health[0]["ocr_text"] is None and health[0]["found"] is True


def test_without_tesseract_grading_falls_back_to_presence(
        tmp_path: Path, tp1: Rubric, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grader.ocr, "available", lambda: False)
    monkeypatch.setattr(grader.ocr, "unavailable_reason", lambda: "no tesseract here")
    monkeypatch.setattr(grader.ocr, "ocr_image", lambda *a, **k: pytest.fail("OCR ran"))
    folder = _submission(tmp_path)
    with_ocr = grade_submission(folder, [tp1], forced=tp1, ocr=True)
    without = grade_submission(folder, [tp1], forced=tp1, ocr=False)
    assert with_ocr.sheet.total == without.sheet.total
    notes = [d for d in with_ocr.sheet.diagnostics if d.code == "image.ocr_unavailable"]
    assert notes and "no tesseract here" in notes[0].message
    data = sheet_json(with_ocr.sheet)
    images = {q["id"]: q["images"] for q in data["questions"]}
    assert images["4.b"] == [{"path": "captures/health.jpg", "found": True, "ocr_text": None,
                              "ocr_note": "OCR non disponible"}]
    assert images["2.a"] == []


@needs_tesseract
def test_grading_reads_the_screenshots(tmp_path: Path, tp1: Rubric) -> None:
    folder = _submission(tmp_path)
    graded = grade_submission(folder, [tp1], forced=tp1, ocr=True)
    data = sheet_json(graded.sheet)
    questions = {q["id"]: q for q in data["questions"]}
    health = questions["4.b"]["images"][0]
    assert health["path"] == "captures/health.jpg" and health["found"] is True
    assert '"status"' in health["ocr_text"]
    psql = questions["6.b"]
    assert "PostgreSQL 16" in psql["images"][0]["ocr_text"]
    assert psql["score"] == psql["points"], psql["missing"]
    sources = {e["source"] for c in psql["criteria"] for e in c["evidence"]}
    assert "screenshot:captures/psql.png" in sources
    assert not [d for d in graded.sheet.diagnostics if d.code.startswith("image.")]


@needs_tesseract
def test_swapped_screenshots_cost_and_are_flagged(tmp_path: Path, tp1: Rubric) -> None:
    health = render(OUTPUTS["4.b"], theme="dark", fmt="JPEG")
    folder = _submission(tmp_path, health=health, psql=health)
    graded = grade_submission(folder, [tp1], forced=tp1, ocr=True)
    flagged = [d for d in graded.sheet.diagnostics if d.code == "image.wrong_question"]
    assert flagged and "4.b" in flagged[0].message and "6.b" in flagged[0].message
    right = grade_submission(_submission(tmp_path / "ok"), [tp1], forced=tp1, ocr=True)
    q6 = {q.id: q for q in graded.sheet.questions}["6.b"]
    assert q6.score < {q.id: q for q in right.sheet.questions}["6.b"].score
    evidence = next(r for r in q6.results if r.kind == "any")
    assert evidence.status is Status.PARTIAL and "OCR" in evidence.feedback


def test_sheet_shows_recognised_text_with_marks(tmp_path: Path, tp1: Rubric,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.render import render_sheet

    monkeypatch.setattr(grader.ocr, "available", lambda: True)
    monkeypatch.setattr(grader.ocr, "ocr_image", lambda data, **k: OcrResult(
        '$ curl localhost:8000/health\n{"status":"ok"} <script>x</script>', True, 0.01))
    graded = grade_submission(_submission(tmp_path), [tp1], forced=tp1, ocr=True)
    page = render_sheet(graded, rubric=tp1)
    assert page.count('class="ocr-text"') == 2
    assert "<mark>{&quot;status&quot;:&quot;ok&quot;}</mark>" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page
    assert 'href="#ocr-capture-1"' in page and 'id="ocr-capture-1"' in page
    monkeypatch.setattr(grader.ocr, "available", lambda: False)
    page = render_sheet(grade_submission(_submission(tmp_path), [tp1], forced=tp1, ocr=True),
                        rubric=tp1)
    assert "OCR non disponible" in page and 'class="ocr-text"' not in page


# ---------------------------------------------------------------- batch

def test_batch_reads_screenshots_in_workers_and_regrade_does_no_ocr(tmp_path: Path,
                                                                    tp1: Rubric) -> None:
    import json

    from grader.batch import BatchOptions, run_batch
    from grader.store import STORE_NAME

    _submission(tmp_path / "class")
    log = tmp_path / "ocr-calls.log"  # written by the workers' stand-in OCR engine
    options = BatchOptions(tmp_path / "class", tmp_path / "out", rubric=str(tp1.source),
                           jobs=1, html=False, similarity=False, ocr=True,
                           grade_fn="ocr_support:counting_grade")
    run_batch(options)
    assert len(log.read_text().splitlines()) == 2, "each screenshot read once, in a worker"
    sheet = json.loads((tmp_path / "out" / "sheets" / "alice.json").read_text())
    images = {q["id"]: q["images"] for q in sheet["questions"]}
    assert images["4.b"][0]["ocr_text"].endswith('{"status":"ok"}')
    with SqliteOcrCache(tmp_path / "out" / STORE_NAME) as stored:
        assert len(stored) == 2, "texts are kept in the results store"
    run_batch(replace(options, force=True))
    assert len(log.read_text().splitlines()) == 2, "the re-grade did no OCR at all"
