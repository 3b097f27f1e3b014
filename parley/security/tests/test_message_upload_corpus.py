"""The upload attack corpus against the message attachment uploads (API.md §8):
`POST /users/conversations/attachments/` (a customer) and
`POST /seller/conversations/attachments/` (a seller token).

Each entry is a real multipart body written by hand (the file name may carry NUL or CR/LF)
and its answer is asserted exactly: a refusal is `400 {"file": [...]}` with no row and no
file stored; an acceptance stores cleaned bytes under a random name with our extension and a
sanitised display name. Images are re-encoded, so what was appended to one is gone."""

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations.models import Attachment
from parley.core.tests import samples
from parley.security.tests import attacks
from parley.sellers.tests.factories import token_issue
from parley.support.tests import corpus

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "customer": "/users/conversations/attachments/",
    "seller": "/seller/conversations/attachments/",
}
ZIP = corpus.plain_zip

# (name as sent, content, expected status, display name kept when accepted)
Entry = tuple[bytes, Callable[[], bytes], int, str | None]
CORPUS: dict[str, Entry] = {
    # Polyglots: markup where a browser sniffs, archives appended
    "pdf+html polyglot": (b"invoice.pdf", attacks.pdf_html_polyglot, 400, None),
    "html+pdf polyglot": (b"invoice.pdf", attacks.html_pdf_polyglot, 400, None),
    "html before a real png": (b"a.png", lambda: corpus.html() + samples.image("PNG"), 400, None),
    "pdf with zip appended": (b"scan.pdf", attacks.pdf_with_zip, 400, None),
    "real jpeg with zip appended (zip dropped)": (
        b"photo.jpg",
        lambda: samples.image("JPEG") + ZIP(),
        201,
        "photo.jpg",
    ),
    "real png with docx appended (docx dropped)": (
        b"photo.png",
        lambda: samples.image("PNG") + corpus.docx(),
        201,
        "photo.png",
    ),
    "real webp with zip appended (zip dropped)": (
        b"photo.webp",
        lambda: samples.image("WEBP") + ZIP(),
        201,
        "photo.webp",
    ),
    # markup within the first kilobyte, even after a real image: what a browser sniffs
    "real webp with html right after it": (
        b"photo.webp",
        lambda: samples.image("WEBP") + corpus.html(),
        400,
        None,
    ),
    # Markup under image and document names
    "svg as png": (b"logo.png", lambda: attacks.SVG, 400, None),
    "svg as webp": (b"logo.webp", lambda: attacks.SVG, 400, None),
    "svg by its name": (b"logo.svg", lambda: attacks.SVG, 400, None),
    "html as png": (b"photo.png", corpus.html, 400, None),
    "html as jpeg": (b"photo.jpeg", corpus.html, 400, None),
    "html as pdf": (b"invoice.pdf", corpus.html, 400, None),
    "html by its name": (b"page.html", corpus.html, 400, None),
    "executable as pdf": (b"invoice.pdf", corpus.exe, 400, None),
    # Archives and bombs
    "zip bomb by size": (b"b.docx", lambda: attacks.zip_bomb_by_size(2 * 1024 * 1024), 400, None),
    "zip renamed png": (b"a.png", ZIP, 400, None),
    "decompression bomb png": (b"big.png", lambda: samples.png_claiming(60_000, 60_000), 400, None),
    # Broken images
    "truncated jpeg": (b"cut.jpg", samples.truncated_jpeg, 400, None),
    "jpeg header only": (b"head.jpg", corpus.jpeg, 400, None),
    "png named jpg": (b"photo.jpg", lambda: samples.image("PNG"), 400, None),
    # Active PDFs
    "pdf with javascript open action": (b"a.pdf", samples.pdf_with_open_action_js, 400, None),
    "pdf with javascript name tree": (b"a.pdf", samples.pdf_with_javascript_name_tree, 400, None),
    "pdf with launch action": (b"a.pdf", samples.pdf_with_launch_action, 400, None),
    "pdf with embedded file": (b"a.pdf", samples.pdf_with_embedded_file, 400, None),
    "pdf with file attachment annotation": (
        b"a.pdf",
        samples.pdf_with_file_attachment_annotation,
        400,
        None,
    ),
    "unparseable pdf": (b"a.pdf", samples.pdf_broken, 400, None),
    # Office files are Contact Us kinds, not message kinds
    "word document": (b"letter.doc", corpus.doc, 400, None),
    # Names
    "rtl override hiding .exe": (
        "x\u202egpj.exe".encode(),
        lambda: samples.image("JPEG"),
        400,
        None,
    ),
    "double extension ending html": (b"invoice.pdf.html", samples.pdf, 400, None),
    "nul before a second extension": (b"scan.pdf\x00.html", samples.pdf, 400, None),
    "path traversal": (b"../../../../etc/cron.d/x.pdf", samples.pdf, 201, "x.pdf"),
    "windows path traversal": (
        b"..\\..\\win.ini.png",
        lambda: samples.image("PNG"),
        201,
        "win.ini.png",
    ),
    "cr/lf and a header in the name": (
        b"scan.pdf\r\nContent-Type: text/html\r\n\r\n<script>",
        samples.pdf,
        400,
        None,
    ),
}


def _multipart(filename: bytes, content: bytes) -> tuple[bytes, str]:
    boundary = "----parleymessageboundary"
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\nContent-Type: image/png\r\n\r\n'  # the declared type never counts
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _stored(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.PARLEY_MAX_OOXML_UNCOMPRESSED_BYTES = 1024 * 1024
    return settings.MEDIA_ROOT


def test_the_corpus_covers_every_attack_of_the_issue():
    kinds = " ".join(CORPUS)
    for kind in ("polyglot", "svg", "html as png", "zip bomb", "truncated", "javascript"):
        assert kind in kinds


@pytest.mark.parametrize("caller", ENDPOINTS)
@pytest.mark.parametrize("entry", CORPUS)
def test_message_upload_attack(client_api: Any, media: Path, caller: str, entry: str) -> None:
    filename, make, expected, display_name = CORPUS[entry]
    if caller == "customer":
        client_api.login_as(UserFactory.create())
    else:
        _, key = token_issue(DataSourceFactory.create())
        client_api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    content = make()
    body, content_type = _multipart(filename, content)
    response = client_api.generic("POST", ENDPOINTS[caller], body, content_type=content_type)
    assert response.status_code == expected, response.content

    if expected == 400:
        assert list(response.json()) == ["file"]
        assert Attachment.objects.count() == 0
        assert _stored(media) == []
        return

    attachment = Attachment.objects.get()
    assert response.json()["name"] == display_name == attachment.name
    extension = Path(display_name or "").suffix.lower()
    assert re.fullmatch(
        rf"attachments/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\{extension}", str(attachment.file.name)
    )
    [path] = _stored(media)
    stored = path.read_bytes()
    assert len(stored) == attachment.size
    if attachment.content_type.startswith("image/"):
        # Re-encoded: a clean image of the same kind, and nothing appended survives.
        assert stored != content
        assert b"PK\x03\x04" not in stored and b"<html" not in stored.lower()
        Image.open(io.BytesIO(stored)).verify()
    else:
        assert stored == content
