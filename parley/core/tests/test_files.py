"""The shared file checker (parley.core.files) for the cleaned kinds of message attachments:
images re-encoded, PDFs inspected. The Contact Us kinds are covered by the upload corpus
(parley/security/tests) through the Contact Us endpoint."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from parley.core.files import JPEG, PDF, PNG, WEBP, FileKind, FileRefused, file_check
from parley.core.tests import samples

KINDS = (
    FileKind(JPEG, (".jpg", ".jpeg"), cleaned=True),
    FileKind(PNG, (".png",), cleaned=True),
    FileKind(WEBP, (".webp",), cleaned=True),
    FileKind(PDF, (".pdf",), cleaned=True),
)
LIMIT = 10 * 1024 * 1024


def _check(name: str, content: bytes) -> Any:
    return file_check(SimpleUploadedFile(name, content), kinds=KINDS, max_bytes=LIMIT)


def test_a_photo_loses_its_exif_and_gps_position():
    original = samples.jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    checked = _check("photo.jpg", original)

    assert checked.mimetype == JPEG and checked.content is not None
    assert checked.size == len(checked.content)
    cleaned = Image.open(io.BytesIO(checked.content))
    assert cleaned.format == "JPEG" and cleaned.size == (64, 48)
    assert dict(cleaned.getexif()) == {}
    assert b"PhoneMaker" not in checked.content and b"secret comment" not in checked.content


@pytest.mark.parametrize(("name", "kind"), [("a.png", "PNG"), ("a.webp", "WEBP")])
def test_png_and_webp_are_reencoded_and_appended_bytes_dropped(name: str, kind: str):
    original = samples.image(kind) + b"<appended>" + b"PK\x03\x04" + b"\x00" * 40
    checked = _check(name, original)
    assert checked.content is not None
    assert b"<appended>" not in checked.content
    assert Image.open(io.BytesIO(checked.content)).format == kind


def test_a_clean_pdf_is_kept_as_it_came():
    original = samples.pdf()
    checked = _check("invoice.pdf", original)
    assert checked.content is None and checked.size == len(original)
    assert checked.stored_file().read() == original


REFUSED: dict[str, tuple[str, Callable[[], bytes]]] = {
    "pdf opening javascript": ("a.pdf", samples.pdf_with_open_action_js),
    "pdf javascript name tree": ("a.pdf", samples.pdf_with_javascript_name_tree),
    "pdf launch action": ("a.pdf", samples.pdf_with_launch_action),
    "pdf embedded file": ("a.pdf", samples.pdf_with_embedded_file),
    "pdf file attachment annotation": ("a.pdf", samples.pdf_with_file_attachment_annotation),
    "pdf unparseable": ("a.pdf", samples.pdf_broken),
    "truncated jpeg": ("a.jpg", samples.truncated_jpeg),
    "png as jpg": ("a.jpg", lambda: samples.image("PNG")),
    "decompression bomb": ("a.png", lambda: samples.png_claiming(50_000, 50_000)),
    "svg as png": ("a.png", lambda: b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
    "html before a png": ("a.png", lambda: b"<html><script>x</script>" + samples.image("PNG")),
    "gif by its name": ("a.gif", lambda: samples.image("GIF")),
}


@pytest.mark.parametrize("case", REFUSED)
def test_hostile_files_are_refused_on_the_field(case: str):
    name, make = REFUSED[case]
    with pytest.raises(FileRefused) as refused:
        _check(name, make())
    assert refused.value.field == "file"


def test_the_pixel_limit_is_a_setting(settings: Any):
    settings.PARLEY_MAX_IMAGE_PIXELS = 100
    with pytest.raises(FileRefused, match="pixels"):
        _check("a.png", samples.image("PNG", (11, 10)))
    assert _check("a.png", samples.image("PNG", (10, 10))).content
