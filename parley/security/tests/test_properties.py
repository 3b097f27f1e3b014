"""Property tests (hypothesis) for every validator and normaliser that hostile input meets.

Each property states, for any input, what is accepted and what the accepted value looks like;
an oracle written independently of the code decides. The runs are derandomized: the same inputs
on every run, so a failure reproduces."""

import io
import os
import re
import string
import unicodedata
from typing import Any

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.test import RequestFactory
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from parley.accounts.apis import RegistrationApi
from parley.conversations.apis import ConversationListCreateApi
from parley.core.exceptions import ApplicationError
from parley.core.pagination import PageLimitPagination
from parley.core.validators import EmailAddressField, IdField, SingleLineField, TextField
from parley.mail.headers import (
    MAX_FILENAME_BYTES,
    address_validate,
    filename_sanitise,
    header_text_clean,
)
from parley.support.apis import ContactUsApi
from parley.support.attachments import ALLOWED_EXTENSIONS, attachment_check
from parley.support.tests import corpus

EXAMPLES = 300
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Text as hostile clients send it: every Unicode category, surrogates, controls, format
# characters (the right-to-left override), line breaks, and plenty of plain letters.
HOSTILE_CHARACTERS = st.one_of(
    st.characters(exclude_categories=()),
    st.sampled_from("\x00\r\n\t\x0b\x0c\x1b\x7f\x85\u2028\u2029\u202e\u200b\ufeff /\\.<>\"'&;"),
    st.sampled_from(string.ascii_letters + string.digits + "şğüöçıİ"),
)
HOSTILE_TEXT = st.text(HOSTILE_CHARACTERS, max_size=300)


def _field(field: serializers.Field) -> serializers.Field:
    field.bind("value", serializers.Serializer())
    return field


def _accepts(field: serializers.Field, value: Any) -> tuple[bool, Any]:
    try:
        return True, field.run_validation(value)
    except serializers.ValidationError:
        return False, None


def _has_control(value: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in value)


def _has_surrogate(value: str) -> bool:
    return any(unicodedata.category(char) == "Cs" for char in value)


# --- Names, phones, subjects: one-line fields -------------------------------------------------

SINGLE_LINE_FIELDS = {
    "contact full_name": (ContactUsApi.InputSerializer, "full_name"),
    "contact phone": (ContactUsApi.InputSerializer, "phone"),
    "registration first_name": (RegistrationApi.InputSerializer, "first_name"),
    "registration last_name": (RegistrationApi.InputSerializer, "last_name"),
    "registration phone": (RegistrationApi.InputSerializer, "phone"),
    "conversation subject": (
        ConversationListCreateApi.ConversationMessageInputSerializer,
        "subject",
    ),
}


@pytest.mark.parametrize("name", SINGLE_LINE_FIELDS)
@PROPERTY_SETTINGS
@given(value=HOSTILE_TEXT)
@example(value="Ayşe\r\nBcc: victim@example.com")
@example(value="  Çağrı  ")
@example(value="\u202eexe.pdf")
def test_single_line_fields_accept_exactly_trimmed_one_line_text(name: str, value: str) -> None:
    serializer_class, field_name = SINGLE_LINE_FIELDS[name]
    field = serializer_class().fields[field_name]
    assert isinstance(field, SingleLineField) and field.max_length is not None
    accepted, result = _accepts(field, value)
    trimmed = value.strip()
    expected = (
        (trimmed != "" or field.allow_blank)
        and len(trimmed) <= field.max_length
        and not _has_control(trimmed)
        and not _has_surrogate(trimmed)
    )
    assert accepted == expected, (value, result)
    if accepted:
        assert result == trimmed
        assert "\r" not in result and "\n" not in result  # it can never add a mail header line


# --- Message contents: multi-line text -------------------------------------------------------

TEXT_FIELDS = {
    "contact message": (ContactUsApi.InputSerializer, "message", 10_000),
    "conversation message": (
        ConversationListCreateApi.ConversationMessageInputSerializer,
        "message_content",
        5_000,
    ),
}


