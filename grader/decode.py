"""Bytes of a student report → text the parser can trust.

Reports arrive in every encoding (UTF-8 with or without BOM, UTF-16 from a
PowerShell redirection, cp1252 from an old Windows editor) and are sometimes
damaged by a round trip through the wrong code page (``Ã©`` for ``é``). This
module decodes and repairs them, never raises on bad bytes, and records what
it did as diagnostics. It keeps exactly the number of lines of the file as
stored, because instructors and labels refer to report lines.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import ftfy
from charset_normalizer import from_bytes
from ftfy.badness import is_bad

from grader.models import Diagnostic, Severity

__all__ = ["DecodedText", "decode_bytes", "detect_bom", "guess_utf16", "normalise_text"]


@dataclass(frozen=True, slots=True)
class DecodedText:
    """A report's text after decoding and repair."""

    text: str
    """Decoded, repaired text with ``\\n`` newlines only, same line count as stored."""
    encoding: str
    """What the bytes were read as: ``utf-8``, ``utf-8-sig``, ``utf-16-le``, ``cp1252`` …;
    ``utf-8+cp1252`` when most lines were UTF-8 and a few were read with a code page."""
    diagnostics: tuple[Diagnostic, ...]


# --------------------------------------------------------------------------- decoding

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 LE first: its BOM starts with the UTF-16 LE one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_UTF16_SAMPLE = 4096
_SAVE_AS_UTF8 = "save the report as UTF-8 to avoid this"


def detect_bom(data: bytes) -> tuple[str, int] | None:
    """The codec announced by a byte order mark and the BOM's length, if there is one."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    return None


def guess_utf16(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when BOM-less bytes have UTF-16's NUL pattern.

    Text that is mostly ASCII, saved as UTF-16, has a NUL in every other byte
    and almost none in the other half; nothing else looks like that."""
    sample = data[:_UTF16_SAMPLE]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even = sample[0 : pairs * 2 : 2].count(0) / pairs
    odd = sample[1 : pairs * 2 : 2].count(0) / pairs
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def decode_bytes(data: bytes, *, encoding: str | None = None) -> DecodedText:
    """Decode and repair a report; ``encoding`` forces a codec (``--encoding``).

    An unknown ``encoding`` name raises Python's ``LookupError``: that is the
    instructor's mistake, for the caller to report. Bad bytes never raise."""
    if encoding is not None:
        text, used, notes = _decode_forced(data, encoding)
    else:
        text, used, notes = _decode_detected(data)
    text, repairs = normalise_text(text)
    return DecodedText(text=text, encoding=used, diagnostics=(*notes, *repairs))


def _decode_forced(data: bytes, encoding: str) -> tuple[str, str, list[Diagnostic]]:
    codec = codecs.lookup(encoding).name
    notes: list[Diagnostic] = []
    text, bad = _decode_replacing(data, codec)
    bom = detect_bom(data)
    if text.startswith("\ufeff"):
        text = text[1:]
        notes.append(_bom_note())
    elif bom is not None and codec in {"utf-8-sig", "utf-16", "utf-32"}:
        notes.append(_bom_note())  # the codec itself consumed it
    if not codec.startswith("utf"):
        notes.append(Diagnostic(
            "encoding.legacy",
            f"The report was read as {_label(codec)} as requested with --encoding; "
            f"{_SAVE_AS_UTF8}."))
    if bad:
        notes.append(_undecodable_note(bad, text))
    return text, codec, notes


def _decode_detected(data: bytes) -> tuple[str, str, list[Diagnostic]]:
    notes: list[Diagnostic] = []
    bom = detect_bom(data)
    wide: str | None = None
    if bom is not None:
        codec, size = bom
        notes.append(_bom_note())
        data = data[size:]
        if codec != "utf-8":
            wide = codec
        else:
            try:
                return data.decode("utf-8"), "utf-8-sig", notes
            except UnicodeDecodeError:
                text, used, more = _decode_legacy(data)
                return text, used, [*notes, *more]
    else:
        wide = guess_utf16(data)
    if wide is not None:
        text, bad = _decode_replacing(data, wide)
        width = "UTF-32" if wide.startswith("utf-32") else "UTF-16"
        notes.append(Diagnostic(
            "encoding.utf16",
            f"The report is saved as {width} (as PowerShell's '>' does) and was decoded as "
            f"such; save it as UTF-8 so that every tool reads it."))
        if bad:
            notes.append(_undecodable_note(bad, text))
        return text, wide, notes
    try:
        return data.decode("utf-8"), "utf-8", notes
    except UnicodeDecodeError:
        pass
    return _decode_legacy(data)


