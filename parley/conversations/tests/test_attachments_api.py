"""Message attachments (API.md §8) over HTTP: the two uploads, the links on the customer's
create/append and the seller's answer, the customer's list, the seller's message objects,
the download and its headers, the limits."""

import io
from pathlib import Path
from typing import Any

import pytest
from constance import config
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations import services
from parley.conversations.models import Attachment, Conversation, Message, ScanStatus
from parley.core.tests import samples
from parley.sellers.tests.factories import token_header, token_issue

pytestmark = pytest.mark.django_db

UPLOAD = "/users/conversations/attachments/"
SELLER_UPLOAD = "/seller/conversations/attachments/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def _stored(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.fixture
def seller() -> Any:
    return DataSourceFactory.create()


@pytest.fixture
def seller_auth(seller: Any) -> dict[str, Any]:
    _, key = token_issue(seller)
    return token_header(key)


def _upload(client: Any, name: str, content: bytes, **extra: Any) -> Any:
    return client.post(
        UPLOAD, {"file": SimpleUploadedFile(name, content)}, format="multipart", **extra
    )


def _open(client: Any, user: Any, seller: Any, attachments: list[str], **fields: Any) -> Any:
    body = {
        "conversation_type": "message",
        "user": user.pk,
        "user_type": "registered",
        "message_content": "See the photo.",
        "datasource": seller.pk,
        "content_type": "user",
        "content_id": user.pk,
        "attachments": attachments,
        **fields,
    }
    return client.post("/users/conversations/", body, format="json")


def test_a_customer_uploads_a_photo_and_it_comes_back_without_its_gps_position(
    logged_in: Any, user: Any, seller: Any, media: Path
):
    original = samples.jpeg_with_gps()
    response = _upload(logged_in, "../../holiday photo.JPG", original)

    assert response.status_code == 201, response.content
    body = response.json()
    attachment = Attachment.objects.get()
    assert body == {
        "id": attachment.public_id,
        "name": "holiday photo.JPG",
        "size": attachment.size,
        "content_type": "image/jpeg",
    }
    assert body["id"].startswith("att_") and len(body["id"]) == 26
    assert "Set-Cookie" not in response  # a proxied endpoint sets no cookie (API.md §6)
    [path] = _stored(media)
    assert path.name != "holiday photo.JPG" and path.suffix == ".jpg"
    assert attachment.uploader_user == user and attachment.message is None
    assert attachment.scan_status == ScanStatus.NOT_SCANNED

    # The uploader may download their own unlinked upload; the bytes have no EXIF left.
    download = logged_in.get(f"/attachments/{body['id']}/")
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    assert data == path.read_bytes() and len(data) == body["size"]
    image = Image.open(io.BytesIO(data))
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert dict(image.getexif()) == {}
    assert download["Content-Type"] == "image/jpeg"
    assert download["Content-Disposition"] == (
        "inline; filename=\"holiday photo.JPG\"; filename*=UTF-8''holiday%20photo.JPG"
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox"
    assert download["Cache-Control"] == "private, no-store"


def test_a_pdf_is_offered_as_a_download_under_its_sanitised_name(logged_in: Any):
    response = _upload(logged_in, 'fatura "ş".pdf', samples.pdf())
    assert response.status_code == 201
    download = logged_in.get(f"/attachments/{response.json()['id']}/")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == (
        "attachment; filename=\"fatura .pdf\"; filename*=UTF-8''fatura%20%22%C5%9F%22.pdf"
    )


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("a.pdf", samples.pdf_with_open_action_js),
        ("a.pdf", samples.pdf_with_embedded_file),
        ("a.svg", lambda: b"<svg/>"),
        ("a.gif", lambda: samples.image("GIF")),
        ("a.docx", lambda: b"PK\x03\x04"),
        ("a.jpg", samples.truncated_jpeg),
    ],
)
def test_refused_files_are_a_400_on_file_and_nothing_is_stored(
    logged_in: Any, media: Path, name: str, make: Any
):
    response = _upload(logged_in, name, make())
    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert Attachment.objects.count() == 0
    assert _stored(media) == []


def test_no_file_is_a_400_on_file(logged_in: Any):
    response = logged_in.post(UPLOAD, {}, format="multipart")
    assert response.status_code == 400
    assert list(response.json()) == ["file"]


def test_the_size_limit_is_a_runtime_setting(logged_in: Any):
    config.ATTACHMENT_MAX_BYTES = 1000
    response = _upload(logged_in, "a.pdf", samples.pdf() + b"%" * 2000)
    assert response.status_code == 400
    assert "1000" in response.json()["file"][0]


