"""The mail outbox. `email_queue` is the only way Parley sends e-mail.

Call it inside the transaction of the change that causes the e-mail: the row commits or rolls
back with that change, and only after the commit is it handed to the `email_send` task. The
task claims the row with a conditional UPDATE and a lease, so two workers never send one row;
failures are rescheduled through `next_attempt_at` with exponential backoff and jitter, and
`email_sweep` (celery beat, or the embedded sweeper thread) re-dispatches whatever is due.
"""

import functools
import logging
import random
import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import close_old_connections, connections, router, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django_guid import get_guid, set_guid

from parley.mail.headers import address_validate, filename_sanitise, header_text_clean
from parley.mail.models import EmailStatus, OutgoingEmail
from parley.mail.types import EmailAttachmentRef

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200


def _lease() -> timedelta:
    return timedelta(seconds=settings.PARLEY_MAIL_LEASE_SECONDS)


def _message_id(from_email: str) -> str:
    domain = parseaddr(from_email)[1].rpartition("@")[2] or "parley.localhost"
    # make_msgid's own randomness is the `random` module's, which Hypothesis reseeds per
    # example: two e-mails in one tick could share an id. The token comes from the OS.
    return make_msgid(idstring=f"parley.{secrets.token_hex(8)}", domain=domain)


def email_render(template_base: str, context: dict) -> tuple[str, str]:
    """Render `<template_base>.txt` and `<template_base>.html` (autoescaped) into two bodies."""
    return (
        render_to_string(f"{template_base}.txt", context),
        render_to_string(f"{template_base}.html", context),
    )


def email_queue(
    *,
    to: Sequence[str],
    subject: str,
    text_body: str,
    html_body: str | None = None,
    reply_to: Sequence[str] | None = None,
    attachments: Iterable[EmailAttachmentRef] = (),
    kind: str = "",
    from_email: str | None = None,
    request_id: str = "",
) -> OutgoingEmail:
    """Write an e-mail to the outbox in the caller's transaction; send it after the commit.

    Addresses with a control character or that are not valid are refused (ValidationError);
    control characters in the subject become spaces, so no field can add a header.
    """
    recipients = [address_validate(address) for address in to]
    if not recipients:
        raise ValidationError("An e-mail needs at least one recipient.")
    reply_addresses = [address_validate(address) for address in reply_to or ()]
    sender = from_email or settings.DEFAULT_FROM_EMAIL
    if any(char in sender for char in "\r\n\x00"):
        raise ValidationError("The sender address must be on one line.")
    email = OutgoingEmail.objects.create(
        kind=kind[:64],
        from_email=sender,
        to=recipients,
        reply_to=reply_addresses,
        subject=header_text_clean(subject)[:998],
        text_body=text_body,
        html_body=html_body or "",
        attachments=[
            EmailAttachmentRef(
                storage_name=ref.storage_name,
                filename=filename_sanitise(ref.filename),
                mimetype=header_text_clean(ref.mimetype) or "application/octet-stream",
            ).as_json()
            for ref in attachments
        ],
        message_id=_message_id(sender),
        status=EmailStatus.PENDING,
        next_attempt_at=timezone.now(),
        request_id=(request_id or get_guid() or "")[:64],
    )
    email_dispatch_on_commit(email_id=email.pk)
    return email


def email_dispatch_on_commit(*, email_id: int) -> None:
    """Hand the e-mail over once the transaction commits; a failure there is logged, never
    raised into the request that committed (API.md §6). The callback is a function, not a
    functools.partial: Django names a failing robust callback by its `__qualname__`, and a
    partial has none, so its failure would escape as an AttributeError after the commit."""

    def hand_off() -> None:
        email_dispatch(email_id=email_id)

    transaction.on_commit(hand_off, robust=True)


