"""Real and forged files, made here so the tests need no binary fixtures."""

import io
import struct
import zipfile
import zlib

from parley.support.attachments import DOCX, OOXML_MAIN_CONTENT_TYPES, XLSX


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + b"\xff\xdb\x00\x43\x00"
        + bytes(range(64))
        + b"\xff\xd9"
    )


def html() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64 + b"PE\x00\x00"


def zip_of(entries: dict[str, bytes]) -> bytes:
    """A ZIP archive (deflated) of these entries, in this order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in entries.items():
            package.writestr(name, data)
    return buffer.getvalue()


def _content_types(main: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/main" ContentType="' + main + b'"/></Types>'
    )


def docx() -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": _content_types(OOXML_MAIN_CONTENT_TYPES[DOCX]),
            "word/document.xml": b"<w:document/>",
        }
    )


def xlsx() -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": _content_types(OOXML_MAIN_CONTENT_TYPES[XLSX]),
            "xl/workbook.xml": b"<workbook/>",
        }
    )


def plain_zip() -> bytes:
    return zip_of({"hello.txt": b"not an office file"})


def zip_bomb(uncompressed_bytes: int) -> bytes:
    """A .docx-shaped package whose parts unpack to far more than they weigh."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _content_types(OOXML_MAIN_CONTENT_TYPES[DOCX]))
        package.writestr("word/document.xml", b"<w:document/>")
        with package.open("word/media/zeros.bin", "w") as zeros:
            block = b"\x00" * (1024 * 1024)
            for _ in range(uncompressed_bytes // len(block) + 1):
                zeros.write(block)
    return buffer.getvalue()


def ole(stream_name: str) -> bytes:
    """A minimal OLE2 compound file (version 3) holding one 4 KiB stream."""
    sector = 512
    end, free, fat_sector, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    data_sectors = 8  # 4096 bytes: at the mini-stream cutoff, so in regular sectors
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108
    assert len(header) == sector

    fat = [fat_sector, end] + [3 + i for i in range(data_sectors - 1)] + [end]
    fat += [free] * (sector // 4 - len(fat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", no_stream, no_stream, child)
            + b"\x00" * 16
            + b"\x00" * 4
            + b"\x00" * 16
            + struct.pack("<IQ", start, size)
        )

    directory = (
        entry("Root Entry", 5, 1, end, 0)
        + entry(stream_name, 2, no_stream, 2, 4096)
        + entry("", 0, no_stream, 0, 0) * 2
    )
    assert len(directory) == sector
    return header + fat_bytes + directory + b"\x42" * (sector * data_sectors)


def doc() -> bytes:
    return ole("WordDocument")


def xls() -> bytes:
    return ole("Workbook")