def test_a_body_over_the_multipart_cap_is_a_413(logged_in: Any, settings: Any):
    settings.PARLEY_MAX_MULTIPART_BODY_BYTES = 2000
    response = _upload(logged_in, "a.pdf", samples.pdf() + b"%" * 4000)
    assert response.status_code == 413
    assert Attachment.objects.count() == 0


def test_uploads_need_a_session_and_csrf(client_api: Any, user: Any):
    assert _upload(client_api, "a.pdf", samples.pdf()).status_code == 403
    client_api.force_login(user)  # logged in, no CSRF token
    response = _upload(client_api, "a.pdf", samples.pdf())
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")
    assert Attachment.objects.count() == 0


def test_uploads_are_throttled_per_caller(logged_in: Any, monkeypatch: pytest.MonkeyPatch):
    from parley.core.throttles import AttachmentUploadThrottle

    monkeypatch.setattr(AttachmentUploadThrottle, "THROTTLE_RATES", {"attachment_upload": "2/hour"})
    statuses = [_upload(logged_in, "a.pdf", samples.pdf()).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert Attachment.objects.count() == 2


def test_a_customer_links_uploads_to_a_new_conversation_and_keeps_the_seed_keys(
    logged_in: Any, user: Any, seller: Any, seller_auth: dict[str, Any], client_api: Any
):
    pdf = samples.pdf()
    photo = _upload(logged_in, "broken.png", samples.image("PNG")).json()
    invoice = _upload(logged_in, "invoice.pdf", pdf).json()

    response = _open(logged_in, user, seller, [photo["id"], invoice["id"]])

    assert response.status_code == 201, response.content
    assert "attachments" not in response.json()  # the seed's keys, unchanged
    message = Message.objects.get()
    assert message.has_attachments
    assert set(message.attachments.values_list("public_id", flat=True)) == {
        photo["id"],
        invoice["id"],
    }
    conversation = message.conversation
    detail = logged_in.get(f"/users/conversations/{conversation.pk}/").json()
    assert set(detail["message_set"][0]) == {
        "id",
        "message_content",
        "content_type",
        "content_id",
        "user_type",
        "created_date",
    }
    listed = logged_in.get(f"/users/conversations/{conversation.pk}/attachments/")
    assert listed.status_code == 200
    assert listed.json() == [
        {**photo, "message": message.pk},
        {**invoice, "message": message.pk},
    ]

    # The seller sees them on its message objects, and may download them.
    seller_detail = client_api.get(f"/seller/conversations/{conversation.pk}/", **seller_auth)
    assert seller_detail.json()["message_set"][0]["attachments"] == [photo, invoice]
    download = client_api.get(f"/attachments/{invoice['id']}/", **seller_auth)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf  # a clean PDF is kept as it came


def test_a_seller_uploads_and_answers_with_a_file(
    client_api: Any, user: Any, seller: Any, seller_auth: dict[str, Any]
):
    conversation = services.conversation_create(
        user=user,
        datasource=seller,
        conversation_type="message",
        content="Where is my label?",
        user_type="registered",
    ).conversation
    upload = client_api.post(
        SELLER_UPLOAD,
        {"file": SimpleUploadedFile("label.webp", samples.image("WEBP"))},
        format="multipart",
        **seller_auth,
    )
    assert upload.status_code == 201, upload.content
    uploaded = upload.json()
    assert uploaded["content_type"] == "image/webp"

    answer = client_api.post(
        f"/seller/conversations/{conversation.pk}/messages/",
        {"message_content": "Here it is.", "attachments": [uploaded["id"]]},
        format="json",
        **seller_auth,
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["attachments"] == [uploaded]

    client_api.login_as(user)
    listed = client_api.get(f"/users/conversations/{conversation.pk}/attachments/").json()
    assert listed == [{**uploaded, "message": answer.json()["id"]}]
    assert client_api.get(f"/attachments/{uploaded['id']}/").status_code == 200


def _conversation_with_customer_file(client: Any, user: Any, seller: Any) -> tuple[Any, str]:
    uploaded = _upload(client, "a.pdf", samples.pdf()).json()["id"]
    response = _open(client, user, seller, [uploaded])
    assert response.status_code == 201
    return Conversation.objects.get(pk=response.json()["id"]), uploaded


@pytest.mark.parametrize(
    "attachments",
    [["att_unknown"], ["OTHER"], ["MINE", "MINE"], ["LINKED"], [""], "att_x"],
)
def test_links_that_are_not_the_callers_own_unlinked_uploads_are_a_400_and_store_nothing(
    logged_in: Any, client_api: Any, user: Any, seller: Any, attachments: Any
):
    conversation, linked = _conversation_with_customer_file(logged_in, user, seller)
    mine = _upload(logged_in, "b.pdf", samples.pdf()).json()["id"]
    other = UserFactory.create()
    theirs = services.attachment_upload(
        upload=SimpleUploadedFile("c.pdf", samples.pdf()), user_id=other.pk
    ).public_id
    names = {"OTHER": theirs, "MINE": mine, "LINKED": linked}
    if isinstance(attachments, list):
        attachments = [names.get(value, value) for value in attachments]
    before = Message.objects.count()

    response = _open(logged_in, user, seller, attachments, conversation=conversation.pk)

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["attachments"]
    assert Message.objects.count() == before
    assert Attachment.objects.get(public_id=mine).message is None


def test_the_per_message_and_per_conversation_limits_are_runtime_settings(
    logged_in: Any, user: Any, seller: Any
):
    config.ATTACHMENTS_PER_MESSAGE = 2
    config.ATTACHMENTS_PER_CONVERSATION = 3
    ids = [_upload(logged_in, f"{n}.pdf", samples.pdf()).json()["id"] for n in range(4)]

    too_many = _open(logged_in, user, seller, ids[:3])
    assert too_many.status_code == 400
    assert "2" in too_many.json()["attachments"][0]
    assert Message.objects.count() == 0

    first = _open(logged_in, user, seller, ids[:2])
    assert first.status_code == 201
    over = _open(logged_in, user, seller, ids[2:4], conversation=first.json()["id"])
    assert over.status_code == 400
    assert "3" in over.json()["attachments"][0]
    assert (
        _open(logged_in, user, seller, ids[2:3], conversation=first.json()["id"]).status_code == 201
    )


def test_a_hidden_messages_files_disappear_for_both_parties(
    logged_in: Any, client_api: Any, user: Any, seller: Any, seller_auth: dict[str, Any]
):
    conversation, uploaded = _conversation_with_customer_file(logged_in, user, seller)
    message = Message.objects.get(conversation=conversation)
    services.message_hide(message=message, hidden_by=None)

    assert logged_in.get(f"/attachments/{uploaded}/").status_code == 404
    assert logged_in.get(f"/users/conversations/{conversation.pk}/attachments/").json() == []
    assert APIClientWith(seller_auth).get(f"/attachments/{uploaded}/").status_code == 404

    services.message_unhide(message=message)  # hiding keeps the file: unhiding shows it again
    assert logged_in.get(f"/attachments/{uploaded}/").status_code == 200


def test_a_token_that_does_not_authenticate_gets_the_same_404_as_anyone(
    logged_in: Any, user: Any, seller: Any, seller_auth: dict[str, Any]
):
    """Not 401: the answer must not tell a wrong key from a file that does not exist."""
    _conversation, uploaded = _conversation_with_customer_file(logged_in, user, seller)
    assert APIClientWith(seller_auth).get(f"/attachments/{uploaded}/").status_code == 200
    for header in (
        "Token psk_" + "x" * 40,  # well formed, no such key
        "Token not-a-key",
        "Bearer " + seller_auth["HTTP_AUTHORIZATION"].removeprefix("Token "),
    ):
        answer = APIClientWith({"HTTP_AUTHORIZATION": header}).get(f"/attachments/{uploaded}/")
        assert answer.status_code == 404, header
        assert "WWW-Authenticate" not in answer, header


def APIClientWith(headers: dict[str, Any]) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(**headers)
    return client


def test_the_list_is_404_for_another_customers_conversation(
    logged_in: Any, client_api: Any, user: Any, seller: Any
):
    conversation, _ = _conversation_with_customer_file(logged_in, user, seller)
    client_api.login_as(UserFactory.create())
    response = client_api.get(f"/users/conversations/{conversation.pk}/attachments/")
    assert response.status_code == 404
    assert client_api.get("/users/conversations/x/attachments/").status_code == 404


def test_an_upload_repeated_with_its_idempotency_key_stores_one_file(logged_in: Any, media: Path):
    pdf = samples.pdf()
    first = _upload(logged_in, "a.pdf", pdf, HTTP_IDEMPOTENCY_KEY="upload-1")
    again = _upload(logged_in, "a.pdf", pdf, HTTP_IDEMPOTENCY_KEY="upload-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Attachment.objects.count() == 1 and len(_stored(media)) == 1
    other = _upload(logged_in, "b.png", samples.image("PNG"), HTTP_IDEMPOTENCY_KEY="upload-1")
    assert other.status_code == 422