def _decode_legacy(data: bytes) -> tuple[str, str, list[Diagnostic]]:
    """Bytes that are not valid UTF-8: a code page, or UTF-8 with a few pasted lines
    in a code page (each line then decoded on its own)."""
    lines = data.split(b"\n")
    utf8_ok: list[bool] = []
    for line in lines:
        try:
            line.decode("utf-8")
            utf8_ok.append(True)
        except UnicodeDecodeError:
            utf8_ok.append(False)
    invalid = utf8_ok.count(False)
    valid_non_ascii = sum(1 for ok, line in zip(utf8_ok, lines, strict=True)
                          if ok and not line.isascii())
    if valid_non_ascii and valid_non_ascii >= invalid:
        codec = _choose_legacy_codec(b"\n".join(
            line for ok, line in zip(utf8_ok, lines, strict=True) if not ok))
        parts: list[str] = []
        bad = 0
        for ok, line in zip(utf8_ok, lines, strict=True):
            if ok:
                parts.append(line.decode("utf-8"))
            else:
                part, count = _decode_replacing(line, codec)
                parts.append(part)
                bad += count
        text = "\n".join(parts)
        first = utf8_ok.index(False) + 1
        notes = [Diagnostic(
            "encoding.legacy",
            f"{invalid} line(s) of this UTF-8 report were not valid UTF-8 and were read as "
            f"{_label(codec)}; {_SAVE_AS_UTF8}.", line=first)]
        if bad:
            notes.append(_undecodable_note(bad, text))
        return text, f"utf-8+{codec}", notes
    codec = _choose_legacy_codec(data)
    text, bad = _decode_replacing(data, codec)
    notes = [Diagnostic(
        "encoding.legacy",
        f"The report is not UTF-8 and was read as {_label(codec)}; {_SAVE_AS_UTF8}.")]
    if bad:
        notes.append(_undecodable_note(bad, text))
    return text, codec, notes


# Central-European letters read as cp1252 become symbols inside words (ł → ³, ą → ¹).
_GLUED_SYMBOL = re.compile(r"[^\W\d_][¤¦¨´¸¹²³¼½¾¿£¥¯][^\W\d_]")


def _choose_legacy_codec(data: bytes) -> str:
    """cp1252 when the text reads as Western European, else charset-normalizer's guess.

    charset-normalizer alone often answers ``mac_latin2`` or ``cp1250`` for a
    short French text; cp1252 is what Windows editors in France write."""
    try:
        western: str | None = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None and _looks_western(western):
        return "cp1252"
    for match in from_bytes(data):
        name = codecs.lookup(match.encoding).name
        if not _ascii_compatible(name):
            continue  # UTF-16 was ruled out already; EBCDIC would merge or split lines
        if western is not None and name in {"iso8859-1", "iso8859-15"}:
            return "cp1252"  # same letters, plus curly quotes and dashes instead of C1 controls
        return name
    return "cp1252"


def _ascii_compatible(codec: str) -> bool:
    probe = "Az09 #*-\t\r\n"
    try:
        return probe.encode(codec) == probe.encode("ascii")
    except (UnicodeError, LookupError):
        return False


def _looks_western(text: str) -> bool:
    letters = high_letters = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
            if ord(ch) > 127:
                high_letters += 1
    if letters and high_letters / letters > 0.5:
        return False  # Cyrillic or Greek bytes read as cp1252 give runs of accented letters
    return _GLUED_SYMBOL.search(text) is None


def _decode_replacing(data: bytes, codec: str) -> tuple[str, int]:
    """Decode with U+FFFD for bad bytes; also return how many were inserted."""
    text = data.decode(codec, errors="replace")
    if "\ufffd" not in text:
        return text, 0
    genuine = data.decode(codec, errors="ignore").count("\ufffd")
    return text, text.count("\ufffd") - genuine


def _label(codec: str) -> str:
    return {"iso8859-1": "latin-1"}.get(codec, codec)


def _bom_note() -> Diagnostic:
    return Diagnostic("encoding.bom", "A byte order mark (BOM) at the start of the report was "
                      "removed.")


def _undecodable_note(count: int, text: str) -> Diagnostic:
    first = text.find("\ufffd")
    return Diagnostic(
        "encoding.undecodable",
        f"{count} byte sequence(s) could not be decoded and were replaced by '\ufffd'; "
        f"check the report or give its encoding with --encoding.",
        Severity.WARNING, line=text.count("\n", 0, first) + 1 if first >= 0 else None)


# --------------------------------------------------------------------------- repair


