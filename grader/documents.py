"""Word and PDF reports → markdown-like text plus their embedded pictures.

Some students hand in a .docx or a PDF, sometimes renamed ``.md``. The format
is decided from the bytes, never from the name. Extraction keeps one line per
Word paragraph (labels and instructors count paragraphs), writes headings,
lists and tables the way markdown would, and turns each inline picture into an
image reference whose bytes travel in ``ExtractedDocument.images``.

The files are untrusted: the archive is checked before parsing (size, member
count, compression ratio) and any failure becomes an ERROR diagnostic, never an
exception. Text is returned as extracted; run ``decode.normalise_text`` on it
for spaces and invisible characters.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from grader.decode import detect_bom, guess_utf16
from grader.models import Diagnostic, EmbeddedImage, Severity

__all__ = ["ExtractedDocument", "extract_document", "sniff_format"]

MAX_UNCOMPRESSED = 100 * 1024 * 1024
"""Total declared uncompressed size of an archive beyond which it is not opened."""
MAX_MEMBERS = 5000
MAX_RATIO = 100
"""Compression ratio beyond which a large member is taken for a zip bomb."""
MAX_IMAGE = 20 * 1024 * 1024
MAX_PDF_PAGES = 500

_ASK_FOR_MARKDOWN = "ask the student for a markdown export of the report"


@dataclass(frozen=True, slots=True)
class ExtractedDocument:
    """Text and pictures taken out of a Word or PDF report."""

    text: str
    """One paragraph per line, ``\\n`` separated; empty when the file was unreadable."""
    format: str
    """``docx``, ``pdf`` or ``odt``: what the bytes were."""
    images: tuple[EmbeddedImage, ...]
    """Embedded pictures in document order, each referenced once or more in ``text``."""
    diagnostics: tuple[Diagnostic, ...]


# --------------------------------------------------------------------------- sniffing

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a",
                b"II*\x00", b"MM\x00*")
_BINARY_CONTROLS = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x1B)) + b"\x1c\x1d\x1e\x1f\x7f"


def sniff_format(data: bytes) -> str:
    """``docx``, ``odt``, ``pdf``, ``zip``, ``image``, ``binary`` or ``text``, from the bytes."""
    if data.lstrip(b"\x00\t\n\r\f ")[:5] == b"%PDF-":
        return "pdf"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return _sniff_zip(data)
    if data.startswith(_IMAGE_MAGIC) or _is_riff_or_heif_image(data):
        return "image"
    if detect_bom(data) is not None or guess_utf16(data) is not None:
        return "text"
    sample = data[:8000]
    # Git's rule (a NUL in the first 8000 bytes), plus a share of control bytes.
    controls = sum(sample.count(byte) for byte in _BINARY_CONTROLS)
    if b"\x00" in sample or (sample and controls / len(sample) > 0.1):
        return "binary"
    return "text"


def _is_riff_or_heif_image(data: bytes) -> bool:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"avif", b"msf1")


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = b""
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                mimetype = archive.read("mimetype")
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        # A damaged docx is still a docx: extraction will say it is unreadable.
        return "docx" if b"word/document.xml" in data else "zip"
    if "word/document.xml" in names:
        return "docx"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
        return "odt"
    return "zip"


# --------------------------------------------------------------------------- entry point


def extract_document(data: bytes, fmt: str) -> ExtractedDocument:
    """Extract a report's text and pictures; ``fmt`` comes from ``sniff_format``."""
    if fmt == "docx":
        return _extract_docx(data)
    if fmt == "pdf":
        return _extract_pdf(data)
    kind = "an OpenDocument text (.odt)" if fmt == "odt" else f"a {fmt} file"
    return ExtractedDocument("", fmt, (), (Diagnostic(
        "document.unsupported",
        f"The report is {kind}, whose text cannot be extracted; {_ASK_FOR_MARKDOWN}.",
        Severity.ERROR),))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _unreadable(fmt: str, why: str) -> ExtractedDocument:
    return ExtractedDocument("", fmt, (), (Diagnostic(
        "document.unreadable", f"The report file could not be read: {why}; {_ASK_FOR_MARKDOWN}.",
        Severity.ERROR),))


