"""The seller inbox's reply form with files (API.md §8): one submit uploads and links them,
the thread shows them (escaped) and links to `/attachments/<id>/`, which serves an inbox
member of that seller and nobody of another seller."""

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import ExifTags, Image

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations import services as conversation_services
from parley.conversations.models import Attachment, Message
from parley.core.tests import samples
from parley.sellers import services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def seller() -> Any:
    return DataSourceFactory.create()


def _member_browser(seller: Any) -> Client:
    user = UserFactory.create()
    services.seller_member_add(datasource=seller, user=user, role="agent")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/seller/inbox/")  # the CSRF cookie
    return client


@pytest.fixture
def conversation(seller: Any) -> Any:
    return conversation_services.conversation_create(
        user=UserFactory.create(),
        datasource=seller,
        conversation_type="message",
        content="The mug arrived broken.",
        user_type="registered",
    ).conversation


def _reply(client: Client, conversation: Any, files: list[SimpleUploadedFile], text: str) -> Any:
    return client.post(
        f"/seller/inbox/{conversation.pk}/",
        {
            "message_content": text,
            "attachments": files,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )


def test_a_member_replies_with_a_photo_and_a_pdf_in_one_submit(seller: Any, conversation: Any):
    inbox = _member_browser(seller)
    page = inbox.get(f"/seller/inbox/{conversation.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'hx-encoding="multipart/form-data"' in page
    assert 'type="file" name="attachments"' in page

    response = _reply(
        inbox,
        conversation,
        [
            SimpleUploadedFile("<i>label.jpg", samples.jpeg_with_gps()),
            SimpleUploadedFile("return.pdf", samples.pdf()),
        ],
        "Here is the return label.",
    )

    assert response.status_code == 303, response.content[:500]
    message = Message.objects.get(conversation=conversation, content_type="datasource")
    photo, pdf = message.attachments.order_by("id")
    assert photo.uploader_datasource_id == seller.pk and photo.name == "<i>label.jpg"
    thread = inbox.get(f"/seller/inbox/{conversation.pk}/").content.decode()
    assert f'href="/attachments/{photo.public_id}/"' in thread
    assert "&lt;i&gt;label.jpg" in thread and "<i>label" not in thread
    assert f'href="/attachments/{pdf.public_id}/"' in thread

    # The member downloads through the session; the photo carries no GPS position.
    download = inbox.get(f"/attachments/{photo.public_id}/")
    assert download.status_code == 200
    content: Any = download
    image = Image.open(io.BytesIO(b"".join(content.streaming_content)))
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    # The customer reads it too; another seller's member does not.
    customer = Client()
    customer.force_login(conversation.user)
    assert customer.get(f"/attachments/{pdf.public_id}/").status_code == 200
    stranger = _member_browser(DataSourceFactory.create())
    assert stranger.get(f"/attachments/{pdf.public_id}/").status_code == 404


def test_a_refused_file_sends_nothing_and_keeps_no_upload(
    seller: Any, conversation: Any, media: Path, django_capture_on_commit_callbacks: Any
):
    inbox = _member_browser(seller)
    with django_capture_on_commit_callbacks(execute=True):
        response = _reply(
            inbox,
            conversation,
            [
                SimpleUploadedFile("ok.pdf", samples.pdf()),
                SimpleUploadedFile("evil.pdf", samples.pdf_with_open_action_js()),
            ],
            "Files attached.",
        )
    assert response.status_code == 400
    assert "not allowed" in response.content.decode()
    assert not Message.objects.filter(content_type="datasource").exists()
    assert Attachment.objects.count() == 0
    assert [path for path in media.rglob("*") if path.is_file()] == []


def test_a_reply_without_files_still_works(seller: Any, conversation: Any):
    inbox = _member_browser(seller)
    assert _reply(inbox, conversation, [], "Sorry about that.").status_code == 303
    assert Message.objects.filter(content_type="datasource").count() == 1


def test_the_thread_shows_turkish_labels(seller: Any, conversation: Any):
    inbox = _member_browser(seller)
    page = inbox.get(f"/seller/inbox/{conversation.pk}/", HTTP_ACCEPT_LANGUAGE="tr").content
    assert b"Dosya ekle" in page