def normalise_text(text: str) -> tuple[str, tuple[Diagnostic, ...]]:
    """Repair decoded text: newlines, NFC, mojibake, odd spaces.

    Usable on text extracted from Word/PDF too. Never adds or removes a line:
    only ``\\r\\n`` and ``\\r`` become ``\\n``; every other separator becomes a space."""
    notes: list[Diagnostic] = []
    crlf = text.count("\r\n")
    if crlf:
        text = text.replace("\r\n", "\n")
    cr = text.count("\r")
    if cr:
        text = text.replace("\r", "\n")
    if crlf or cr:
        kinds = " and ".join(part for part in (
            f"{crlf} Windows (CRLF)" if crlf else "", f"{cr} old Mac (CR)" if cr else "") if part)
        notes.append(Diagnostic("encoding.newlines",
                                f"{kinds} line endings were converted to plain newlines."))
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    # A lone U+0085 is a "next line" control: a space here, not ftfy's cp1252 "…".
    # After a mojibake lead (Ã\x85 = Å read as latin-1) it is left for the repair.
    text, lone_nel = _LONE_NEL.subn(" ", text)
    text, mojibake = _repair_mojibake(text)
    if mojibake is not None:
        notes.append(mojibake)
    text, spaces = _normalise_spaces(text, lone_nel)
    if spaces is not None:
        notes.append(spaces)
    return text, tuple(notes)


_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,  # "&lt;" in a report is what the student typed
    remove_terminal_escapes=False,
    fix_encoding=True,
    restore_byte_a0=True,  # "Ã " + space is "à" whose NBSP byte became a space
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,  # lines are handled here, one for one
    fix_surrogates=True,
    remove_control_chars=False,
    normalization="NFC",
    explain=False,
)

# Bytes cp1252 leaves undefined: editors dropped them, truncating UTF-8 sequences
# (┐ = E2 94 90 arrives as "â”", 🐳 = F0 9F 90 B3 as "ðŸ³"). Most useful first.
_LOST = (0x90, 0x8F, 0x8D, 0x9D, 0x81)
_LOST_CHARS = tuple(chr(b) for b in _LOST)


def _byte_map() -> dict[str, int]:
    table: dict[str, int] = {}
    for byte in range(0x80, 0x100):
        try:
            table[bytes([byte]).decode("cp1252")] = byte
        except UnicodeDecodeError:
            table[chr(byte)] = byte  # ftfy's "sloppy" codecs map these to C1 controls
    for char, byte in zip("ĞİŞğış", b"\xd0\xdd\xde\xf0\xfd\xfe", strict=True):
        table.setdefault(char, byte)  # cp1254, the Turkish variant ftfy also undoes
    return table


_BYTE_OF = _byte_map()
_CONTINUATION = re.escape("".join(ch for ch, byte in _BYTE_OF.items() if byte <= 0xBF))
# A 4-byte UTF-8 emoji lead (F0 9F) that ftfy could not complete: its bytes are lost.
_EMOJI_REMAINS = re.compile(f"[ðğ]Ÿ[{_CONTINUATION}]{{0,2}}(?![{_CONTINUATION}])")
# Mojibake is a UTF-8 lead byte read as a letter (Ã, â, ð) followed by a continuation
# byte read as a symbol (©, €, ™), or C1 controls; only such lines go to ftfy.
_SUSPECT = re.compile(f"[\u00c2-\u00f4ĞİŞğış][{_CONTINUATION}]|[\u0080-\u009f]")
_C1_CONTROL = re.compile("[\u0080-\u009f]")
_LEADS = "".join(ch for ch, byte in _BYTE_OF.items() if 0xC2 <= byte <= 0xF4)
_LONE_NEL = re.compile(f"(?<![{_LEADS}{_CONTINUATION}])\u0085")


def _repair_mojibake(text: str) -> tuple[str, Diagnostic | None]:
    """Run ftfy line by line, only on lines that contain mojibake material (fast)."""
    if not _SUSPECT.search(text):  # most reports: one scan in C, no line loop
        return text, None
    lines = text.split("\n")
    repaired = 0
    first: int | None = None
    example = ("", "")
    for index, line in enumerate(lines):
        if not _SUSPECT.search(line):
            continue
        fixed = _fix_line(line)
        if fixed != line:
            lines[index] = fixed
            repaired += 1
            if first is None:
                first = index + 1
                example = _difference(line, fixed)
    if not repaired:
        return text, None
    before, after = example
    return "\n".join(lines), Diagnostic(
        "encoding.mojibake",
        f"Garbled characters from a wrong encoding (UTF-8 read as a Windows code page) were "
        f"repaired on {repaired} line(s), e.g. \"{before}\" → \"{after}\".", line=first)


