"""Real images and PDFs made here with Pillow and pikepdf, clean and hostile, so the tests of
the file checker and of message attachments need no binary fixtures."""

import io
import struct
import zlib

import pikepdf
from PIL import ExifTags, Image

# Where the photo was taken: the position the re-encoding must drop.
GPS_LATITUDE = (41.0, 0.0, 36.0)


def image(kind: str = "JPEG", size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    output = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else 0).save(output, format=kind)
    return output.getvalue()


def jpeg_with_gps() -> bytes:
    """A photo carrying EXIF with a GPS position, a camera make and a comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (28.0, 58.0, 48.0)
    output = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(
        output, format="JPEG", exif=exif, comment=b"secret comment"
    )
    return output.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims this size over a few bytes of data: a decompression bomb's
    shape, refused from the header before any decoding."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    data = image("JPEG", (256, 256))
    return data[: len(data) // 2]


def _pdf(change: object = None) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    if callable(change):
        change(pdf)
    output = io.BytesIO()
    pdf.save(output)
    return output.getvalue()


def pdf() -> bytes:
    return _pdf()


def pdf_with_open_action_js() -> bytes:
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = pikepdf.Dictionary(
            S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")
        )

    return _pdf(change)


def pdf_with_javascript_name_tree() -> bytes:
    def change(pdf: pikepdf.Pdf) -> None:
        script = pdf.make_indirect(
            pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        )
        pdf.Root.Names = pikepdf.Dictionary(
            JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), script]))
        )

    return _pdf(change)


def pdf_with_launch_action() -> bytes:
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = pikepdf.Dictionary(
            S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe")
        )

    return _pdf(change)


def pdf_with_embedded_file() -> bytes:
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ...")

    return _pdf(change)


def pdf_with_file_attachment_annotation() -> bytes:
    def change(pdf: pikepdf.Pdf) -> None:
        annotation = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.FileAttachment,
                Rect=pikepdf.Array([0, 0, 10, 10]),
            )
        )
        pdf.pages[0].Annots = pikepdf.Array([annotation])

    return _pdf(change)


def pdf_broken() -> bytes:
    """A PDF signature and then nothing a parser can use."""
    return b"%PDF-1.7\n" + b"\x00garbage" * 64