def email_dispatch(*, email_id: int) -> None:
    """Hand one e-mail to the worker. Never raises: if the broker is down the row stays
    pending and the sweep sends it later."""
    if settings.CELERY_TASK_ALWAYS_EAGER and getattr(settings, "PARLEY_MAIL_SEND_IN_THREAD", False):
        # Embedded mode: no broker, so send beside the request rather than inside it, so that
        # a slow mail server never makes the client wait.
        threading.Thread(
            target=_send_in_thread, args=(email_id,), name=f"parley-mail-{email_id}", daemon=True
        ).start()
        return
    from parley.mail.tasks import email_send as email_send_task

    if time.monotonic() < _broker_down_until:
        return  # the broker just refused a hand-off: do not make this request wait on it too
    try:
        email_send_task.delay(email_id)
    except Exception:
        _broker_unreachable()
        logger.exception("e-mail %s not handed to the worker; the sweep will send it", email_id)


# After a failed hand-off, requests skip the broker for a few seconds (a small circuit
# breaker): the rows are committed either way and the sweep hands them over later, so
# nothing is lost, and no request pays a connection timeout while the broker is down.
BROKER_BACKOFF_SECONDS = 5.0
_broker_down_until = 0.0


def _broker_unreachable() -> None:
    global _broker_down_until
    _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS


def _send_in_thread(email_id: int) -> None:
    try:
        email_send(email_id=email_id)
    except Exception:
        logger.exception("e-mail %s: send failed in the background thread", email_id)
    finally:
        mail_connection_close()  # the thread ends here: nothing to keep the connection for
        close_old_connections()


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


# The open connection to the mail server of each worker thread, kept between e-mails: a
# worker drains e-mails one after another, and a new SMTP session for each (connect, EHLO,
# QUIT) cost as much as the message itself (docs/PERFORMANCE.md).
_kept = threading.local()


def _connection_settings() -> tuple:
    return (
        settings.EMAIL_BACKEND,
        getattr(settings, "EMAIL_HOST", None),
        getattr(settings, "EMAIL_PORT", None),
        getattr(settings, "EMAIL_HOST_USER", None),
        getattr(settings, "EMAIL_USE_TLS", None),
        getattr(settings, "EMAIL_USE_SSL", None),
    )


def mail_connection_close() -> None:
    """Close this thread's kept connection to the mail server, if any."""
    connection = getattr(_kept, "connection", None)
    _kept.connection = None
    if connection is not None:
        try:
            connection.close()
        except Exception:
            logger.debug("closing the kept mail connection failed", exc_info=True)


def _message_deliver(message: EmailMultiAlternatives) -> None:
    """Send through this thread's kept connection, opening it on first use or when the mail
    settings changed. A kept connection that fails (the server dropped an idle session) is
    replaced once; a fresh one that fails raises, and is not kept."""
    connection = getattr(_kept, "connection", None)
    if connection is not None and getattr(_kept, "settings", None) == _connection_settings():
        try:
            connection.send_messages([message])
            return
        except Exception:
            logger.info("the kept mail connection failed; opening a new one", exc_info=True)
    mail_connection_close()
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
        connection.send_messages([message])
    except Exception:
        try:
            connection.close()
        except Exception:
            logger.debug("closing a failed mail connection failed", exc_info=True)
        raise
    _kept.connection, _kept.settings = connection, _connection_settings()


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
        _message_deliver(_build_message(email))
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


def email_sweep() -> int:
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
            email_dispatch(email_id=email_id)
    return len(due_ids)


@transaction.atomic
def email_retry_now(*, email_ids: Iterable[int]) -> int:
    """Staff's "retry now": pending and failed e-mails become due at once with a fresh round
    of attempts. Sent e-mails, and those a worker holds right now, are left alone."""
    ids = list(
        OutgoingEmail.objects.select_for_update()
        .filter(pk__in=list(email_ids), status__in=[EmailStatus.PENDING, EmailStatus.FAILED])
        .values_list("pk", flat=True)
    )
    OutgoingEmail.objects.filter(pk__in=ids).update(
        status=EmailStatus.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
    for email_id in ids:
        email_dispatch_on_commit(email_id=email_id)
    return len(ids)