def _fix_line(line: str) -> str:
    if not is_bad(line) and not _C1_CONTROL.search(line):
        return line
    fixed = ftfy.fix_text(line, _FTFY)
    if "\n" in fixed or "\r" in fixed:
        return line  # a repair must not change the line structure
    restored = _restore_lost_bytes(line)
    if restored != line:
        again = ftfy.fix_text(restored, _FTFY)
        consumed = all(again.count(ch) == line.count(ch) for ch in _LOST_CHARS)
        if consumed and "\n" not in again and "\r" not in again:
            fixed = again
    return _EMOJI_REMAINS.sub("\ufffd", fixed)


def _restore_lost_bytes(line: str) -> str:
    """Put back one dropped byte in truncated 3- and 4-byte sequences, when the
    result is a symbol (box drawing, arrow, emoji) so ftfy can finish the repair."""
    codes = [_BYTE_OF.get(ch, 0) for ch in line]
    inserts: list[tuple[int, str]] = []
    i = 0
    while i < len(codes):
        lead = codes[i]
        need = 2 if 0xE0 <= lead <= 0xEF else 3 if 0xF0 <= lead <= 0xF4 else 0
        j = i + 1
        while need and j < len(codes) and j - i <= need and 0x80 <= codes[j] <= 0xBF:
            j += 1
        if need and j - i - 1 == need - 1:
            guess = _guess_lost_byte(bytes(codes[i:j]))
            if guess is not None:
                inserts.append((i + guess[0], chr(guess[1])))
        i = max(j, i + 1)
    for position, char in reversed(inserts):
        line = line[:position] + char + line[position:]
    return line


def _guess_lost_byte(sequence: bytes) -> tuple[int, int] | None:
    for position in range(len(sequence), 0, -1):
        for byte in _LOST:
            candidate = sequence[:position] + bytes([byte]) + sequence[position:]
            try:
                char = candidate.decode("utf-8")
            except UnicodeDecodeError:
                continue
            code = ord(char)
            symbol = (0x2190 <= code <= 0x2BFF or 0xFE00 <= code <= 0xFE0F
                      or 0x1F000 <= code <= 0x1FAFF)
            if symbol and unicodedata.category(char) != "Cn":
                return position, byte
    return None


def _difference(before: str, after: str, width: int = 30) -> tuple[str, str]:
    """The first changed word of a line, before and after, for a short example."""
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    while start > 0 and not before[start - 1].isspace():
        start -= 1
    return _word_at(before, start)[:width], _word_at(after, start)[:width]


def _word_at(text: str, start: int) -> str:
    end = start
    while end < len(text) and (end == start or not text[end].isspace()):
        end += 1
    return text[start:end].strip()


# --------------------------------------------------------------------------- spaces

_ODD_SPACES = "\u00a0\u202f\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
              "\u205f\u3000\u1680"
_SEPARATORS = "\u2028\u2029\u0085\v\f"
_INVISIBLE = "\u200b\u2060\ufeff\u00ad"
_TRANSLATION = {ord(ch): " " for ch in _ODD_SPACES + _SEPARATORS} | {
    ord(ch): None for ch in _INVISIBLE}
_ANY_ODD = re.compile(f"[{_ODD_SPACES}{_SEPARATORS}{_INVISIBLE}\u200c\u200d]")
# Joiners matter inside emoji sequences (👨‍💻) and some scripts; next to ASCII they are noise.
_STRAY_JOINER = re.compile(
    r"(?:(?<=[\x00-\x7f])|^)[\u200c\u200d]+|[\u200c\u200d]+(?=[\x00-\x7f]|$)", re.MULTILINE)


def _normalise_spaces(text: str, separators: int = 0) -> tuple[str, Diagnostic | None]:
    """Odd spaces → ' ', invisible characters removed; ``separators`` already replaced
    ones to count in the diagnostic."""
    found = _ANY_ODD.search(text)
    if found is None:
        if not separators:
            return text, None
        return text, Diagnostic("encoding.spaces", f"{separators} line/page separator(s) "
                                "became spaces.")
    spaces = sum(text.count(ch) for ch in _ODD_SPACES)
    separators += sum(text.count(ch) for ch in _SEPARATORS)
    before = len(text)
    text = text.translate(_TRANSLATION)
    invisible = before - len(text)
    joined = _STRAY_JOINER.sub("", text)
    invisible += len(text) - len(joined)
    text = joined
    parts = []
    if spaces:
        parts.append(f"{spaces} non-breaking or special space(s) became plain spaces")
    if separators:
        parts.append(f"{separators} line/page separator(s) became spaces")
    if invisible:
        parts.append(f"{invisible} invisible character(s) (zero-width space, soft hyphen) "
                     f"were removed")
    if not parts:
        return text, None  # only joiners inside emoji: nothing changed
    line = text.count("\n", 0, found.start()) + 1
    message = "; ".join(parts)
    return text, Diagnostic("encoding.spaces", message[0].upper() + message[1:] + ".", line=line)