@pytest.mark.parametrize("name", TEXT_FIELDS)
@PROPERTY_SETTINGS
@given(value=HOSTILE_TEXT, padding=st.integers(min_value=0, max_value=10_050))
@example(value="<script>alert(1)</script>\r\nline two", padding=0)
def test_message_fields_keep_line_breaks_and_refuse_nul(name: str, value: str, padding: int):
    serializer_class, field_name, limit = TEXT_FIELDS[name]
    field = serializer_class().fields[field_name]
    assert isinstance(field, TextField) and field.max_length == limit
    value = value + "x" * padding if padding > limit - 300 else value
    accepted, result = _accepts(field, value)
    trimmed = value.strip()
    expected = (
        trimmed != ""
        and len(trimmed) <= limit
        and "\x00" not in trimmed
        and not _has_surrogate(trimmed)
    )
    assert accepted == expected, (value[:80], result)
    if accepted:
        assert result == trimmed  # stored as typed: escaping is the renderers' job


# --- E-mail addresses --------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(value=st.one_of(st.emails(), HOSTILE_TEXT, st.emails().map(str.upper)))
@example(value="Ayse.Yilmaz@Example.COM")
@example(value="joe@example.com\r\nBcc: everyone@example.com")
@example(value="İ@example.com")
@example(value="joe@bücher.example")
@example(value='"a\\"b"@example.com')
def test_an_accepted_email_is_lower_case_one_line_and_safe_for_reply_to(value: str) -> None:
    field = _field(EmailAddressField())
    accepted, result = _accepts(field, value)
    if _has_control(value.strip()) or len(value.strip()) > 254:
        assert not accepted
    if not accepted:
        return
    assert result == result.lower() == value.strip().lower()
    assert len(result) <= 254
    validate_email(result)
    assert address_validate(result) == result  # what the form accepts, the outbox can send to
    assert _accepts(field, result.upper()) in ((True, result), (False, None))


@PROPERTY_SETTINGS
@given(address=st.emails())
def test_email_case_never_matters(address: str) -> None:
    field = _field(EmailAddressField())
    accepted, result = _accepts(field, address)
    if accepted:
        assert _accepts(field, address.upper())[1] in (result, None)
        assert _accepts(field, address.swapcase())[1] in (result, None)


@PROPERTY_SETTINGS
@given(value=HOSTILE_TEXT)
def test_mail_addresses_with_any_control_character_are_refused(value: str) -> None:
    if not _has_control(value):
        value += "\n"
    with pytest.raises(DjangoValidationError):
        address_validate(value)


# --- Ids given as strings ------------------------------------------------------------------------

MAX_ID = 2**63 - 1
ID_INPUTS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=0, max_value=10**6).map(lambda n: f" {n}\t"),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    HOSTILE_TEXT,
    st.sampled_from(["1.0", "1e3", "0x10", "1_000", "+5", "-0", "٣", "²", "１２", "12abc", ""]),
    st.lists(st.integers(), max_size=2),
)


