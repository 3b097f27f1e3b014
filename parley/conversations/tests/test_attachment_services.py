"""Message attachments' life (API.md §8): the race to link, the one deletion service and its
callers (the 48-hour sweep, moderation, erasure), virus scanning, downloads from S3, and the
seller list's query count with attachments."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations import services
from parley.conversations.models import Attachment, Message, ScanStatus
from parley.conversations.tests.factories import conversation_build
from parley.conversations.tests.races import race
from parley.core import background
from parley.core.tests import samples
from parley.core.tests.clamd import CLAMD_TEST_SAMPLE, CLAMD_TEST_SIGNATURE, infected_upload
from parley.privacy.services import customer_erase
from parley.sellers.tests.factories import token_header, token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def _upload(
    user_id: int | None = None, datasource_id: int | None = None, name: str = "a.pdf"
) -> Attachment:
    content = samples.pdf() if name.endswith(".pdf") else samples.image("PNG")
    return services.attachment_upload(
        upload=SimpleUploadedFile(name, content), user_id=user_id, datasource_id=datasource_id
    )


def _path(media: Path, attachment: Attachment) -> Path:
    return media / str(attachment.file.name)


# --- Linking races -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_messages_racing_to_link_one_upload_one_wins_and_the_others_store_nothing():
    outcome = race("link_attachment", contenders=3)
    refusal = (
        "attachments: Each attachment must be an upload of yours that is not linked to a "
        "message yet."
    )
    assert outcome == {
        "results": [refusal, refusal, "linked"],
        "messages": 1,  # the winner's; the losers' messages rolled back with their link
        "linked_to_a_stored_message": True,
    }


def test_a_second_message_naming_a_linked_upload_is_refused_whole():
    conversation = conversation_build()
    upload = _upload(user_id=conversation.user_id)
    kwargs: dict[str, Any] = {
        "conversation": conversation,
        "content": "x",
        "content_type": "user",
        "content_id": conversation.user_id,
        "user_type": "registered",
        "attachments": [upload.public_id],
    }
    first = services.message_append(**kwargs)
    before = Message.objects.count()
    with pytest.raises(services.ApplicationError) as refused:
        services.message_append(**kwargs)
    assert refused.value.field == "attachments"
    assert Message.objects.count() == before
    upload.refresh_from_db()
    assert upload.message_id == first.pk


def test_a_seller_cannot_link_a_customers_upload_nor_the_reverse():
    conversation = conversation_build()
    customers = _upload(user_id=conversation.user_id)
    sellers = _upload(datasource_id=conversation.datasource_id)
    for writer, writer_id, foreign in (
        ("datasource", conversation.datasource_id, customers),
        ("user", conversation.user_id, sellers),
    ):
        with pytest.raises(services.ApplicationError):
            services.message_append(
                conversation=conversation,
                content="x",
                content_type=writer,
                content_id=writer_id,
                user_type="registered",
                attachments=[foreign.public_id],
            )
    assert Attachment.objects.filter(message__isnull=False).count() == 0


# --- The one deletion service and its callers --------------------------------------------------


def test_the_sweep_deletes_uploads_never_linked_within_48_hours(
    media: Path, django_capture_on_commit_callbacks: Any
):
    user = UserFactory.create()
    old, fresh = _upload(user_id=user.pk), _upload(user_id=user.pk)
    linked = _upload(user_id=user.pk)
    conversation = conversation_build(user=user)
    services.message_append(
        conversation=conversation,
        content="x",
        content_type="user",
        content_id=user.pk,
        user_type="registered",
        attachments=[linked.public_id],
    )
    long_ago = timezone.now() - timedelta(hours=49)
    Attachment.objects.filter(pk__in=[old.pk, linked.pk]).update(created_at=long_ago)
    old_path = _path(media, old)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        deleted = services.attachment_sweep()

    assert deleted == 1 and len(callbacks) == 1  # the files go after the commit
    assert set(Attachment.objects.values_list("pk", flat=True)) == {fresh.pk, linked.pk}
    assert not old_path.exists()
    assert _path(media, fresh).exists() and _path(media, linked).exists()


def test_the_sweep_runs_in_beat_and_in_the_embedded_sweeper(settings: Any):
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "parley.conversations.tasks.attachment_sweep" in beat
    assert background.EMBEDDED_PERIODIC_JOBS["parley.conversations.services.attachment_sweep"] == (
        "PARLEY_ATTACHMENT_SWEEP_INTERVAL_SECONDS"
    )


def test_a_deletion_rolled_back_keeps_the_file(media: Path):
    from django.db import transaction

    attachment = _upload(user_id=UserFactory.create().pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.attachments_delete(attachments=Attachment.objects.filter(pk=attachment.pk))
        raise RuntimeError("rolled back")
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert _path(media, attachment).exists()


def test_rejecting_a_held_message_deletes_its_files_hiding_keeps_them(
    media: Path, django_capture_on_commit_callbacks: Any
):
    conversation = conversation_build()
    kept, doomed = _upload(user_id=conversation.user_id), _upload(user_id=conversation.user_id)
    shown = services.message_append(
        conversation=conversation,
        content="x",
        content_type="user",
        content_id=conversation.user_id,
        user_type="registered",
        attachments=[kept.public_id],
    )
    held = services.message_append(
        conversation=conversation,
        content="call me",
        content_type="user",
        content_id=conversation.user_id,
        user_type="registered",
        held=True,
        attachments=[doomed.public_id],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.message_hide(message=shown, hidden_by=None)
        services.message_reject(message=held, rejected_by=None)
    assert Attachment.objects.filter(pk=kept.pk).exists() and _path(media, kept).exists()
    assert not Attachment.objects.filter(pk=doomed.pk).exists()
    assert not _path(media, doomed).exists()


def test_erasure_deletes_the_customers_files_and_keeps_the_sellers(
    media: Path, django_capture_on_commit_callbacks: Any
):
    conversation = conversation_build()
    customer = conversation.user
    theirs = _upload(user_id=customer.pk)
    services.message_append(
        conversation=conversation,
        content="photo",
        content_type="user",
        content_id=customer.pk,
        user_type="registered",
        attachments=[theirs.public_id],
    )
    unlinked = _upload(user_id=customer.pk)
    sellers = _upload(datasource_id=conversation.datasource_id)
    with django_capture_on_commit_callbacks(execute=True):
        result = customer_erase(user=customer, channel="command")
    assert result.counts["attachments"] == 2
    assert list(Attachment.objects.values_list("pk", flat=True)) == [sellers.pk]
    assert not _path(media, theirs).exists() and not _path(media, unlinked).exists()
    assert _path(media, sellers).exists()


# --- Virus scanning (PARLEY_CLAMD_URL) -----------------------------------------------------------


# Against a real clamd (parley/core/tests/clamd.py: one daemon per test process, with only our
# test signature); "down" is a socket where no clamd listens.
CLAMD_DOWN = "unix:///nonexistent/parley-test/clamd.ctl"


def _exchange(client_api: Any, capture: Any, content: bytes | None = None) -> tuple[Any, Any, str]:
    """The customer uploads and sends a PDF; returns (conversation, seller auth, id)."""
    conversation = conversation_build()
    _, key = token_issue(conversation.datasource)
    client_api.login_as(conversation.user)
    with capture(execute=True):
        uploaded = client_api.post(
            "/users/conversations/attachments/",
            {"file": SimpleUploadedFile("a.pdf", content or samples.pdf())},
            format="multipart",
        ).json()["id"]
    services.message_append(
        conversation=conversation,
        content="see file",
        content_type="user",
        content_id=conversation.user_id,
        user_type="registered",
        attachments=[uploaded],
    )
    return conversation, token_header(key), uploaded


def test_a_clean_scan_lets_the_other_party_download(
    client_api: Any, virus_scanning: str, django_capture_on_commit_callbacks: Any
):
    _conversation, seller_auth, uploaded = _exchange(client_api, django_capture_on_commit_callbacks)
    attachment = Attachment.objects.get(public_id=uploaded)
    assert attachment.scan_status == ScanStatus.CLEAN and attachment.scanned_at
    assert attachment.scan_signature == ""
    client_api.logout()
    client_api.credentials(**seller_auth)
    assert client_api.get(f"/attachments/{uploaded}/").status_code == 200


def test_while_a_scan_is_pending_only_the_uploader_may_download(
    client_api: Any, virus_scanning: str, settings: Any, django_capture_on_commit_callbacks: Any
):
    settings.PARLEY_CLAMD_URL = CLAMD_DOWN
    conversation, seller_auth, uploaded = _exchange(client_api, django_capture_on_commit_callbacks)
    assert Attachment.objects.get(public_id=uploaded).scan_status == ScanStatus.PENDING
    assert client_api.get(f"/attachments/{uploaded}/").status_code == 200  # the uploader
    listed = client_api.get(f"/users/conversations/{conversation.pk}/attachments/").json()
    assert [item["id"] for item in listed] == [uploaded]
    seller = APIClientWith(seller_auth)
    assert seller.get(f"/attachments/{uploaded}/").status_code == 404
    detail = seller.get(f"/seller/conversations/{conversation.pk}/").json()
    assert all(message["attachments"] == [] for message in detail["message_set"])
    with pytest.raises(services.AttachmentScanUnavailable):
        services.attachment_scan(attachment_id=Attachment.objects.get(public_id=uploaded).pk)

    # clamd is back: the sweep hands the lost scan on, and the seller may download it.
    settings.PARLEY_CLAMD_URL = virus_scanning
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_sweep(now=timezone.now() + timedelta(minutes=11))
    assert Attachment.objects.get(public_id=uploaded).scan_status == ScanStatus.CLEAN
    assert seller.get(f"/attachments/{uploaded}/").status_code == 200


def test_an_infected_file_is_deleted_and_staff_see_why(
    client_api: Any,
    virus_scanning: str,
    settings: Any,
    media: Path,
    django_capture_on_commit_callbacks: Any,
):
    settings.PARLEY_CLAMD_URL = CLAMD_DOWN  # the scan comes after the file was sent
    _conversation, seller_auth, uploaded = _exchange(
        client_api, django_capture_on_commit_callbacks, content=CLAMD_TEST_SAMPLE
    )
    settings.PARLEY_CLAMD_URL = virus_scanning
    attachment = Attachment.objects.get(public_id=uploaded)
    assert attachment.scan_status == ScanStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_scan(attachment_id=attachment.pk)
    attachment.refresh_from_db()
    assert attachment.scan_status == ScanStatus.INFECTED
    assert attachment.scan_signature == CLAMD_TEST_SIGNATURE
    assert attachment.file.name == ""
    assert [path for path in media.rglob("*") if path.is_file()] == []
    assert client_api.get(f"/attachments/{uploaded}/").status_code == 404  # the uploader too
    assert APIClientWith(seller_auth).get(f"/attachments/{uploaded}/").status_code == 404
    # Staff see the verdict in the admin.
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    client_api.force_login(staff)
    page = client_api.get(f"/admin/conversations/attachment/{attachment.pk}/change/")
    assert page.status_code == 200
    assert CLAMD_TEST_SIGNATURE.encode() in page.content
    # A second run of the task changes nothing.
    assert services.attachment_scan(attachment_id=attachment.pk) == ScanStatus.INFECTED


def test_an_upload_found_infected_cannot_be_linked(
    virus_scanning: str, django_capture_on_commit_callbacks: Any
):
    conversation = conversation_build()
    with django_capture_on_commit_callbacks(execute=True):
        infected = services.attachment_upload(
            upload=infected_upload(), user_id=conversation.user_id, datasource_id=None
        )
    infected.refresh_from_db()
    assert infected.scan_status == ScanStatus.INFECTED
    assert infected.scan_signature == CLAMD_TEST_SIGNATURE
    with pytest.raises(services.ApplicationError):
        services.message_append(
            conversation=conversation,
            content="x",
            content_type="user",
            content_id=conversation.user_id,
            user_type="registered",
            attachments=[infected.public_id],
        )
    assert not Message.objects.filter(conversation=conversation, message_content="x").exists()


def test_without_clamd_uploads_are_not_scanned(client_api: Any, settings: Any):
    settings.PARLEY_CLAMD_URL = ""
    attachment = _upload(user_id=UserFactory.create().pk)
    assert attachment.scan_status == ScanStatus.NOT_SCANNED


def APIClientWith(headers: dict[str, Any]) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(**headers)
    return client


# --- Downloads from S3 (django-storages): a presigned URL, minted after the check --------------


def test_on_s3_the_download_redirects_to_a_short_presigned_url(settings: Any, client_api: Any):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "parley-private",
                "access_key": "AKIAEXAMPLEEXAMPLE00",
                "secret_key": "example-secret-key-not-real-0000000000000",
                "region_name": "eu-central-1",
                "signature_version": "s3v4",
                "querystring_auth": True,
                "default_acl": "private",
            },
        },
    }
    conversation = conversation_build()
    Attachment.objects.create(
        file="attachments/2026/11/0123456789abcdef0123456789abcdef.pdf",
        name="fatura.pdf",
        size=10,
        content_type="application/pdf",
        uploader_user=conversation.user,
        message=Message.objects.get(conversation=conversation),
        public_id="att_s3example",
    )
    client_api.login_as(conversation.user)

    response = client_api.get("/attachments/att_s3example/")

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("https://parley-private.s3")
    assert "0123456789abcdef0123456789abcdef.pdf" in location
    assert "X-Amz-Expires=300" in location and "X-Amz-Signature=" in location
    assert "response-content-disposition=attachment" in location
    assert response["Cache-Control"] == "private, no-store"

    client_api.login_as(UserFactory.create())  # another customer: no URL is minted
    refused = client_api.get("/attachments/att_s3example/")
    assert refused.status_code == 404 and "Location" not in refused


# --- The seller list's fixed query count, with attachments -------------------------------------


@pytest.mark.parametrize("limit", [1, 30])
def test_the_seller_list_with_attachments_costs_a_fixed_number_of_queries(
    client_api: Any, limit: int, django_assert_num_queries: Any
):
    seller = DataSourceFactory.create()
    _, key = token_issue(seller)
    for _ in range(limit + 1):
        conversation = conversation_build(datasource=seller)
        services.message_append(
            conversation=conversation,
            content="files",
            content_type="user",
            content_id=conversation.user_id,
            user_type="registered",
            attachments=[
                _upload(user_id=conversation.user_id).public_id,
                _upload(user_id=conversation.user_id, name="b.png").public_id,
            ],
        )
    # the token and its first use, the page with its total, messages, their attachments
    with django_assert_num_queries(5):
        response = client_api.get(f"/seller/conversations/?limit={limit}", **token_header(key))
    results = response.json()["results"]
    assert len(results) == limit
    assert [len(m["attachments"]) for m in results[0]["message_set"]] == [0, 2]


def test_retention_deletes_message_attachments_older_than_the_setting(
    media: Path, django_capture_on_commit_callbacks: Any
):
    from constance import config

    from parley.privacy.services import retention_apply

    config.RETENTION_ATTACHMENT_FILE_DAYS = 365
    old, recent = _upload(user_id=UserFactory.create().pk), _upload(user_id=UserFactory.create().pk)
    Attachment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=366))
    with django_capture_on_commit_callbacks(execute=True):
        record = retention_apply(now=timezone.now())
    assert record.counts["message_attachments"] == 1
    assert list(Attachment.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not _path(media, old).exists() and _path(media, recent).exists()
