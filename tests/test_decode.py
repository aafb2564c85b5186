"""Decoding and repair of report bytes: every case is built from bytes here."""

from __future__ import annotations

import codecs
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.decode import decode_bytes, detect_bom, guess_utf16, normalise_text
from grader.models import Diagnostic, Severity

FRENCH = "Étape 1 — Compléter l’image « démo »"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def codes(diagnostics: Iterable[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def mojibake(text: str) -> str:
    """What a UTF-8 file looks like after being opened as cp1252 and saved again
    (the five bytes cp1252 lacks kept as C1 controls, as latin-1 would)."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b)
                   for b in text.encode("utf-8"))


def editor_lines(data: bytes) -> int:
    """Lines an editor shows: split on \\r\\n, \\r and \\n."""
    return len(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"))


# --------------------------------------------------------------------------- encodings


def test_plain_utf8_is_untouched() -> None:
    text = f"# Rapport\n\n{FRENCH}\n📋 ┌──┐ 👨\u200d💻 ❤️\n"
    decoded = decode_bytes(text.encode("utf-8"))
    assert decoded.text == text
    assert decoded.encoding == "utf-8"
    assert decoded.diagnostics == ()


def test_utf8_bom_is_removed() -> None:
    decoded = decode_bytes(b"\xef\xbb\xbf" + FRENCH.encode("utf-8"))
    assert decoded.text == FRENCH
    assert decoded.encoding == "utf-8-sig"
    assert codes(decoded.diagnostics) == ["encoding.bom"]


@pytest.mark.parametrize(("codec", "expected"), [
    ("utf-16", "utf-16-le"),  # Python writes a little-endian BOM
    ("utf-32", "utf-32-le"),
])
def test_wide_encodings_with_bom(codec: str, expected: str) -> None:
    decoded = decode_bytes(f"{FRENCH}\nligne 2".encode(codec))
    assert decoded.text == f"{FRENCH}\nligne 2"
    assert decoded.encoding == expected
    assert codes(decoded.diagnostics) == ["encoding.bom", "encoding.utf16"]


def test_utf16_big_endian_bom() -> None:
    decoded = decode_bytes(b"\xfe\xff" + FRENCH.encode("utf-16-be"))
    assert (decoded.text, decoded.encoding) == (FRENCH, "utf-16-be")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_detected_from_nul_bytes(codec: str) -> None:
    data = f"docker run hello-world\r\n{FRENCH}\r\n".encode(codec)
    assert guess_utf16(data) == codec
    decoded = decode_bytes(data)
    assert decoded.text == f"docker run hello-world\n{FRENCH}\n"
    assert decoded.encoding == codec
    assert codes(decoded.diagnostics) == ["encoding.utf16", "encoding.newlines"]


def test_no_utf16_guess_for_ordinary_bytes() -> None:
    assert guess_utf16(FRENCH.encode("utf-8")) is None
    assert guess_utf16(b"a") is None
    assert detect_bom(b"plain") is None
    assert detect_bom(b"\xff\xfe\x00\x00abcd") == ("utf-32-le", 4)


def test_cp1252_french_is_read_as_cp1252() -> None:
    data = f"{FRENCH}\nLe conteneur a été créé à partir de l’image.\n".encode("cp1252")
    assert data.count(b"\x92") == 2  # the real cp1252 apostrophe byte
    decoded = decode_bytes(data)
    assert decoded.text == data.decode("cp1252")
    assert decoded.encoding == "cp1252"
    [note] = decoded.diagnostics
    assert note.code == "encoding.legacy"
    assert "cp1252" in note.message and "save the report as UTF-8" in note.message
    assert note.severity is Severity.INFO


def test_short_cp1252_line_is_not_sent_to_a_wild_guess() -> None:
    decoded = decode_bytes("Déjà vu".encode("cp1252"))
    assert (decoded.text, decoded.encoding) == ("Déjà vu", "cp1252")


def test_cyrillic_code_page_is_not_forced_into_cp1252() -> None:
    text = "Привет, как дела? Это тестовый отчёт о контейнерах Docker.\n"
    decoded = decode_bytes(text.encode("cp1251"))
    assert decoded.text == text
    assert decoded.encoding == "cp1251"


def test_utf8_report_with_one_pasted_cp1252_line() -> None:
    data = "# Réponse\nLa commande crée un conteneur.\n".encode() + "Déjà vu".encode("cp1252")
    decoded = decode_bytes(data)
    assert decoded.text == "# Réponse\nLa commande crée un conteneur.\nDéjà vu"
    assert decoded.encoding == "utf-8+cp1252"
    [note] = decoded.diagnostics
    assert (note.code, note.line) == ("encoding.legacy", 3)


def test_undecodable_bytes_become_replacement_characters() -> None:
    # UTF-16 with a lone surrogate and a dangling last byte
    data = codecs.BOM_UTF16_LE + "ok\n".encode("utf-16-le") + b"\x00\xd8" + "x".encode(
        "utf-16-le") + b"y"
    decoded = decode_bytes(data)
    assert decoded.text == "ok\n\ufffdx\ufffd"
    assert codes(decoded.diagnostics) == ["encoding.bom", "encoding.utf16", "encoding.undecodable"]
    bad = decoded.diagnostics[-1]
    assert (bad.severity, bad.line) == (Severity.WARNING, 2)
    assert bad.message.startswith("2 byte sequence(s)")


def test_utf8_bom_file_with_a_pasted_cp1252_line() -> None:
    data = codecs.BOM_UTF8 + "Réponse\n".encode() + "Déjà".encode("cp1252")
    decoded = decode_bytes(data)
    assert (decoded.text, decoded.encoding) == ("Réponse\nDéjà", "utf-8+cp1252")
    assert codes(decoded.diagnostics) == ["encoding.bom", "encoding.legacy"]


def test_forced_encoding() -> None:
    data = FRENCH.encode("cp1252")
    decoded = decode_bytes(data, encoding="windows-1252")
    assert (decoded.text, decoded.encoding) == (FRENCH, "cp1252")
    assert "--encoding" in decoded.diagnostics[0].message
    forced_utf8 = decode_bytes("Noël".encode(), encoding="utf-8")
    assert forced_utf8.text == "Noël" and forced_utf8.diagnostics == ()


def test_forced_encoding_strips_bom_and_replaces_bad_bytes() -> None:
    decoded = decode_bytes(b"\xef\xbb\xbfa\n\xffb", encoding="utf-8")
    assert decoded.text == "a\n\ufffdb"
    assert codes(decoded.diagnostics) == ["encoding.bom", "encoding.undecodable"]
    assert (decoded.diagnostics[1].severity, decoded.diagnostics[1].line) == (Severity.WARNING, 2)


def test_unknown_forced_encoding_is_the_callers_problem() -> None:
    with pytest.raises(LookupError):
        decode_bytes(b"abc", encoding="no-such-codec")


def test_empty_input() -> None:
    decoded = decode_bytes(b"")
    assert (decoded.text, decoded.encoding, decoded.diagnostics) == ("", "utf-8", ())


# --------------------------------------------------------------------------- mojibake


@pytest.mark.parametrize(("good"), [
    "é", "’", "📋", "┌──┐", "Table des Matières", FRENCH, "« démo » à côté", "Ça coûte 5 €",
    "🐳 Docker", "🏗️ Architecture",
])
def test_mojibake_is_repaired(good: str) -> None:
    broken = mojibake(good)
    assert broken != good
    decoded = decode_bytes(broken.encode("utf-8"))
    assert decoded.text == good
    [note] = decoded.diagnostics
    assert (note.code, note.severity, note.line) == ("encoding.mojibake", Severity.INFO, 1)


def test_mojibake_diagnostic_counts_lines_and_shows_an_example() -> None:
    text = "intro\n" + mojibake("Prérequis") + "\nok\n" + mojibake("l’image") + "\n"
    fixed, notes = normalise_text(text)
    assert fixed == "intro\nPrérequis\nok\nl’image\n"
    [note] = notes
    assert note.line == 2
    assert "2 line(s)" in note.message
    assert '"PrÃ©requis" → "Prérequis"' in note.message


def test_box_drawing_with_bytes_lost_by_cp1252_is_rebuilt() -> None:
    # ┐ is E2 94 90 and 0x90 does not exist in cp1252: editors drop it.
    line = "┌──────┐"
    broken = line.encode("utf-8").decode("cp1252", errors="ignore")
    assert broken.endswith("â”")
    fixed, _ = normalise_text(broken + "\n│ api  │")
    assert fixed == "┌──────┐\n│ api  │"


def test_emoji_with_a_lost_byte_keeps_the_following_space() -> None:
    broken = "# " + "🐳".encode().decode("cp1252", errors="ignore") + " Guide Docker"
    fixed, _ = normalise_text(broken)
    assert fixed == "# 🐳 Guide Docker"


@pytest.mark.parametrize("good", [
    FRENCH,
    "Ça, c’est l’œuvre « finale » — déjà vue à Noël ; coût : 12 €.",
    "├── app.py\n└── Dockerfile\n┌─┬─┐\n│ │ │\n└─┴─┘",
    "📋 ✅ ❌ 🐳 🚀 👨\u200d💻 ❤️ 1️⃣",
    "ﬁchier avec ligature, ＦＵＬＬ width, \"quotes\" 'simple'",
    "&lt;html&gt; &amp;&amp; echo",
    "ÀÉÈÊÇ ÂÎÔÛ äëïöü œŒ æÆ",
])
def test_correct_text_is_left_untouched(good: str) -> None:
    assert normalise_text(good) == (good, ())


def test_decomposed_accents_become_nfc_silently() -> None:
    assert normalise_text("cre\u0301e\u0301") == ("créé", ())


# --------------------------------------------------------------------------- newlines


def test_bom_and_crlf_file() -> None:
    data = b"\xef\xbb\xbf" + f"# Titre\r\n\r\n{FRENCH}\r\nfin".encode()
    decoded = decode_bytes(data)
    assert decoded.text == f"# Titre\n\n{FRENCH}\nfin"
    assert codes(decoded.diagnostics) == ["encoding.bom", "encoding.newlines"]
    assert "3 Windows (CRLF)" in decoded.diagnostics[1].message


@pytest.mark.parametrize("data", [
    b"a\r\nb\rc\nd",
    b"a\r\r\nb",
    b"\r\n\r\n\r",
    b"x\x0by\x0cz\n",
    "a\u2028b\u2029c\u0085d\ne".encode(),
    "tab\there\u00a0\u202f\n".encode(),
    b"",
])
def test_line_count_is_exactly_the_stored_one(data: bytes) -> None:
    decoded = decode_bytes(data)
    assert "\r" not in decoded.text
    assert decoded.text.count("\n") + 1 == editor_lines(data)


def test_unicode_separators_become_spaces_not_lines() -> None:
    text, notes = normalise_text("a\u2028b\u2029c\u0085d\ve\ff")
    assert text == "a b c d e f"
    [note] = notes
    assert note.code == "encoding.spaces"
    assert "5 line/page separator(s)" in note.message


def test_lone_cr_is_a_newline() -> None:
    text, notes = normalise_text("a\rb\r\nc")
    assert text == "a\nb\nc"
    assert codes(notes) == ["encoding.newlines"]
    assert "1 Windows (CRLF) and 1 old Mac (CR)" in notes[0].message


# --------------------------------------------------------------------------- spaces


def test_odd_spaces_and_invisible_characters() -> None:
    text, notes = normalise_text(
        "docker\u00a0run\u202f-p\u20098000:8000\u3000x\n"
        "\u200bdocker\u2060ps\ufeff\tok soft\u00adhyphen")
    assert text == "docker run -p 8000:8000 x\ndockerps\tok softhyphen"
    [note] = notes
    assert (note.code, note.severity, note.line) == ("encoding.spaces", Severity.INFO, 1)
    assert "4 non-breaking or special space(s)" in note.message
    assert "4 invisible character(s)" in note.message


def test_joiners_are_kept_inside_emoji_and_dropped_next_to_ascii() -> None:
    text, notes = normalise_text("👨\u200d💻 and a\u200db\u200c")
    assert text == "👨\u200d💻 and ab"
    assert "2 invisible" in notes[0].message


def test_variation_selector_and_tabs_are_kept() -> None:
    assert normalise_text("❤\ufe0f\tok") == ("❤\ufe0f\tok", ())


# --------------------------------------------------------------------------- speed


def test_a_30_kb_report_decodes_in_a_few_milliseconds() -> None:
    paragraph = (f"{FRENCH}\n```bash\ndocker compose up -d --build\n```\n"
                 "Le conteneur « api » répond sur le port 8000 ; c’est vérifié.\n")
    data = (paragraph * (30_000 // len(paragraph.encode()) + 1)).encode()
    decode_bytes(data)  # warm the regex caches
    started = time.perf_counter()
    decoded = decode_bytes(data)
    elapsed = time.perf_counter() - started
    assert decoded.diagnostics == ()
    assert elapsed < 0.05, f"{elapsed * 1000:.1f} ms"


def test_a_30_kb_mojibake_report_is_still_fast() -> None:
    line = mojibake("Étape — Compléter l’image 📋 ┌──┐") + "\n"
    data = (line * (30_000 // len(line.encode()) + 1)).encode()
    started = time.perf_counter()
    decoded = decode_bytes(data)
    elapsed = time.perf_counter() - started
    assert decoded.text.startswith("Étape — Compléter l’image 📋 ┌──┐\n")
    assert elapsed < 1.0, f"{elapsed * 1000:.1f} ms"


# --------------------------------------------------------------------------- real file


def test_real_mojibake_report() -> None:
    path = SHARED / "seeds" / "004_6d074b368a02c331.txt"
    if not path.is_file():
        pytest.skip(f"../shared not present: {path} is only in the course workspace")
    data = path.read_bytes()
    decoded = decode_bytes(data)
    assert "📋 Table des Matières" in decoded.text
    assert "Prérequis" in decoded.text
    assert "┌───" in decoded.text
    assert "Ã" not in decoded.text and "â€" not in decoded.text
    assert decoded.text.count("\n") + 1 == editor_lines(data)
    assert codes(decoded.diagnostics) == ["encoding.mojibake"]


# --------------------------------------------------------------------------- any bytes


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.lists(st.sampled_from(
    [b"Le conteneur ", b"\r\n", b"\r", b"\n", b"\xe9", b"\x92", b"\xc3\xa9", b"\xe2\x94",
     b"\x90", b"\xf0\x9f", b"\x85", b"\x0b", b"\xa0", b"\x00"]), max_size=60).map(b"".join))
def test_any_bytes_decode_without_error_and_keep_their_lines(data: bytes) -> None:
    decoded = decode_bytes(data)
    assert "\r" not in decoded.text
    if not decoded.encoding.startswith(("utf-16", "utf-32")):
        assert decoded.text.count("\n") + 1 == editor_lines(data)
