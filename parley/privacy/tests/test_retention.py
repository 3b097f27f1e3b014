"""Retention (API.md §11): runtime settings with the contract's defaults, applied by the daily
job (Celery beat in production, the in-process sweeper in the embedded default), each run
recorded; the privacy records themselves go after three years."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from constance import config
from constance.admin import ConstanceForm, get_values
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.core.background import EMBEDDED_SLOW_JOBS
from parley.mail.models import EmailStatus, OutgoingEmail
from parley.privacy import tasks
from parley.privacy.models import PrivacyOperation, PrivacyRecord
from parley.privacy.services import retention_apply, retention_apply_if_due
from parley.support.models import ContactRequest
from parley.support.tests.factories import ContactSubjectFactory
from parley.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _contact_request(days_old: int, *, with_file: bool = True) -> ContactRequest:
    name = (
        default_storage.save(f"contact-us/old-{days_old}.pdf", ContentFile(b"%PDF-1.4"))
        if with_file
        else ""
    )
    request = ContactRequest.objects.create(
        subject=ContactSubjectFactory.create(),
        full_name="Old Customer",
        email="old@example.com",
        message=f"{days_old} days ago",
        operation="contact_us",
        language="en",
        file=name,
        file_name="scan.pdf" if with_file else "",
    )
    ContactRequest.objects.filter(pk=request.pk).update(created_date=NOW - timedelta(days=days_old))
    return request


def _email(days_old: int, status: str = EmailStatus.SENT) -> OutgoingEmail:
    sent_at = NOW - timedelta(days=days_old) if status == EmailStatus.SENT else None
    return OutgoingEmail.objects.create(
        to=["someone@example.com"],
        from_email="shop@example.com",
        subject="Hello",
        text_body=f"body {days_old}",
        html_body=f"<p>body {days_old}</p>",
        message_id=f"<{days_old}-{status}@example.com>",
        status=status,
        sent_at=sent_at,
    )


def _files(root: Path) -> set[str]:
    return {path.name for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def _delivery(days_old: int, status: str = DeliveryStatus.DELIVERED) -> WebhookDelivery:
    endpoint = WebhookEndpoint.objects.create(
        datasource=DataSourceFactory.create(), url="https://hooks.example/x", secret="whsec_x"
    )
    created = NOW - timedelta(days=days_old)
    event = WebhookEvent.objects.create(
        message_id=f"msg_{days_old}_{status}",
        event_type="message.created",
        body="{}",
        created_at=created,
    )
    delivered = created if status == DeliveryStatus.DELIVERED else None
    return WebhookDelivery.objects.create(
        event=event, endpoint=endpoint, status=status, created_at=created, delivered_at=delivered
    )


def test_the_defaults_delete_what_is_past_its_time(
    private_media, django_capture_on_commit_callbacks
):
    expired, old_file, recent = _contact_request(731), _contact_request(366), _contact_request(10)
    plain = _contact_request(800, with_file=False)
    old_sent, recent_sent, old_pending = _email(31), _email(29), _email(40, EmailStatus.PENDING)
    old_delivery, recent_delivery = _delivery(31), _delivery(29)
    retrying = _delivery(40, DeliveryStatus.PENDING)  # still being retried: not a log yet

    with django_capture_on_commit_callbacks(execute=True):
        record = retention_apply(now=NOW)

    remaining = {request.pk: request for request in ContactRequest.objects.all()}
    assert set(remaining) == {old_file.pk, recent.pk}  # expired and plain deleted
    assert plain.pk not in remaining and expired.pk not in remaining
    assert (remaining[old_file.pk].file, remaining[old_file.pk].file_name) == ("", "")
    assert remaining[old_file.pk].message == "366 days ago"  # only the file went
    assert remaining[recent.pk].file and remaining[recent.pk].file_name == "scan.pdf"
    assert _files(private_media) == {Path(recent.file).name}
    bodies = dict(OutgoingEmail.objects.values_list("pk", "text_body"))
    assert bodies == {old_sent.pk: "", recent_sent.pk: "body 29", old_pending.pk: "body 40"}
    deliveries = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert deliveries == {recent_delivery.pk, retrying.pk}
    assert not WebhookEvent.objects.filter(pk=old_delivery.event_id).exists()
    assert record.operation == PrivacyOperation.RETENTION
    assert record.channel == "daily job"
    assert record.counts == {
        "contact_requests": 2,
        "contact_request_files": 1,
        "sent_email_bodies": 1,
        "webhook_delivery_logs": 1,
        "message_attachments": 0,  # none here: parley/conversations/tests covers them
        "files": 2,
        "privacy_records": 0,
    }


def test_the_settings_change_at_run_time_and_zero_keeps(private_media):
    request = _contact_request(100)
    config.RETENTION_CONTACT_REQUEST_DAYS = 90
    config.RETENTION_ATTACHMENT_FILE_DAYS = 0
    config.RETENTION_SENT_EMAIL_BODY_DAYS = 0
    email = _email(1000)
    record = retention_apply(now=NOW)
    assert not ContactRequest.objects.filter(pk=request.pk).exists()
    assert OutgoingEmail.objects.get(pk=email.pk).text_body == "body 1000"
    assert record.counts["contact_requests"] == 1
    assert record.counts["sent_email_bodies"] == 0


def test_privacy_records_are_kept_three_years_then_deleted():
    old = PrivacyRecord.objects.create(operation="erasure", channel="admin", customer_id=1)
    young = PrivacyRecord.objects.create(operation="erasure", channel="admin", customer_id=2)
    PrivacyRecord.objects.filter(pk=old.pk).update(performed_at=NOW - timedelta(days=3 * 365 + 2))
    PrivacyRecord.objects.filter(pk=young.pk).update(performed_at=NOW - timedelta(days=3 * 365 - 2))
    record = retention_apply(now=NOW)
    assert set(PrivacyRecord.objects.values_list("pk", flat=True)) == {young.pk, record.pk}
    assert record.counts["privacy_records"] == 1


def test_the_embedded_job_runs_once_a_day(monkeypatch: Any):
    first = retention_apply_if_due()
    assert first is not None
    assert retention_apply_if_due() is None  # the sweeper calls it hourly
    PrivacyRecord.objects.filter(pk=first.pk).update(performed_at=NOW - timedelta(hours=21))
    assert retention_apply_if_due() is not None
    assert PrivacyRecord.objects.filter(operation="retention").count() == 2


def test_the_daily_job_is_scheduled_in_both_modes():
    beat = settings.CELERY_BEAT_SCHEDULE["privacy-retention"]
    assert beat["task"] == tasks.retention_apply.name
    assert ("parley.privacy.services.retention_apply_if_due", 3600) in EMBEDDED_SLOW_JOBS
    record_id = tasks.retention_apply()
    assert PrivacyRecord.objects.get(pk=record_id).operation == "retention"


def test_staff_change_the_retention_in_the_admin(private_media):
    staff = Client()
    staff.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    current = get_values()
    version = ConstanceForm(initial=current).initial["version"]
    response = staff.post(
        "/admin/constance/config/",
        {**current, "version": version, "RETENTION_CONTACT_REQUEST_DAYS": "7"},
    )
    assert response.status_code == 302
    assert config.RETENTION_CONTACT_REQUEST_DAYS == 7
    request = _contact_request(8, with_file=False)
    retention_apply(now=NOW)
    assert not ContactRequest.objects.filter(pk=request.pk).exists()
