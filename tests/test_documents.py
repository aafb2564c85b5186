"""Word/PDF reports: format sniffing, extraction, and hostile archives.

Every document is built here (python-docx, pypdf, zipfile); the real s09
report of the course workspace is checked only when it is present."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from pathlib import Path

import docx
import pypdf
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.text.paragraph import Paragraph
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

from grader import documents
from grader.documents import extract_document, sniff_format
from grader.models import Severity

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def tiny_png(width: int = 2, height: int = 1) -> bytes:
    """A valid RGB PNG written by hand (no Pillow)."""
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0,
                                                                 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def add_hyperlink(paragraph: Paragraph, text: str) -> None:
    """python-docx has no hyperlink API: write the XML Word writes."""
    rel = paragraph.part.relate_to("https://docs.docker.com", RT.HYPERLINK, is_external=True)
    paragraph._p.append(parse_xml(
        f'<w:hyperlink {nsdecls("w", "r")} r:id="{rel}"><w:r><w:t>{text}</w:t></w:r>'
        f"</w:hyperlink>"))


def build_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Rapport TP1", level=1)
    document.add_paragraph("Introduction du rapport.")
    document.add_paragraph("")
    document.add_heading("Question 2.a", level=2)
    answer = document.add_paragraph("Une image est un modèle ; voir ")
    add_hyperlink(answer, "la documentation")
    answer.add_run(" pour le détail.")
    document.add_paragraph("première étape", style="List Bullet")
    nested = document.add_paragraph("seconde étape")  # Tab in a Word list: a direct numPr
    nested._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="1"/><w:numId w:val="1"/></w:numPr>'))
    capture = document.add_paragraph("Capture : ")
    capture.add_run().add_picture(io.BytesIO(tiny_png()))
    capture.add_run(" fin.")
    soft = document.add_paragraph("4.a")
    soft.add_run().add_break()
    soft.add_run("réponse\tavec tabulation")
    table = document.add_table(rows=2, cols=2)
    for (row, col), value in {(0, 0): "Commande", (0, 1): "Rôle",
                              (1, 0): "docker ps", (1, 1): "liste | actifs"}.items():
        table.cell(row, col).text = value
    document.add_paragraph("Conclusion.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- sniffing


def test_sniff_docx_from_bytes_alone() -> None:
    assert sniff_format(build_docx()) == "docx"


def test_sniff_other_formats() -> None:
    assert sniff_format(tiny_png()) == "image"
    assert sniff_format(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "image"
    assert sniff_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image"
    assert sniff_format(b"%PDF-1.7\n%...") == "pdf"
    assert sniff_format("# Rapport\n\nÉtape 1 — ok\n".encode()) == "text"
    assert sniff_format("# Rapport\r\nÉtape".encode("utf-16")) == "text"
    assert sniff_format("# Rapport\r\nÉtape".encode("utf-16-le")) == "text"
    assert sniff_format("Étape".encode("cp1252")) == "text"
    assert sniff_format(b"") == "text"
    assert sniff_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64)) == "binary"  # old .doc


def test_random_bytes_are_binary() -> None:
    assert sniff_format(random.Random(1).randbytes(4096)) == "binary"


def test_other_zip_and_odt() -> None:
    plain, odt = io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    assert sniff_format(plain.getvalue()) == "zip"
    assert sniff_format(odt.getvalue()) == "odt"
    result = extract_document(odt.getvalue(), "odt")
    assert (result.text, result.format) == ("", "odt")
    [note] = result.diagnostics
    assert (note.code, note.severity) == ("document.unsupported", Severity.ERROR)


def test_damaged_docx_is_still_sniffed_as_docx() -> None:
    data = build_docx()
    assert sniff_format(data[: len(data) // 2]) == "docx"


# --------------------------------------------------------------------------- docx


def test_docx_text_one_line_per_paragraph() -> None:
    result = extract_document(build_docx(), "docx")
    assert result.format == "docx"
    assert result.text.split("\n") == [
        "# Rapport TP1",
        "Introduction du rapport.",
        "",
        "## Question 2.a",
        "Une image est un modèle ; voir la documentation pour le détail.",
        "- première étape",
        "  - seconde étape",
        "Capture : ![image1.png](word/media/image1.png) fin.",
        "4.a réponse\tavec tabulation",
        "| Commande | Rôle |",
        "| docker ps | liste \\| actifs |",
        "Conclusion.",
    ]


def test_docx_inline_picture_travels_with_the_text() -> None:
    result = extract_document(build_docx(), "docx")
    [image] = result.images
    assert image.name == "word/media/image1.png"
    assert image.media_type == "image/png"
    assert image.data == tiny_png()
    [note] = result.diagnostics
    assert (note.code, note.severity) == ("document.extracted", Severity.INFO)
    assert "Word document (.docx)" in note.message
    assert "(10 paragraphs, 1 table, 1 image)" in note.message


def test_docx_picture_used_twice_is_carried_once() -> None:
    document = docx.Document()
    png = tiny_png(3, 3)
    document.add_paragraph().add_run().add_picture(io.BytesIO(png))
    document.add_paragraph().add_run().add_picture(io.BytesIO(png))
    buffer = io.BytesIO()
    document.save(buffer)
    result = extract_document(buffer.getvalue(), "docx")
    ref = "![image1.png](word/media/image1.png)"
    assert result.text == f"{ref}\n{ref}"
    assert len(result.images) == 1


def test_docx_skips_deleted_text_and_reads_outline_levels() -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("gardé ")
    paragraph._p.append(parse_xml(
        f'<w:del {nsdecls("w")} w:id="1" w:author="x"><w:r><w:delText>supprimé</w:delText>'
        f"</w:r></w:del>"))
    heading = document.add_paragraph("Titre par niveau")
    heading._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="2"/>'))
    document.add_paragraph("", style="List Bullet")  # an empty bullet is an empty line
    buffer = io.BytesIO()
    document.save(buffer)
    assert extract_document(buffer.getvalue(), "docx").text == "gardé \n### Titre par niveau\n"


def test_docx_text_box_is_read_once() -> None:
    """Word stores a text box twice: the drawing, and a VML fallback copy."""
    document = docx.Document()
    paragraph = document.add_paragraph("Avant ")
    box = ('<w:txbxContent><w:p><w:r><w:t>dans la boîte</w:t></w:r></w:p></w:txbxContent>')
    paragraph._p.append(parse_xml(
        f'<w:r {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml" '
        f'xmlns:mc="http://schemas.openxmlformats.org/markup-'
        f'compatibility/2006" xmlns:wps="http://schemas.microsoft.com/office/word/2010/'
        f'wordprocessingShape"><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        f"<wps:txbx>{box}</wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict>"
        f"<v:textbox>{box}</v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r>"))
    paragraph.add_run(" après")
    buffer = io.BytesIO()
    document.save(buffer)
    assert extract_document(buffer.getvalue(), "docx").text == "Avant  dans la boîte après"


def test_docx_oversized_picture_is_dropped_with_a_warning(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "MAX_IMAGE", 10)
    result = extract_document(build_docx(), "docx")
    assert result.images == ()
    assert "![image1.png](word/media/image1.png)" in result.text
    codes = [(d.code, d.severity) for d in result.diagnostics]
    assert ("document.image_too_large", Severity.WARNING) in codes


# --------------------------------------------------------------------------- hostile archives


def assert_unreadable(data: bytes, fmt: str, words: str) -> None:
    result = extract_document(data, fmt)
    assert (result.text, result.images) == ("", ())
    [note] = result.diagnostics
    assert (note.code, note.severity) == ("document.unreadable", Severity.ERROR)
    assert words in note.message
    assert "markdown" in note.message


def test_highly_compressed_member_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * (2 * 1024 * 1024))
    assert sniff_format(buffer.getvalue()) == "docx"
    assert_unreadable(buffer.getvalue(), "docx", "zip bomb")


def test_too_many_members_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        for number in range(documents.MAX_MEMBERS):
            archive.writestr(f"word/media/{number}.bin", b"")
    assert_unreadable(buffer.getvalue(), "docx", "files (more than 5000)")


def test_huge_declared_size_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("word/document.xml", b"x" * 100)
    data = bytearray(buffer.getvalue())
    central = data.index(b"PK\x01\x02")
    data[central + 24: central + 28] = struct.pack("<I", 3_000_000_000)  # uncompressed size
    assert_unreadable(bytes(data), "docx", "MB")


def test_truncated_docx_is_unreadable_not_an_exception() -> None:
    data = build_docx()
    assert_unreadable(data[: len(data) // 2], "docx", "damaged archive")


def test_zip_without_word_part_is_unreadable() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "not xml at all <<<")
    assert_unreadable(buffer.getvalue(), "docx", "not a valid Word document")


def test_unknown_format_is_unsupported() -> None:
    result = extract_document(b"PK\x05\x06" + bytes(18), "zip")
    assert [d.code for d in result.diagnostics] == ["document.unsupported"]


# --------------------------------------------------------------------------- pdf


def build_pdf(*, with_images: bool) -> bytes:
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    resources = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    if with_images:
        pixels = DecodedStreamObject()
        pixels.set_data(zlib.compress(b"\xff\x00\x00\x00\xff\x00" * 2))  # 2x2 RGB
        pixels.update({NameObject("/Type"): NameObject("/XObject"),
                       NameObject("/Subtype"): NameObject("/Image"),
                       NameObject("/Width"): NumberObject(2),
                       NameObject("/Height"): NumberObject(2),
                       NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
                       NameObject("/BitsPerComponent"): NumberObject(8),
                       NameObject("/Filter"): NameObject("/FlateDecode")})
        jpeg = DecodedStreamObject()
        jpeg.set_data(b"\xff\xd8\xff\xe0fake jpeg\xff\xd9")
        jpeg.update({NameObject("/Type"): NameObject("/XObject"),
                     NameObject("/Subtype"): NameObject("/Image"),
                     NameObject("/Width"): NumberObject(1), NameObject("/Height"): NumberObject(1),
                     NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
                     NameObject("/BitsPerComponent"): NumberObject(8),
                     NameObject("/Filter"): ArrayObject([NameObject("/DCTDecode")])})
        resources[NameObject("/XObject")] = DictionaryObject({
            NameObject("/Im0"): writer._add_object(pixels),
            NameObject("/Im1"): writer._add_object(jpeg)})
    page[NameObject("/Resources")] = resources
    content = DecodedStreamObject()
    content.set_data(b"BT /F1 12 Tf 72 720 Td (Question 2.a docker run) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(content)
    writer.add_blank_page(612, 792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pdf_text_and_images() -> None:
    data = build_pdf(with_images=True)
    assert sniff_format(data) == "pdf"
    result = extract_document(data, "pdf")
    assert result.format == "pdf"
    assert result.text.split("\n") == [
        "Question 2.a docker run",
        "![Im0.png](pdf/page-1/Im0.png)",
        "![Im1.jpg](pdf/page-1/Im1.jpg)",
        "",
    ]
    png, jpeg = result.images
    assert (png.name, png.media_type) == ("pdf/page-1/Im0.png", "image/png")
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", png.data[16:24]) == (2, 2)
    idat = png.data.index(b"IDAT")
    length = struct.unpack(">I", png.data[idat - 4: idat])[0]
    assert zlib.decompress(png.data[idat + 4: idat + 4 + length]) == (
        b"\x00\xff\x00\x00\x00\xff\x00" * 2)
    assert (jpeg.name, jpeg.media_type, jpeg.data) == (
        "pdf/page-1/Im1.jpg", "image/jpeg", b"\xff\xd8\xff\xe0fake jpeg\xff\xd9")
    [note] = result.diagnostics
    assert note.code == "document.extracted"
    assert "(2 pages, 2 images)" in note.message


def test_blank_pdf() -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    buffer = io.BytesIO()
    writer.write(buffer)
    result = extract_document(buffer.getvalue(), "pdf")
    assert (result.text, result.images) == ("", ())
    assert [d.code for d in result.diagnostics] == ["document.extracted"]


def test_corrupt_pdf_is_unreadable_not_an_exception() -> None:
    assert_unreadable(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage", "pdf", "PDF")
    data = build_pdf(with_images=False)
    result = extract_document(data[:200], "pdf")
    assert result.text == ""
    assert result.diagnostics[0].severity is Severity.ERROR


# --------------------------------------------------------------------------- real file


def test_real_docx_renamed_md() -> None:
    path = SHARED / "corpus" / "s09" / "reports" / "rapport_tp1.md"
    if not path.is_file():
        pytest.skip(f"../shared not present: {path} is only in the course workspace")
    data = path.read_bytes()
    assert sniff_format(data) == "docx"
    result = extract_document(data, "docx")
    lines = result.text.split("\n")
    assert len(lines) == 70  # paragraphs: the instructors' labels count them
    assert len(result.images) == 15
    assert all(image.media_type == "image/png" for image in result.images)
    assert lines[12].strip().startswith("2.a")  # label line 13
    assert lines[15].startswith("2.B Quand la commande")  # the soft break became a space
    assert lines[58].startswith("6.c Depuis un autre service")
    assert "- Nom du conteneur : vibrant_dewdney" in lines
    assert "![image15.png](word/media/image15.png)" in lines
