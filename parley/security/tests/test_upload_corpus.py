"""The upload attack corpus against POST /users/contact-us/.

Every entry is sent as a real multipart body written by hand (so the file name can carry NUL,
CR/LF or 1,000 bytes) and its answer is asserted exactly: a refusal is `400 {"file": [...]}`
with nothing stored, saved or queued; an acceptance stores the bytes under a random name with
our extension, keeps a sanitised display name and mails the attachment under that name."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from constance import config
from django.core import mail

from parley.mail.models import OutgoingEmail
from parley.security.tests import attacks
from parley.support.models import ContactRequest
from parley.support.tests import corpus
from parley.support.tests.factories import ContactSubjectFactory

pytestmark = pytest.mark.django_db

URL = "/users/contact-us/"
BOMB_LIMIT = 1024 * 1024  # the OOXML unpacked-size limit for these tests (100 MiB shipped)
ENTRY_LIMIT = 50

# (name as sent, content, expected status, display name kept when accepted)
Entry = tuple[bytes, Callable[[], bytes], int, str | None]
CORPUS: dict[str, Entry] = {
    # Polyglots
    "pdf+html polyglot": (b"invoice.pdf", attacks.pdf_html_polyglot, 400, None),
    "html+pdf polyglot": (b"invoice.pdf", attacks.html_pdf_polyglot, 400, None),
    "jpeg with zip appended": (b"photo.jpg", attacks.jpeg_with_zip, 400, None),
    "png with docx appended": (b"photo.png", attacks.png_with_zip, 400, None),
    "pdf with zip appended": (b"scan.pdf", attacks.pdf_with_zip, 400, None),
    # Office files whose name or parts lie
    "docm renamed docx": (b"report.docx", attacks.docm, 400, None),
    "xlsm renamed xlsx": (b"sheet.xlsx", attacks.xlsm, 400, None),
    "docx declaring a macro main too": (b"r.docx", attacks.docx_declaring_both_mains, 400, None),
    "docx carrying a vba project": (b"r.docx", attacks.docx_with_vba_project, 400, None),
    "docx remote template": (b"r.docx", attacks.docx_with_remote_template, 400, None),
    "docx external ole object": (b"r.docx", attacks.docx_with_external_ole_object, 400, None),
    "xlsx external workbook link": (b"s.xlsx", attacks.xlsx_with_external_link, 400, None),
    "docx with a web hyperlink": (b"r.docx", attacks.docx_with_hyperlink, 200, "r.docx"),
    "zip bomb by size": (b"b.docx", lambda: attacks.zip_bomb_by_size(2 * BOMB_LIMIT), 400, None),
    "zip bomb by entries": (
        b"b.docx",
        lambda: attacks.zip_bomb_by_entries(ENTRY_LIMIT + 1),
        400,
        None,
    ),
    "docx as doc": (b"letter.doc", corpus.docx, 400, None),
    "powerpoint as doc": (
        b"deck.doc",
        lambda: attacks.ole_with_streams("PowerPoint Document"),
        400,
        None,
    ),
    "excel as doc": (b"book.doc", corpus.xls, 400, None),
    "word as xls": (b"letter.xls", corpus.doc, 400, None),
    "installer (msi) as xls": (
        b"setup.xls",
        lambda: attacks.ole_with_streams("\x05SummaryInformation"),
        400,
        None,
    ),
    "word with vba macros": (
        b"letter.doc",
        lambda: attacks.ole_with_streams("WordDocument", "Macros"),
        400,
        None,
    ),
    "excel with vba project": (
        b"book.xls",
        lambda: attacks.ole_with_streams("Workbook", "_VBA_PROJECT_CUR"),
        400,
        None,
    ),
    "plain word document": (b"letter.doc", corpus.doc, 200, "letter.doc"),
    # Markup under image and document names
    "svg as png": (b"logo.png", lambda: attacks.SVG, 400, None),
    "svg as jpg": (b"logo.jpg", lambda: attacks.SVG, 400, None),
    "svg by its name": (b"logo.svg", lambda: attacks.SVG, 400, None),
    "html as jpeg": (b"photo.jpeg", corpus.html, 400, None),
    "html as pdf": (b"invoice.pdf", corpus.html, 400, None),
    "html by its name": (b"page.html", corpus.html, 400, None),
    "executable as pdf": (b"invoice.pdf", corpus.exe, 400, None),
    # Names
    "rtl override hiding .exe": ("invoice\u202egpj.exe".encode(), corpus.jpeg, 400, None),
    "rtl override, real pdf": ("scan\u202efdp.pdf".encode(), corpus.pdf, 200, "scanfdp.pdf"),
    "double extension ending html": (b"invoice.pdf.html", corpus.pdf, 400, None),
    "double extension ending pdf": (b"invoice.html.pdf", corpus.pdf, 200, "invoice.html.pdf"),
    "trailing dot": (b"invoice.pdf.", corpus.pdf, 400, None),
    "upper-case extension": (b"SCAN.PDF", corpus.pdf, 200, "SCAN.PDF"),
    # Django's multipart parser caps a part's headers at 1 KiB: a request-level 400.
    "1000-byte name": (b"a" * 996 + b".pdf", corpus.pdf, 400, None),
    "1000-byte name of 2-byte letters": ("ş".encode() * 498 + b".pdf", corpus.pdf, 400, None),
    "800-byte name": (b"a" * 796 + b".pdf", corpus.pdf, 200, "a" * 251 + ".pdf"),
    "800-byte name of 2-byte letters": (
        "ş".encode() * 398 + b".pdf",
        corpus.pdf,
        200,
        "ş" * 125 + ".pdf",
    ),
    "nul before a second extension": (b"scan.pdf\x00.html", corpus.pdf, 400, None),
    "nul inside the name": (b"sc\x00an.pdf", corpus.pdf, 200, "scan.pdf"),
    "cr/lf and a header in the name": (
        b"scan.pdf\r\nContent-Type: text/html\r\n\r\n<script>",
        corpus.pdf,
        400,
        None,
    ),
    "path traversal": (b"../../../../etc/cron.d/x.pdf", corpus.pdf, 200, "x.pdf"),
    "windows path traversal": (b"..\\..\\win.ini.pdf", corpus.pdf, 200, "win.ini.pdf"),
    "only dots and an extension": (b"....pdf", corpus.pdf, 400, None),
    "no stem": (b".pdf", corpus.pdf, 400, None),
}


def _multipart(fields: dict[str, str], filename: bytes, content: bytes) -> tuple[bytes, str]:
    boundary = "----parleysecurityboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\nContent-Type: image/jpeg\r\n\r\n'  # the declared type never counts
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _stored(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def media(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.PARLEY_MAX_OOXML_UNCOMPRESSED_BYTES = BOMB_LIMIT
    monkeypatch.setattr("parley.core.files.MAX_OOXML_ENTRIES", ENTRY_LIMIT)
    config.CONTACT_US_EMAIL_TO = '{"contact_us": "support@shop.example"}'
    return settings.MEDIA_ROOT


def test_the_corpus_covers_every_attack_of_the_issue():
    kinds = " ".join(CORPUS)
    for kind in ("polyglot", "jpeg with zip", "docm", "external", "zip bomb", "as doc", "svg"):
        assert kind in kinds
    for kind in ("html as", "rtl override", "double extension", "1000-byte", "nul", "cr/lf"):
        assert kind in kinds


@pytest.mark.parametrize("entry", CORPUS)
def test_upload_attack(
    client_api: Any, media: Path, django_capture_on_commit_callbacks: Any, entry: str
) -> None:
    filename, make, expected, display_name = CORPUS[entry]
    subject = ContactSubjectFactory.create()
    client_api.fetch_csrf()
    fields = {
        "subject": str(subject.pk),
        "full_name": "Mallory",
        "email": "mallory@example.com",
        "message": "See the attachment.",
    }
    content = make()  # once: a ZIP records the time it was written
    body, content_type = _multipart(fields, filename, content)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_api.generic("POST", URL, body, content_type=content_type)
    assert response.status_code == expected, response.content

    if expected == 400:
        if len(filename) >= 1000:
            assert response.json() == {
                "detail": "Multipart form parse error - Request max total header size exceeded."
            }
        else:
            assert list(response.json()) == ["file"]
        assert ContactRequest.objects.count() == 0
        assert OutgoingEmail.objects.count() == 0
        assert mail.outbox == []
        assert _stored(media) == []
        return

    contact = ContactRequest.objects.get()
    assert contact.file_name == display_name
    extension = Path(display_name or "").suffix.lower()
    assert re.fullmatch(rf"contact-us/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\{extension}", contact.file)
    [path] = _stored(media)
    assert path == media / contact.file
    assert path.read_bytes() == content
    [message] = mail.outbox
    [part] = [part for part in message.message().walk() if part.get_filename()]
    assert part.get_filename() == display_name
