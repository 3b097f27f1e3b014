import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from parley.mail.headers import filename_sanitise
from parley.mail.models import EmailStatus, OutgoingEmail
from parley.mail.services import email_queue, email_retry_now, email_sweep
from parley.mail.types import EmailAttachmentRef
from parley.mail.worker import email_backoff_seconds, email_claim, email_send

pytestmark = pytest.mark.django_db

BROKEN = "parley.mail.tests.backends.BrokenBackend"


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def _queue(**overrides: Any) -> OutgoingEmail:
    fields: dict[str, Any] = {
        "to": ["shop@example.com"],
        "subject": "Hello",
        "text_body": "Body",
        "kind": "test",
    }
    fields.update(overrides)
    return email_queue(**fields)


def _make_due(email: OutgoingEmail) -> None:
    OutgoingEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_queue_sends_only_after_commit_with_its_stable_message_id(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = _queue(reply_to=["Customer@Example.com"], html_body="<p>Body</p>")
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 1
    assert email.sent_at is not None
    [sent] = mail.outbox
    assert sent.to == ["shop@example.com"]
    assert sent.reply_to == ["Customer@Example.com"]
    assert sent.extra_headers["Message-ID"] == email.message_id
    assert sent.message()["Message-ID"] == email.message_id
    assert sent.alternatives[0][0] == "<p>Body</p>"  # type: ignore[attr-defined]


def test_rolled_back_change_queues_no_email(django_capture_on_commit_callbacks: Any) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _queue()
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert OutgoingEmail.objects.count() == 0
    assert mail.outbox == []


def test_sending_twice_sends_once(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    assert email_send(email_id=email.pk) == "skipped"
    assert email_sweep() == 0
    assert len(mail.outbox) == 1


def test_two_workers_cannot_claim_the_same_row() -> None:
    email = _queue()
    first = email_claim(email_id=email.pk)
    second = email_claim(email_id=email.pk)
    assert first is not None
    assert second is None
    email.refresh_from_db()
    assert email.status == EmailStatus.SENDING
    assert email.attempts == 1


@pytest.mark.parametrize(
    "address", ["a@example.com\r\nBcc: victim@example.com", "a@example.com\n", "not-an-address"]
)
def test_addresses_that_could_inject_headers_are_refused(address: str) -> None:
    with pytest.raises(ValidationError):
        _queue(to=[address])
    with pytest.raises(ValidationError):
        _queue(reply_to=[address])
    assert OutgoingEmail.objects.count() == 0


def test_subject_line_breaks_become_spaces(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue(subject="Hi\r\nBcc: victim@example.com\x00")
    assert email.subject == "Hi Bcc: victim@example.com"
    message = mail.outbox[0].message()
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"]


def test_attachment_is_read_from_storage_under_its_sanitised_name(
    django_capture_on_commit_callbacks: Any,
) -> None:
    stored = default_storage.save("support/abc123", ContentFile(b"%PDF-1.4 test"))
    ref = EmailAttachmentRef(
        storage_name=stored, filename="../../etc/\r\nre\x00port.pdf", mimetype="application/pdf"
    )
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue(attachments=[ref])
    assert email.attachments == [
        {"storage_name": stored, "filename": "report.pdf", "mimetype": "application/pdf"}
    ]
    [sent] = mail.outbox
    assert sent.attachments == [("report.pdf", b"%PDF-1.4 test", "application/pdf")]


def test_failure_is_rescheduled_with_backoff_then_delivered_once_by_the_sweep(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = BROKEN
    settings.PARLEY_MAIL_BACKOFF_BASE_SECONDS = 30
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING
    assert email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error
    assert email.next_attempt_at is not None
    assert before + timedelta(seconds=15) <= email.next_attempt_at
    assert email.next_attempt_at <= timezone.now() + timedelta(seconds=30)
    assert email_sweep() == 0  # not due yet

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _make_due(email)
    assert email_sweep() == 1
    assert email_sweep() == 0
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 2
    assert len(mail.outbox) == 1


def test_last_attempt_marks_failed_and_retry_now_revives(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = BROKEN
    settings.PARLEY_MAIL_MAX_ATTEMPTS = 2
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    _make_due(email)
    email_sweep()
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.attempts == 2
    assert email.next_attempt_at is None
    assert email_sweep() == 0  # failed rows are never picked up by themselves

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert email_retry_now(email_ids=[email.pk]) == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert len(mail.outbox) == 1


def test_retry_now_leaves_sent_email_alone(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    with django_capture_on_commit_callbacks(execute=True):
        assert email_retry_now(email_ids=[email.pk]) == 0
    assert len(mail.outbox) == 1


def test_claim_returns_the_row_as_stored_after_the_claim(settings: Any) -> None:
    email = _queue(reply_to=["customer@example.com"], html_body="<p>Body</p>")
    before = timezone.now()

    claimed = email_claim(email_id=email.pk)

    assert claimed is not None
    stored = OutgoingEmail.objects.get(pk=email.pk)
    fields = [field.attname for field in OutgoingEmail._meta.concrete_fields]
    assert {name: getattr(claimed, name) for name in fields} == {
        name: getattr(stored, name) for name in fields
    }
    assert (claimed.status, claimed.attempts) == (EmailStatus.SENDING, 1)
    assert claimed.to == ["shop@example.com"]
    assert claimed.reply_to == ["customer@example.com"]
    assert len(claimed.claim_token) == 32
    assert claimed.lease_expires_at is not None
    assert claimed.lease_expires_at >= before + timedelta(
        seconds=settings.PARLEY_MAIL_LEASE_SECONDS
    )


LATER = timedelta(minutes=5)


@pytest.mark.parametrize(
    ("status", "next_attempt_in", "lease_in", "due"),
    [
        (EmailStatus.PENDING, -LATER, None, True),
        (EmailStatus.PENDING, None, None, True),
        (EmailStatus.PENDING, LATER, None, False),
        (EmailStatus.SENDING, None, -LATER, True),
        (EmailStatus.SENDING, None, LATER, False),
        (EmailStatus.FAILED, None, None, False),
    ],
)
def test_claim_takes_exactly_the_rows_the_sweep_finds_due(
    status: str, next_attempt_in: timedelta | None, lease_in: timedelta | None, due: bool
) -> None:
    now = timezone.now()
    claimed = _queue()
    _queue()  # its twin, for the sweep
    OutgoingEmail.objects.update(
        status=status,
        attempts=2,
        next_attempt_at=None if next_attempt_in is None else now + next_attempt_in,
        lease_expires_at=None if lease_in is None else now + lease_in,
    )

    assert (email_claim(email_id=claimed.pk) is not None) is due
    claimed.refresh_from_db()
    assert claimed.attempts == (3 if due else 2)
    OutgoingEmail.objects.filter(pk=claimed.pk).delete()
    assert email_sweep() == (1 if due else 0)
    assert len(mail.outbox) == (1 if due else 0)


def test_a_claim_whose_worker_died_is_swept_after_its_lease() -> None:
    email = _queue()
    assert email_claim(email_id=email.pk) is not None  # the worker dies here
    assert email_sweep() == 0
    OutgoingEmail.objects.filter(pk=email.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert email_sweep() == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert len(mail.outbox) == 1


def test_backoff_grows_exponentially_with_jitter(settings: Any) -> None:
    settings.PARLEY_MAIL_BACKOFF_BASE_SECONDS = 10
    for attempts, full in [(1, 10), (2, 20), (5, 160)]:
        for _ in range(20):
            assert full / 2 <= email_backoff_seconds(attempts) <= full
    assert email_backoff_seconds(60) <= 6 * 60 * 60


def test_embedded_sweeper_runs_the_mail_sweep() -> None:
    from parley.core.background import EMBEDDED_PERIODIC_JOBS

    assert "parley.mail.services.email_sweep" in EMBEDDED_PERIODIC_JOBS


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\cv.docx", "cv.docx"),
        ("a\r\nb.pdf", "ab.pdf"),
        ("nul\x00.png", "nul.png"),
        ("..pdf", "pdf"),  # a leading dot is not kept, so no hidden files
        ("/../", "attachment"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("ş" * 200 + ".pdf", "ş" * 125 + ".pdf"),
    ],
)
def test_filename_sanitise(name: str, expected: str) -> None:
    result = filename_sanitise(name)
    assert result == expected
    assert len(result.encode()) <= 255


def test_admin_lists_outbox_and_retries(
    client: Any, admin_user: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = BROKEN
    settings.PARLEY_MAIL_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue(subject="Outbox row")
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    client.force_login(admin_user)
    response = client.get("/admin/mail/outgoingemail/?status__exact=failed")
    assert response.status_code == 200
    assert b"Outbox row" in response.content
    response = client.get("/admin/mail/outgoingemail/?q=shop@example.com")
    assert b"Outbox row" in response.content

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/mail/outgoingemail/",
            {"action": "retry_now", "_selected_action": [email.pk]},
        )
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_claim_and_sent_mark_commit_without_waiting_for_the_flush() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    email = _queue()  # sent at once (autocommit); make it due again
    _make_due(email)
    OutgoingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.PENDING)

    with CaptureQueriesContext(connection) as queries:
        assert email_send(email_id=email.pk) == "sent"

    claim, mark = (query["sql"] for query in queries.captured_queries)
    relaxed = "FROM (SELECT set_config('synchronous_commit', 'off', true))"
    assert claim.startswith("UPDATE") and relaxed in claim
    assert mark.startswith("UPDATE") and relaxed in mark
    with connection.cursor() as cursor:  # the setting ended with each transaction
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 2)


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_on_postgresql_give_the_row_to_one_worker() -> None:
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs a database shared between threads")
    email = _queue()  # sent at once (autocommit); make it due again, unclaimed
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.PENDING, attempts=0, sent_at=None, next_attempt_at=timezone.now()
    )
    barrier = threading.Barrier(8)
    results: list[object] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(email_claim(email_id=email.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([claimed for claimed in results if claimed is not None]) == 1
    email.refresh_from_db()
    assert email.attempts == 1


def test_broker_down_at_commit_leaves_the_row_for_the_sweep(
    monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from parley.mail import tasks

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError(111, "broker down")

    monkeypatch.setattr(tasks.email_send, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue()  # does not raise: the caller's change stands
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING
    assert email.attempts == 0
    assert mail.outbox == []
    assert email_sweep() == 1  # the sweep (beat, or the embedded thread) sends it
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert len(mail.outbox) == 1


def test_sweep_in_broker_mode_hands_due_rows_to_the_worker(settings: Any, monkeypatch: Any) -> None:
    from parley.mail import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    dispatched: list[int] = []
    monkeypatch.setattr(tasks.email_send, "delay", dispatched.append)
    email = _queue()
    _make_due(email)
    assert email_sweep() == 1
    assert dispatched == [email.pk]
    assert mail.outbox == []