def _id_oracle(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    if isinstance(value, str):
        digits = value.strip()
        if not (digits and digits.isascii() and digits.isdigit()):
            return None
        value = int(digits)
    return value if 1 <= value <= MAX_ID else None


@PROPERTY_SETTINGS
@given(value=ID_INPUTS)
@example(value="٣")  # Arabic-Indic three: Python's int() takes it, an id must not
@example(value="１２")
@example(value=True)
@example(value=1.0)
@example(value=str(MAX_ID + 1))
def test_ids_are_positive_ascii_integers_as_numbers_or_strings(value: Any) -> None:
    accepted, result = _accepts(_field(IdField()), value)
    expected = _id_oracle(value)
    assert (result if accepted else None) == expected, value


# --- Pagination parameters ---------------------------------------------------------------------

PAGE_PARAMETER = st.one_of(
    st.integers(min_value=-5, max_value=30).map(str),
    st.sampled_from(["", "last", "1.0", "1e1", "+2", "٢", " 2", "0x1", "9" * 30]),
    HOSTILE_TEXT.filter(lambda text: "\x00" not in text),
)


def _limit_oracle(raw: str | None) -> int:
    try:
        number = int(raw) if raw is not None else 0
    except ValueError:
        return 20
    return min(number, 100) if number > 0 else 20


@PROPERTY_SETTINGS
@given(
    items=st.integers(min_value=0, max_value=450),
    page=st.one_of(st.none(), PAGE_PARAMETER),
    limit=st.one_of(st.none(), PAGE_PARAMETER),
)
def test_pagination_answers_a_bounded_page_or_invalid_page(
    items: int, page: str | None, limit: str | None
) -> None:
    query = {name: value for name, value in (("page", page), ("limit", limit)) if value is not None}
    request = Request(RequestFactory().get("/items/", query))
    paginator = PageLimitPagination()
    size = _limit_oracle(limit)
    pages = max(1, -(-items // size))
    try:
        number = pages if page == "last" else int(page or 1)
    except ValueError:
        number = None
    try:
        result = paginator.paginate_queryset(list(range(items)), request)
    except NotFound as error:
        assert str(error.detail) == "Invalid page."
        assert number is None or not 1 <= number <= pages
        return
    assert number is not None and 1 <= number <= pages
    assert result == list(range(items))[(number - 1) * size : number * size]
    assert len(result) <= 100


# --- File names --------------------------------------------------------------------------------


def _format_or_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Cs")


def _has_stem(stem: str) -> bool:
    """Whether a name's last part keeps something before its extension once sanitised: a name
    that is only an extension (`.pdf`, `dir/..pdf`) has no extension, it is a hidden file."""
    visible = "".join(char for char in stem if not _format_or_control(char))
    last_part = visible.replace("\\", "/").rsplit("/", 1)[-1]
    return bool(last_part.strip().lstrip(".").strip())


@PROPERTY_SETTINGS
@given(name=HOSTILE_TEXT)
@example(name="../../etc/passwd")
@example(name="..\\..\\boot.ini")
@example(name="invoice\u202egpj.exe")
@example(name="a" * 1000 + ".pdf")
@example(name="ş" * 600 + ".docx")
@example(name="report.pdf\r\nContent-Type: text/html")
@example(name="...")
def test_sanitised_file_names_are_safe_everywhere(name: str) -> None:
    clean = filename_sanitise(name)
    assert clean and clean.strip() == clean
    assert not clean.startswith(".")
    assert "/" not in clean and "\\" not in clean
    assert not any(_format_or_control(char) for char in clean)
    assert len(clean.encode()) <= MAX_FILENAME_BYTES
    assert filename_sanitise(clean) == clean  # idempotent: sanitising again changes nothing


@PROPERTY_SETTINGS
@given(
    stem=HOSTILE_TEXT, extension=st.sampled_from(sorted(ALLOWED_EXTENSIONS)), upper=st.booleans()
)
def test_the_real_last_extension_survives_sanitising(stem: str, extension: str, upper: bool):
    extension = extension.upper() if upper else extension
    assume(_has_stem(stem))
    clean = filename_sanitise(stem + extension)
    # Whatever precedes it (paths, controls, a thousand bytes), the extension the checker
    # reads and the one the shop sees are the one the file really had.
    assert os.path.splitext(clean)[1] == extension
    assert clean.endswith(extension)


@PROPERTY_SETTINGS
@given(value=HOSTILE_TEXT)
@example(value="Re: order\r\nBcc: all@example.com")
def test_header_text_is_one_clean_line(value: str) -> None:
    clean = header_text_clean(value)
    assert not any(_format_or_control(char) for char in clean)
    assert clean == clean.strip() and "  " not in clean
    assert header_text_clean(clean) == clean


@PROPERTY_SETTINGS
@given(
    name=HOSTILE_TEXT,
    content=st.binary(max_size=2048),
    extension=st.sampled_from(sorted(ALLOWED_EXTENSIONS)),
)
def test_attachment_check_refuses_arbitrary_bytes_cleanly(
    name: str, content: bytes, extension: str
):
    upload = SimpleUploadedFile(name + extension, content)
    try:
        checked = attachment_check(upload)
    except ApplicationError as error:
        assert error.field == "file"
        return
    # Accepted only when the bytes begin as that type really begins.
    magic = {".pdf": b"%PDF", ".png": b"\x89PNG", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff"}
    assert content.startswith(
        magic.get(
            checked.extension,
            b"\xd0\xcf\x11\xe0" if checked.extension in (".doc", ".xls") else b"PK",
        )
    )


@PROPERTY_SETTINGS
@given(name=HOSTILE_TEXT, extension=st.sampled_from([".pdf", ".PDF", ".Pdf"]))
def test_an_accepted_attachment_is_named_from_our_table_not_the_client(name: str, extension: str):
    assume(_has_stem(name))
    upload = SimpleUploadedFile(name + extension, corpus.pdf(), content_type="text/html")
    checked = attachment_check(upload)
    assert checked.extension == ".pdf" and checked.mimetype == "application/pdf"
    assert checked.filename == filename_sanitise(name + extension)
    assert re.fullmatch(r"[^/\\\x00-\x1f]+\.pdf", checked.filename, flags=re.IGNORECASE)
    assert isinstance(upload.file, io.BytesIO) and upload.file.tell() == 0  # rewound for storage
