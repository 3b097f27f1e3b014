"""The mail outbox's public services: what the other apps call. `email_queue` is the only way
Parley sends e-mail.

Call it inside the transaction of the change that causes the e-mail: the row commits or rolls
back with that change, and only after the commit is it handed to the `email_send` task
(`parley.mail.dispatch`). The worker (`parley.mail.worker`) claims the row with a conditional
UPDATE and a lease, so two workers never send one row; failures are rescheduled through
`next_attempt_at` with exponential backoff and jitter, and `email_sweep` (celery beat, or the
embedded sweeper thread) re-dispatches whatever is due. Other apps import this module (and
the models, types and headers), never the worker's internals (pyproject.toml's contracts).
"""

import secrets
from collections.abc import Iterable, Sequence
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_guid import get_guid

from parley.mail import worker
from parley.mail.dispatch import email_dispatch_on_commit
from parley.mail.headers import address_validate, filename_sanitise, header_text_clean
from parley.mail.models import EmailStatus, OutgoingEmail
from parley.mail.types import EmailAttachmentRef


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
    about_user_id: int | None = None,
) -> OutgoingEmail:
    """Write an e-mail to the outbox in the caller's transaction; send it after the commit.

    Addresses with a control character or that are not valid are refused (ValidationError);
    control characters in the subject become spaces, so no field can add a header.
    `about_user_id`: the customer the e-mail is about, for their export and erasure (§11).
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
        about_user_id=about_user_id,
    )
    email_dispatch_on_commit(email_id=email.pk)
    return email


def email_sweep() -> int:
    """The periodic job (celery beat's `email_sweep` task, or the embedded sweeper thread):
    dispatch every e-mail that is due. Returns how many."""
    return worker.email_sweep_due()


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
