"""POST /users/contact-us/: what a storefront sends and what the shop receives."""

import email as email_lib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from constance import config
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.throttling import SimpleRateThrottle

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import OrderFactory
from parley.mail.models import EmailStatus, OutgoingEmail
from parley.mail.services import email_sweep
from parley.support.models import ContactRequest
from parley.support.tests import corpus
from parley.support.tests.helpers import stored_files

URL = "/users/contact-us/"


@pytest.fixture
def client_csrf(client_api: Any, routing: Any) -> Any:
    client_api.fetch_csrf()
    return client_api


@pytest.fixture
def post(client_csrf: Any, django_capture_on_commit_callbacks: Any) -> Iterator[Any]:
    """Post as the storefront does, running the commit hooks (the outbox hand-off)."""

    def _post(data: Any, *, format: str = "json", url: str = URL, **extra: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client_csrf.post(url, data, format=format, **extra)

    yield _post


def _form(subject_obj: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "subject": subject_obj.pk,
        "full_name": "Joe Doe",
        "email": "joe@example.com",
        "message": "Where is my parcel?",
    }
    data.update(overrides)
    return data


def assert_nothing_saved(media: Path) -> None:
    assert ContactRequest.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0
    assert mail.outbox == []
    assert stored_files(media) == []


# --- Success --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_json_submission_sends_one_email_to_the_shop(post: Any, subject: Any) -> None:
    response = post(
        _form(subject, phone="+90 555 000 00 00", country_code="TR", order_needed=False),
        HTTP_ACCEPT_LANGUAGE="tr-tr",
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 200
    assert response.content == b""

    contact = ContactRequest.objects.get()
    assert contact.subject == subject
    assert contact.full_name == "Joe Doe"
    assert contact.email == "joe@example.com"
    assert contact.phone == "+90 555 000 00 00"
    assert contact.operation == "contact_us"
    assert contact.recipients == ["support@shop.example"]
    assert contact.language == "tr"
    assert contact.client_ip == "127.0.0.1"
    assert contact.user is None
    assert contact.file == ""
    assert contact.outgoing_email is not None
    assert contact.outgoing_email.status == EmailStatus.SENT

    [sent] = mail.outbox
    assert sent.to == ["support@shop.example"]
    assert sent.cc == [] and sent.bcc == []
    assert sent.reply_to == ["joe@example.com"]
    # The shop reads it in the default language, whatever the customer's.
    assert sent.subject == "[Contact Us] Technical Support – Joe Doe <joe@example.com>"
    for value in (
        "Technical Support",
        "Joe Doe",
        "joe@example.com",
        "+90 555 000 00 00",
        "Where is my parcel?",
        "contact_us",
        "tr",
    ):
        assert value in sent.body
    assert sent.attachments == []


@pytest.mark.django_db
def test_numeric_strings_and_blank_optionals_are_accepted(post: Any, subject: Any) -> None:
    response = post(_form(subject, subject=str(subject.pk), phone="", order="", operation=""))
    assert response.status_code == 200
    contact = ContactRequest.objects.get()
    assert contact.phone == ""
    assert contact.order is None
    assert contact.operation == "contact_us"


@pytest.mark.django_db
def test_without_trailing_slash_and_no_redirect(post: Any, subject: Any) -> None:
    response = post(_form(subject), url="/users/contact-us")
    assert response.status_code == 200
    assert ContactRequest.objects.count() == 1


@pytest.mark.django_db
def test_operation_routes_to_all_its_recipients(post: Any, subject: Any) -> None:
    response = post(_form(subject, operation="franchise"))
    assert response.status_code == 200
    [sent] = mail.outbox
    assert sent.to == ["franchise@shop.example", "owner@shop.example"]
    assert ContactRequest.objects.get().recipients == sent.to


@pytest.mark.django_db
def test_a_routing_change_holds_from_the_next_request(post: Any, subject: Any) -> None:
    assert post(_form(subject)).status_code == 200
    config.CONTACT_US_EMAIL_TO = json.dumps({"contact_us": ["new-desk@shop.example"]})
    assert post(_form(subject)).status_code == 200
    assert [sent.to for sent in mail.outbox] == [
        ["support@shop.example"],
        ["new-desk@shop.example"],
    ]
    # franchise is gone from the new value: now an unknown operation
    response = post(_form(subject, operation="franchise"))
    assert response.status_code == 400
    assert response.json() == {"operation": ["Unknown operation."]}


ALLOWED_FILES = [
    ("scan.pdf", corpus.pdf, "application/pdf"),
    ("photo.JPG", corpus.jpeg, "image/jpeg"),
    ("photo.jpeg", corpus.jpeg, "image/jpeg"),
    ("screen.png", corpus.png, "image/png"),
    ("letter.doc", corpus.doc, "application/msword"),
    ("sheet.xls", corpus.xls, "application/vnd.ms-excel"),
    (
        "letter.docx",
        corpus.docx,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "sheet.XLSX",
        corpus.xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "make", "mimetype"), ALLOWED_FILES)
def test_multipart_with_each_allowed_type_mails_the_attachment(
    post: Any, subject: Any, private_media: Path, name: str, make: Any, mimetype: str
) -> None:
    content = make()
    upload = SimpleUploadedFile(name, content, content_type="text/html")  # declared type ignored
    response = post(_form(subject, file=upload, country_code="TR"), format="multipart")
    assert response.status_code == 200, response.content
    contact = ContactRequest.objects.get()
    assert contact.file_name == name
    assert contact.file_mimetype == mimetype
    assert contact.file_size == len(content)
    # Stored under a random name of ours in private storage, never the client's name.
    assert name not in contact.file
    assert contact.file.startswith("contact-us/")
    [path] = stored_files(private_media)
    assert path.read_bytes() == content
    assert path.name != name
    [sent] = mail.outbox
    assert sent.attachments == [(name, content, mimetype)]
    parsed = email_lib.message_from_bytes(sent.message().as_bytes())
    [part] = [part for part in parsed.walk() if part.get_filename()]
    assert part.get_filename() == name
    assert part.get_payload(decode=True) == content


@pytest.mark.django_db
def test_a_path_in_the_file_name_is_dropped(post: Any, subject: Any, private_media: Path) -> None:
    upload = SimpleUploadedFile("../../../etc/report.pdf", corpus.pdf())
    response = post(_form(subject, file=upload), format="multipart")
    assert response.status_code == 200
    contact = ContactRequest.objects.get()
    assert contact.file_name == "report.pdf"
    [path] = stored_files(private_media)
    assert path.is_relative_to(private_media / "contact-us")
    assert mail.outbox[0].attachments[0][0] == "report.pdf"


@pytest.mark.django_db
def test_a_very_long_file_name_is_shortened_to_255_bytes(post: Any, subject: Any) -> None:
    upload = SimpleUploadedFile("ş" * 300 + ".pdf", corpus.pdf())
    response = post(_form(subject, file=upload), format="multipart")
    assert response.status_code == 200
    file_name = ContactRequest.objects.get().file_name
    assert file_name.endswith(".pdf")
    assert len(file_name.encode()) <= 255


@pytest.mark.django_db
def test_html_in_fields_is_escaped_and_header_injection_is_impossible(
    post: Any, subject: Any
) -> None:
    response = post(
        _form(subject, full_name="<b>Joe</b> & co", message="<script>alert(1)</script>\nline 2")
    )
    assert response.status_code == 200
    sent: Any = mail.outbox[0]
    html = sent.alternatives[0][0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Joe&lt;/b&gt; &amp; co" in html
    assert "<script>" not in html
    assert "<script>alert(1)</script>" in sent.body  # the plain text part is plain text
    message = sent.message()
    assert message["Bcc"] is None
    assert message["To"] == "support@shop.example"


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["full_name", "email", "phone", "operation"])
@pytest.mark.parametrize("bad", ["a\r\nBcc: victim@example.com", "a\nb", "a\x00b"])
def test_control_characters_in_single_line_fields_are_refused(
    post: Any, subject: Any, private_media: Path, field: str, bad: str
) -> None:
    response = post(_form(subject, **{field: bad}))
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert_nothing_saved(private_media)


# --- The order rules ------------------------------------------------------------------------


@pytest.mark.django_db
def test_guest_with_an_order_placed_with_the_same_email(post: Any, order_subject: Any) -> None:
    order: Any = OrderFactory(user=None, email="Joe@Example.com")
    response = post(_form(order_subject, order=str(order.pk), email="JOE@example.COM"))
    assert response.status_code == 200
    assert ContactRequest.objects.get().order == order
    assert order.number in mail.outbox[0].body


@pytest.mark.django_db
def test_logged_in_user_with_their_own_order(
    logged_in: Any,
    user: Any,
    routing: Any,
    order_subject: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    order: Any = OrderFactory(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(
            URL, _form(order_subject, order=order.pk, email="other@example.com"), format="json"
        )
    assert response.status_code == 200
    contact = ContactRequest.objects.get()
    assert contact.order == order
    assert contact.user == user


@pytest.mark.django_db
def test_logged_in_user_cannot_name_someone_elses_order(
    logged_in: Any, routing: Any, order_subject: Any, private_media: Path
) -> None:
    theirs: Any = OrderFactory(user=UserFactory(), email="joe@example.com")  # even with this e-mail
    response = logged_in.post(URL, _form(order_subject, order=theirs.pk), format="json")
    assert response.status_code == 400
    assert response.json() == {"order": ["No matching order was found for you."]}
    assert_nothing_saved(private_media)


@pytest.mark.django_db
def test_bad_order_answers_the_same_whether_or_not_it_exists(
    post: Any, order_subject: Any, private_media: Path
) -> None:
    someone_elses: Any = OrderFactory(user=None, email="other@example.com")
    wrong_email = post(_form(order_subject, order=someone_elses.pk))
    missing = post(_form(order_subject, order=someone_elses.pk + 1000))
    assert wrong_email.status_code == missing.status_code == 400
    assert (
        wrong_email.json() == missing.json() == {"order": ["No matching order was found for you."]}
    )
    assert_nothing_saved(private_media)


@pytest.mark.django_db
def test_subject_needing_an_order_without_one(
    post: Any, order_subject: Any, private_media: Path
) -> None:
    response = post(_form(order_subject))
    assert response.status_code == 400
    assert response.json() == {"order": ["This subject needs an order."]}
    assert_nothing_saved(private_media)


# --- Bad input --------------------------------------------------------------------------------

BAD_FIELDS = [
    ({"subject": None}, "subject", "This field may not be null."),
    ({"subject": "abc"}, "subject", "A valid integer is required."),
    ({"subject": True}, "subject", "A valid integer is required."),
    ({"subject": 1.5}, "subject", "A valid integer is required."),
    ({"subject": 0}, "subject", "Ensure this value is greater than or equal to 1."),
    ({"full_name": "   "}, "full_name", "This field may not be blank."),
    ({"full_name": "x" * 71}, "full_name", "Ensure this field has no more than 70 characters."),
    ({"email": "not-an-email"}, "email", "Enter a valid email address."),
    (
        {"email": "a" * 250 + "@x.io"},
        "email",
        "Ensure this field has no more than 254 characters.",
    ),
    ({"phone": "1" * 71}, "phone", "Ensure this field has no more than 70 characters."),
    ({"message": " \n "}, "message", "This field may not be blank."),
    (
        {"message": "x" * 10_001},
        "message",
        "Ensure this field has no more than 10000 characters.",
    ),
    (
        {"message": "a\x00b"},
        "message",
        ["Null characters are not allowed.", "NUL characters are not allowed."],
    ),
    ({"order": "12abc"}, "order", "A valid integer is required."),
    ({"order": -3}, "order", "Ensure this value is greater than or equal to 1."),
    ({"operation": "nope"}, "operation", "Unknown operation."),
    ({"operation": 5}, "operation", "Not a valid string."),
    ({"operation": ["contact_us"]}, "operation", "Not a valid string."),
    ({"operation": {"contact_us": 1}}, "operation", "Not a valid string."),
    (
        {"file": "not a file"},
        "file",
        "The submitted data was not a file. Check the encoding type on the form.",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "field", "message"), BAD_FIELDS)
def test_bad_field_is_a_400_naming_it_and_nothing_is_saved(
    post: Any, subject: Any, private_media: Path, overrides: dict, field: str, message: Any
) -> None:
    response = post(_form(subject, **overrides))
    assert response.status_code == 400
    assert response.json() == {field: message if isinstance(message, list) else [message]}
    assert_nothing_saved(private_media)


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["subject", "full_name", "email", "message"])
def test_required_fields(post: Any, subject: Any, private_media: Path, missing: str) -> None:
    data = _form(subject)
    del data[missing]
    response = post(data)
    assert response.status_code == 400
    assert response.json() == {missing: ["This field is required."]}
    assert_nothing_saved(private_media)


@pytest.mark.django_db
def test_inactive_or_unknown_subject(post: Any, subject: Any, private_media: Path) -> None:
    subject.is_active = False
    subject.save()
    for subject_id in (subject.pk, subject.pk + 100):
        response = post(_form(subject, subject=subject_id))
        assert response.status_code == 400
        assert response.json() == {"subject": ["Select a valid subject."]}
    assert_nothing_saved(private_media)


@pytest.mark.django_db
def test_not_an_object(post: Any, private_media: Path) -> None:
    response = post([1, 2])
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert_nothing_saved(private_media)


@pytest.mark.django_db
def test_csrf_is_required_even_anonymously(
    client_api: Any, routing: Any, subject: Any, private_media: Path
) -> None:
    response = client_api.post(URL, _form(subject), format="json")
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")
    assert_nothing_saved(private_media)


BAD_FILES = [
    ("png-named.pdf", corpus.png, "The file's content is not a valid .pdf file."),
    ("page.jpg", corpus.html, "The file's content is not a valid .jpg file."),
    ("setup.docx", corpus.exe, "The file's content is not a valid .docx file."),
    ("archive.docx", corpus.plain_zip, "The file's content is not a valid .docx file."),
    ("letter.xlsx", corpus.docx, "The file's content is not a valid .xlsx file."),
    ("sheet.doc", corpus.xls, "The file's content is not a valid .doc file."),
    ("letter.xls", corpus.pdf, "The file's content is not a valid .xls file."),
    (
        "x.pdf.html",
        corpus.pdf,
        "Unsupported file type. Allowed: .pdf, .jpg, .jpeg, .png, .doc, .xls, .docx, .xlsx.",
    ),
    (
        "noextension",
        corpus.pdf,
        "Unsupported file type. Allowed: .pdf, .jpg, .jpeg, .png, .doc, .xls, .docx, .xlsx.",
    ),
    (
        "script.exe",
        corpus.exe,
        "Unsupported file type. Allowed: .pdf, .jpg, .jpeg, .png, .doc, .xls, .docx, .xlsx.",
    ),
    ("empty.pdf", lambda: b"", "The submitted file is empty."),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "make", "message"), BAD_FILES)
def test_forged_or_refused_files(
    post: Any, subject: Any, private_media: Path, name: str, make: Any, message: str
) -> None:
    upload = SimpleUploadedFile(name, make(), content_type="application/pdf")
    response = post(_form(subject, file=upload), format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": [message]}
    assert_nothing_saved(private_media)


@pytest.mark.django_db
def test_zip_bomb_is_refused(post: Any, subject: Any, private_media: Path) -> None:
    bomb = corpus.zip_bomb(101 * 1024 * 1024)  # over the shipped 100 MiB cap
    assert len(bomb) < 1024 * 1024
    upload = SimpleUploadedFile("bomb.docx", bomb)
    response = post(_form(subject, file=upload), format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": ["The file's content is not a valid .docx file."]}
    assert_nothing_saved(private_media)


@pytest.mark.django_db
def test_file_over_the_limit_is_stopped_while_streaming(
    post: Any, subject: Any, settings: Any, private_media: Path
) -> None:
    settings.PARLEY_MAX_UPLOAD_BYTES = 1000
    upload = SimpleUploadedFile("big.pdf", corpus.pdf() + b"\x00" * 2000)
    response = post(_form(subject, file=upload), format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": ["The file is too large: at most 1000 bytes are allowed."]}
    assert_nothing_saved(private_media)


@pytest.mark.django_db
def test_ten_mib_is_accepted_and_one_byte_more_is_not(
    post: Any, subject: Any, private_media: Path
) -> None:
    limit = 10 * 1024 * 1024
    exact = SimpleUploadedFile("ten.pdf", corpus.pdf().ljust(limit, b"\n"))
    assert post(_form(subject, file=exact), format="multipart").status_code == 200
    over = SimpleUploadedFile("over.pdf", corpus.pdf().ljust(limit + 1, b"\n"))
    response = post(_form(subject, file=over), format="multipart")
    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert ContactRequest.objects.count() == 1


# --- Throttles --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_five_a_minute_then_429(post: Any, subject: Any) -> None:
    for _ in range(5):
        assert post(_form(subject)).status_code == 200
    response = post(_form(subject))
    assert response.status_code == 429
    assert "Retry-After" in response
    assert ContactRequest.objects.count() == 5


@pytest.mark.django_db
def test_daily_limit(post: Any, subject: Any, settings: Any, monkeypatch: Any) -> None:
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    assert rates["contact_us"] == "5/min" and rates["contact_us_daily"] == "50/day"
    rates.update({"contact_us": "100/min", "contact_us_daily": "2/day"})
    # On the base class, as the throttles read it, and undone after the test. (Assigning to the
    # subclasses and "restoring" them left their own copy of the rates behind, which shadowed
    # the rates later tests set on the base class.)
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    assert post(_form(subject)).status_code == 200
    assert post(_form(subject)).status_code == 200
    assert post(_form(subject)).status_code == 429


@pytest.mark.django_db
def test_x_forwarded_for_does_not_dodge_the_throttle(post: Any, subject: Any) -> None:
    for number in range(5):
        response = post(_form(subject), HTTP_X_FORWARDED_FOR=f"10.0.0.{number}")
        assert response.status_code == 200
    assert post(_form(subject), HTTP_X_FORWARDED_FOR="10.0.0.99").status_code == 429
    assert set(ContactRequest.objects.values_list("client_ip", flat=True)) == {"127.0.0.1"}


# --- Durable delivery ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_mail_server_down_still_200_and_delivered_once_when_back(
    post: Any, subject: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "parley.mail.tests.backends.BrokenBackend"
    upload = SimpleUploadedFile("scan.pdf", corpus.pdf())
    response = post(_form(subject, file=upload), format="multipart")
    assert response.status_code == 200
    assert response.content == b""
    outgoing = ContactRequest.objects.get().outgoing_email
    assert outgoing is not None
    outgoing.refresh_from_db()
    assert outgoing.status == EmailStatus.PENDING
    assert outgoing.attempts == 1
    assert "Connection refused" in outgoing.last_error
    assert mail.outbox == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutgoingEmail.objects.filter(pk=outgoing.pk).update(next_attempt_at=outgoing.created_at)
    assert email_sweep() == 1
    assert email_sweep() == 0
    outgoing.refresh_from_db()
    assert outgoing.status == EmailStatus.SENT
    [sent] = mail.outbox
    assert sent.to == ["support@shop.example"]
    assert sent.attachments == [("scan.pdf", corpus.pdf(), "application/pdf")]
    assert sent.extra_headers["Message-ID"] == outgoing.message_id


def _raw_multipart(fields: dict[str, str], filename: bytes, content: bytes) -> tuple[bytes, str]:
    """A multipart body written by hand, so the file name can hold what no client library
    would put there."""
    boundary = "----parleyboundary"
    parts = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    parts.append(
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\nContent-Type: application/pdf\r\n\r\n'
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filename",
    [
        b"re\x00port.pdf",
        b"report\r\nBcc: victim@example.com.pdf",
        b"..\\..\\windows\\report.pdf",
        b"/etc/cron.d/report.pdf",
        b"\xe2\x80\xaereport.pdf",
    ],
)
def test_hostile_file_names_never_reach_storage_or_headers(
    client_csrf: Any,
    subject: Any,
    private_media: Path,
    django_capture_on_commit_callbacks: Any,
    filename: bytes,
) -> None:
    fields = {k: str(v) for k, v in _form(subject).items()}
    body, content_type = _raw_multipart(fields, filename, corpus.pdf())
    with django_capture_on_commit_callbacks(execute=True):
        response = client_csrf.generic("POST", URL, body, content_type=content_type)
    if response.status_code == 400:  # refused outright is fine too; then nothing is kept
        assert list(response.json()) == ["file"]
        assert_nothing_saved(private_media)
        return
    assert response.status_code == 200, response.content
    contact = ContactRequest.objects.get()
    for bad in ("\x00", "\r", "\n", "/", "\\", "\u202e"):
        assert bad not in contact.file_name
    assert contact.file_name.endswith(".pdf")
    [path] = stored_files(private_media)
    assert path.is_relative_to(private_media / "contact-us")
    message = mail.outbox[0].message()
    assert message["Bcc"] is None
    [part] = [part for part in message.walk() if part.get_filename()]
    assert part.get_filename() == contact.file_name


@pytest.mark.django_db
def test_body_over_the_multipart_cap_is_413_before_reading(
    client_csrf: Any, subject: Any, private_media: Path
) -> None:
    fields = {k: str(v) for k, v in _form(subject).items()}
    body, content_type = _raw_multipart(fields, b"big.pdf", b"%PDF-" + b"0" * (11 * 1024 * 1024))
    response = client_csrf.generic("POST", URL, body, content_type=content_type)
    assert response.status_code == 413
    assert_nothing_saved(private_media)


@pytest.mark.django_db
def test_errors_speak_the_request_language(
    post: Any, order_subject: Any, private_media: Path
) -> None:
    response = post(_form(order_subject, full_name=""), HTTP_ACCEPT_LANGUAGE="tr-tr")
    assert response.status_code == 400
    assert response.json() == {"full_name": ["Bu alan boş bırakılmamalı."]}
    response = post(_form(order_subject, order=999_999), HTTP_ACCEPT_LANGUAGE="tr-tr")
    assert response.json() == {"order": ["Size ait eşleşen bir sipariş bulunamadı."]}
    assert_nothing_saved(private_media)