def _archive_problem(data: bytes) -> str | None:
    """Why an archive must not be opened (zip bomb, damage), or None when it is safe."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as error:
        return f"it is a damaged archive ({error})"
    if len(members) > MAX_MEMBERS:
        return f"the archive holds {len(members)} files (more than {MAX_MEMBERS})"
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED:
        return (f"the archive would expand to {total // (1024 * 1024)} MB "
                f"(more than {MAX_UNCOMPRESSED // (1024 * 1024)} MB)")
    for member in members:
        ratio = member.file_size // max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > MAX_RATIO:
            return f"'{member.filename}' is compressed {ratio} times (a zip bomb?)"
    return None


# --------------------------------------------------------------------------- docx

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_V = "{urn:schemas-microsoft-com:vml}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"

# Tracked deletions and moves, field codes, and the fallback copy of drawings
# (Word stores text boxes twice) would duplicate or resurrect text.
_SKIPPED = {f"{_W}del", f"{_W}moveFrom", f"{_W}instrText", f"{_W}delText", f"{_W}pPr",
            f"{_W}rPr", f"{_W}sdtPr", f"{_MC}Fallback"}
_HEADING_NAME = re.compile(
    r"^(?:heading|titre|titel|überschrift|título|titolo|kop|nagłówek)\s*([1-9])$", re.I)
_TITLE_NAMES = {"title", "titre", "titel", "título", "titolo"}
_LINE_BREAKS = re.compile("[\r\n\v\f\u0085\u2028\u2029]")


def _extract_docx(data: bytes) -> ExtractedDocument:
    problem = _archive_problem(data)
    if problem is not None:
        return _unreadable("docx", problem)
    try:
        import docx  # only for .docx reports: not loaded by every worker and command

        document = docx.Document(io.BytesIO(data))
        return _DocxReader(document).read()
    except Exception as error:  # untrusted file: any parser failure is the student's problem
        return _unreadable("docx", f"it is not a valid Word document ({type(error).__name__})")


class _DocxReader:
    """Walks the body XML in order; python-docx gives the parts and relationships."""

    def __init__(self, document: Any) -> None:
        self._part = document.part
        self._body = document.element.body
        self._levels, self._listed = _style_tables(document.styles.element)
        self._images: dict[str, EmbeddedImage] = {}
        self._too_large: list[str] = []

    def read(self) -> ExtractedDocument:
        lines: list[str] = []
        paragraphs = tables = 0
        for block in _blocks(self._body):
            if block.tag == f"{_W}p":
                paragraphs += 1
                lines.append(self._paragraph(block))
            else:
                tables += 1
                lines.extend(self._table(block))
        notes = [Diagnostic(
            "document.extracted",
            f"The report is a Word document (.docx), not markdown; its text was extracted "
            f"({_count(paragraphs, 'paragraph')}, {_count(tables, 'table')}, "
            f"{_count(len(self._images), 'image')}), one line per paragraph.")]
        notes.extend(_too_large_note(name) for name in self._too_large)
        return ExtractedDocument("\n".join(lines), "docx", tuple(self._images.values()),
                                 tuple(notes))

    def _paragraph(self, paragraph: Any) -> str:
        text = self._inline(paragraph)
        props = paragraph.find(f"{_W}pPr")
        style = _val(props, f"{_W}pStyle")
        outline = _val(props, f"{_W}outlineLvl")
        level = int(outline) + 1 if outline and outline.isdigit() else self._levels.get(style or "")
        if level is not None and level <= 9:
            return f"{'#' * min(level, 6)} {text.strip()}" if text.strip() else ""
        numbering = props.find(f"{_W}numPr") if props is not None else None
        num_id = _val(numbering, f"{_W}numId")
        listed = num_id != "0" if num_id is not None else (style or "") in self._listed
        if listed and text.strip():
            depth = _val(numbering, f"{_W}ilvl")
            indent = "  " * min(int(depth), 8) if depth and depth.isdigit() else ""
            return f"{indent}- {text.strip()}"
        return text

    def _table(self, table: Any) -> list[str]:
        rows = []
        for row in table.iter(f"{_W}tr"):
            if _owner_table(row) is not table:
                continue  # a row of a nested table: part of its cell's text
            cells = [self._cell(cell) for cell in row.findall(f"{_W}tc")]
            rows.append("| " + " | ".join(cells) + " |")
        return rows

    def _cell(self, cell: Any) -> str:
        parts: list[str] = []
        for block in _blocks(cell):
            if block.tag == f"{_W}p":
                parts.append(self._inline(block).strip())
            else:
                parts.extend(self._table(block))
        return " ".join(part for part in parts if part).replace("|", "\\|")

    def _inline(self, paragraph: Any) -> str:
        parts: list[str] = []
        self._walk(paragraph, parts)
        return _LINE_BREAKS.sub(" ", "".join(parts))

    def _walk(self, element: Any, parts: list[str]) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIPPED:
                continue
            if tag == f"{_W}t":
                parts.append(child.text or "")
            elif tag in (f"{_W}tab", f"{_W}ptab"):
                parts.append("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                parts.append(" ")  # a soft line break stays inside its paragraph's line
            elif tag == f"{_W}noBreakHyphen":
                parts.append("-")
            elif tag == f"{_A}blip":
                parts.append(self._picture(child.get(f"{_R}embed")))
            elif tag == f"{_V}imagedata":
                parts.append(self._picture(child.get(f"{_R}id")))
            elif tag == f"{_W}p":  # a paragraph inside a text box
                parts.append(" ")
                self._walk(child, parts)
            else:
                self._walk(child, parts)

    def _picture(self, rel_id: str | None) -> str:
        rel = self._part.rels.get(rel_id) if rel_id else None
        if rel is None or rel.is_external:
            return ""
        part = rel.target_part
        name = str(part.partname).lstrip("/")
        if name not in self._images and name not in self._too_large:
            blob = part.blob
            if len(blob) > MAX_IMAGE:
                self._too_large.append(name)
            else:
                self._images[name] = EmbeddedImage(name, part.content_type, blob)
        return _image_ref(name)


def _blocks(container: Any) -> Iterator[Any]:
    """Paragraphs and tables of a body or cell in order, through content controls."""
    for child in container:
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            yield child
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _blocks(content)
        elif child.tag == f"{_W}customXml":
            yield from _blocks(child)


def _owner_table(row: Any) -> Any:
    parent = row.getparent()
    while parent is not None and parent.tag != f"{_W}tbl":
        parent = parent.getparent()
    return parent


def _val(parent: Any, tag: str) -> str | None:
    if parent is None:
        return None
    element = parent.find(tag)
    return None if element is None else element.get(f"{_W}val")


def _style_tables(styles: Any) -> tuple[dict[str, int], set[str]]:
    """Heading level per paragraph style id, and the styles that are lists (numbered
    through the style), following ``basedOn`` so custom styles inherit."""
    own_level: dict[str, int] = {}
    own_list: dict[str, bool] = {}
    based_on: dict[str, str] = {}
    for style in styles.iter(f"{_W}style"):
        if style.get(f"{_W}type") not in (None, "paragraph"):
            continue
        style_id = style.get(f"{_W}styleId") or ""
        name = (_val(style, f"{_W}name") or "").strip()
        props = style.find(f"{_W}pPr")
        outline = _val(props, f"{_W}outlineLvl")
        heading = _HEADING_NAME.match(name)
        if heading:
            own_level[style_id] = int(heading.group(1))
        elif name.lower() in _TITLE_NAMES:
            own_level[style_id] = 1
        elif outline and outline.isdigit() and int(outline) < 9:
            own_level[style_id] = int(outline) + 1
        num_id = _val(props.find(f"{_W}numPr") if props is not None else None, f"{_W}numId")
        if num_id is not None:
            own_list[style_id] = num_id != "0"
        parent = _val(style, f"{_W}basedOn")
        if parent:
            based_on[style_id] = parent
    levels: dict[str, int] = {}
    listed: set[str] = set()
    for style_id in {*own_level, *own_list, *based_on}:
        level = _inherited(style_id, own_level, based_on)
        if level is not None:
            levels[style_id] = level
        if _inherited(style_id, own_list, based_on):
            listed.add(style_id)
    return levels, listed


def _inherited(style_id: str, table: dict[str, Any], based_on: dict[str, str]) -> Any:
    seen: set[str] = set()
    current: str | None = style_id
    while current is not None and current not in seen:
        if current in table:
            return table[current]
        seen.add(current)
        current = based_on.get(current)
    return None


def _image_ref(name: str) -> str:
    target = f"<{name}>" if re.search(r"[\s()<>]", name) else name
    return f"![{posixpath.basename(name)}]({target})"


def _too_large_note(name: str) -> Diagnostic:
    return Diagnostic("document.image_too_large",
                      f"The embedded picture '{name}' is larger than "
                      f"{MAX_IMAGE // (1024 * 1024)} MB and was not kept.", Severity.WARNING)


# --------------------------------------------------------------------------- pdf


def _extract_pdf(data: bytes) -> ExtractedDocument:
    try:
        import pypdf  # only for .pdf reports

        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return _unreadable("pdf", "it is password-protected")
        pages = list(reader.pages)
    except Exception as error:  # untrusted file: any parser failure is the student's problem
        return _unreadable("pdf", f"it is not a valid PDF ({type(error).__name__})")
    if not pages:
        return _unreadable("pdf", "it has no readable page")
    chunks: list[str] = []
    images: list[EmbeddedImage] = []
    notes: list[Diagnostic] = []
    failed: list[int] = []
    skipped = 0
    for number, page in enumerate(pages[:MAX_PDF_PAGES], 1):
        try:
            text = page.extract_text() or ""
        except Exception:  # one broken page must not lose the others
            text = ""
            failed.append(number)
        refs: list[str] = []
        for found in _pdf_images(page, number):
            if isinstance(found, EmbeddedImage):
                images.append(found)
                refs.append(_image_ref(found.name))
            elif found:
                notes.append(_too_large_note(found))
            else:
                skipped += 1
        chunks.append("\n".join(filter(None, [re.sub(r"\r\n?", "\n", text).strip("\n"), *refs])))
    notes.insert(0, Diagnostic(
        "document.extracted",
        f"The report is a PDF document, not markdown; its text was extracted "
        f"({_count(len(pages), 'page')}, {_count(len(images), 'image')}); layout and code "
        f"indentation may be lost."))
    if len(pages) > MAX_PDF_PAGES:
        notes.append(Diagnostic("document.truncated", f"Only the first {MAX_PDF_PAGES} of "
                                f"{len(pages)} pages were read.", Severity.WARNING))
    if failed:
        notes.append(Diagnostic("document.page_unreadable", f"The text of page(s) "
                                f"{', '.join(map(str, failed))} could not be extracted.",
                                Severity.WARNING))
    if skipped:
        notes.append(Diagnostic("document.images_skipped", f"{skipped} picture(s) of the PDF "
                                "use an encoding that is not extracted and were left out."))
    return ExtractedDocument("\n".join(chunks), "pdf", tuple(images), tuple(notes))


def _pdf_images(page: Any, number: int) -> Iterator[EmbeddedImage | str | None]:
    """Each image XObject of a page: an EmbeddedImage, the name of one too large to
    keep, or None for one that is not cheap to convert (CMYK, 16-bit, masks…)."""
    try:
        resources = page.get("/Resources")
        xobjects = resources.get_object().get("/XObject") if resources is not None else None
        items = list(xobjects.get_object().items()) if xobjects is not None else []
    except Exception:
        return
    for key, reference in items:
        try:
            image = reference.get_object()
            if image.get("/Subtype") != "/Image":
                continue
            base = f"pdf/page-{number}/{str(key).lstrip('/')}"
            yield _pdf_image(image, base)
        except Exception:  # a damaged image stream is skipped, not fatal
            yield None


def _pdf_image(image: Any, base: str) -> EmbeddedImage | str | None:
    filters = image.get("/Filter")
    filters = list(filters) if isinstance(filters, list) else [filters] if filters else []
    last = filters[-1] if filters else None
    width, height = int(image.get("/Width", 0)), int(image.get("/Height", 0))
    if last in ("/DCTDecode", "/JPXDecode"):
        if int(image.get("/Length", 0)) > MAX_IMAGE:
            return base + ".jpg"
        jpeg = last == "/DCTDecode"
        return EmbeddedImage(base + (".jpg" if jpeg else ".jp2"),
                             "image/jpeg" if jpeg else "image/jp2", image.get_data())
    if last not in (None, "/FlateDecode", "/LZWDecode", "/RunLengthDecode"):
        return None
    if int(image.get("/BitsPerComponent", 8)) != 8 or width <= 0 or height <= 0:
        return None
    color, palette, channels = _png_colour(image.get("/ColorSpace"))
    if color is None:
        return None
    if width * height * channels > MAX_IMAGE:
        return base + ".png"
    pixels = image.get_data()
    if len(pixels) < width * height * channels:
        return None
    return EmbeddedImage(base + ".png", "image/png",
                         _png(width, height, color, channels, pixels, palette))


def _png_colour(space: Any) -> tuple[int | None, bytes, int]:
    """PNG colour type, palette and channels for a PDF colour space (None: unsupported)."""
    space = space.get_object() if space is not None else None
    if space in ("/DeviceRGB", "/CalRGB"):
        return 2, b"", 3
    if space in ("/DeviceGray", "/CalGray"):
        return 0, b"", 1
    if isinstance(space, list) and space:
        kind = space[0]
        if kind == "/ICCBased":
            channels = int(space[1].get_object().get("/N", 0))
            return ({3: 2, 1: 0}.get(channels), b"", channels)
        if kind in ("/Indexed", "/I") and len(space) == 4:
            base = space[1].get_object()
            lookup = space[3].get_object()
            table = lookup.get_data() if hasattr(lookup, "get_data") else bytes(lookup)
            if base == "/DeviceRGB" or (isinstance(base, list) and base[0] == "/ICCBased"
                                        and int(base[1].get_object().get("/N", 0)) == 3):
                return 3, table[: 3 * (int(space[2]) + 1)], 1
    return None, b"", 0


def _png(width: int, height: int, color: int, channels: int, pixels: bytes,
         palette: bytes) -> bytes:
    """A PNG from raw 8-bit rows: enough for screenshots, no Pillow needed."""
    stride = width * channels
    rows = b"".join(b"\x00" + pixels[y * stride:(y + 1) * stride] for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + (chunk(b"PLTE", palette) if color == 3 else b"")
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))
