"""The worker's side of the outbox: claim a due row, build and deliver the message through
the kept connection, mark it sent or reschedule it, and find what is due for the sweep. Only
`parley.mail` imports this module; the other apps call `parley.mail.services`."""

import functools
import logging
import random
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import connections, router
from django.db.models import Q
from django.utils import timezone
from django_guid import set_guid

from parley.mail.connection import kept_connection
from parley.mail.headers import filename_sanitise
from parley.mail.models import EmailStatus, OutgoingEmail

logger = logging.getLogger("parley.mail.services")  # the outbox's one logger (docs/OPERATIONS.md)

SWEEP_BATCH = 200


def _lease() -> timedelta:
    return timedelta(seconds=settings.PARLEY_MAIL_LEASE_SECONDS)


def _due_q(now) -> Q:
    pending_due = Q(status=EmailStatus.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    lease_lost = Q(status=EmailStatus.SENDING, lease_expires_at__lt=now)
    return pending_due | lease_lost


def email_claim(*, email_id: int) -> OutgoingEmail | None:
    """Take one due e-mail for sending, or None if it is not due or another worker has it.

    A single conditional UPDATE: of two workers racing for the row, exactly one matches. It
    returns the row it claimed (`UPDATE … RETURNING`, PostgreSQL and SQLite 3.35+), so the
    worker does not read the row again: one query per e-mail fewer than an ORM update.
    """
    now = timezone.now()
    alias = router.db_for_write(OutgoingEmail)
    at = connections[alias].ops.adapt_datetimefield_value
    claimed = OutgoingEmail.objects.raw(
        _claim_sql(alias, _no_flush_wait(alias)),
        [
            EmailStatus.SENDING.value,
            at(now + _lease()),
            uuid.uuid4().hex,
            email_id,
            EmailStatus.PENDING.value,
            at(now),
            EmailStatus.SENDING.value,
            at(now),
        ],
        using=alias,
    )
    return next(iter(claimed), None)


def _email_mark_sent(email: OutgoingEmail) -> None:
    alias = router.db_for_write(OutgoingEmail)
    with connections[alias].cursor() as cursor:
        cursor.execute(
            _mark_sent_sql(alias, _no_flush_wait(alias)),
            [
                EmailStatus.SENT.value,
                connections[alias].ops.adapt_datetimefield_value(timezone.now()),
                email.pk,
                EmailStatus.SENDING.value,
                email.claim_token,
            ],
        )


# The worker's two writes per e-mail (the claim, the sent mark) are written out in SQL:
# Django's update() returns a count, not the row, and it cannot say how to commit. Only
# the model's table and column names are formatted in (the fields set no db_column); values
# are bound. The claim's WHERE is the condition of `_due_q`.


@functools.cache
def _claim_sql(alias: str, no_flush_wait: str) -> str:
    quote = connections[alias].ops.quote_name
    table = quote(OutgoingEmail._meta.db_table)
    returned = ", ".join(
        f"{table}.{quote(str(field.column))}" for field in OutgoingEmail._meta.concrete_fields
    )
    return (
        f"UPDATE {table} SET status = %s, attempts = attempts + 1, lease_expires_at = %s, "  # noqa: S608
        f"claim_token = %s{no_flush_wait} WHERE id = %s AND ((status = %s AND "
        "(next_attempt_at IS NULL OR next_attempt_at <= %s)) OR (status = %s AND "
        f"lease_expires_at < %s)) RETURNING {returned}"
    )


@functools.cache
def _mark_sent_sql(alias: str, no_flush_wait: str) -> str:
    table = connections[alias].ops.quote_name(OutgoingEmail._meta.db_table)
    return (
        f"UPDATE {table} SET status = %s, sent_at = %s, lease_expires_at = NULL, "  # noqa: S608
        f"next_attempt_at = NULL, claim_token = ''{no_flush_wait} "
        "WHERE id = %s AND status = %s AND claim_token = %s"
    )


def _no_flush_wait(alias: str) -> str:
    """On PostgreSQL, outside a caller's transaction: a FROM clause that makes the statement's
    own commit not wait for the WAL flush (`set_config(…, true)` lasts as long as that
    transaction). Waiting for the flush was most of what the worker paid per e-mail
    (figures: docs/PERFORMANCE.md, "What was changed to get there").

    Only a crash of the database server itself, or a failover to a standby that had not yet
    received it (the commit does not wait for a synchronous standby either), can lose such a
    commit (the last fraction of a second of them; the database stays consistent), and then
    the row is as it was, pending or sending, so the sweep sends it again (after the lease)
    under the same Message-ID: as after a worker that dies between sending and marking.
    `email_queue`'s rows, which must not be lost, commit with the change that queues them,
    as before.
    """
    connection = connections[alias]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return ""
    return " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush_wait"


def _build_message(email: OutgoingEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=email.from_email,
        to=list(email.to),
        reply_to=list(email.reply_to),
        headers={"Message-ID": email.message_id},
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    for ref in email.attachments:
        with default_storage.open(ref["storage_name"], "rb") as handle:
            content = handle.read()
        message.attach(filename_sanitise(ref["filename"]), content, ref["mimetype"])
    return message


def email_backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: base * 2^(n-1), capped, then drawn from [d/2, d]."""
    base = settings.PARLEY_MAIL_BACKOFF_BASE_SECONDS
    delay = min(settings.PARLEY_MAIL_MAX_BACKOFF_SECONDS, base * 2 ** max(0, attempts - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def email_send(*, email_id: int) -> str:
    """Send one e-mail if it is due. Idempotent: a sent, failed, not-due or claimed row is left
    alone, and every try carries the same Message-ID so a receiver can drop a duplicate."""
    email = email_claim(email_id=email_id)
    if email is None:
        return "skipped"
    if email.request_id:
        # Log under the id of the request that caused the e-mail, even when the sweep (and
        # not that request) handed it over.
        set_guid(email.request_id)
    try:
        kept_connection.deliver(_build_message(email))
    except Exception as error:
        return _email_mark_failed_attempt(email, error)
    _email_mark_sent(email)
    logger.info("e-mail %s sent (attempt %s)", email.pk, email.attempts)
    return "sent"


def _email_mark_failed_attempt(email: OutgoingEmail, error: Exception) -> str:
    message = f"{type(error).__name__}: {error}"[:2000]
    if email.attempts >= settings.PARLEY_MAIL_MAX_ATTEMPTS:
        status, next_attempt_at = EmailStatus.FAILED, None
        logger.error(
            "e-mail %s failed for good after %s attempts: %s", email.pk, email.attempts, message
        )
    else:
        status = EmailStatus.PENDING
        next_attempt_at = timezone.now() + timedelta(seconds=email_backoff_seconds(email.attempts))
        logger.warning(
            "e-mail %s attempt %s failed, retry at %s: %s",
            email.pk,
            email.attempts,
            next_attempt_at,
            message,
        )
    OutgoingEmail.objects.filter(
        pk=email.pk, status=EmailStatus.SENDING, claim_token=email.claim_token
    ).update(
        status=status,
        next_attempt_at=next_attempt_at,
        last_error=message,
        lease_expires_at=None,
        claim_token="",
    )
    return str(status)


def email_sweep_due() -> int:
    """Dispatch every e-mail that is due: pending past its next attempt, or stuck in sending
    past its lease (a worker died, the broker lost the task). Returns how many."""
    due_ids = list(
        OutgoingEmail.objects.filter(_due_q(timezone.now()))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for email_id in due_ids:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            email_send(email_id=email_id)  # the sweeper is already in the background
        else:
            from parley.mail.dispatch import email_dispatch  # dispatch imports this module

            email_dispatch(email_id=email_id)
    return len(due_ids)
