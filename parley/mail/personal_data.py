"""What the outbox holds about a customer (API.md §11): the e-mails about them, queued or
sent; and the retention of sent e-mails' bodies. See parley/core/privacy.py."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import translation

from parley.core.privacy import (
    ERASED_TEXT,
    ErasureContext,
    Holder,
    RetentionRule,
    holder_register,
    retention_register,
)
from parley.mail.models import EmailStatus, OutgoingEmail

ERASED_ERROR = "Not sent: erased at the customer's request."


def _about(user_id: int | None, email: str) -> Q:
    """E-mails about the customer: linked to the account when queued (`about_user`), or
    addressed to them or with them as the reply address (a Contact Us message sent without
    logging in, e-mails queued before the link existed)."""
    quoted = f'"{email}"'  # as the JSON list holds it: not a longer address that ends alike
    addressed = Q(to__icontains=quoted) | Q(reply_to__icontains=quoted)
    return addressed if user_id is None else Q(about_user_id=user_id) | addressed


def _emails(ctx: ErasureContext) -> QuerySet[OutgoingEmail]:
    return OutgoingEmail.objects.filter(_about(ctx.user.pk, ctx.email)).exclude(
        text_body="",
        html_body="",
        to=[],
        reply_to=[],
        attachments=[],
        last_error__in=("", ERASED_ERROR),
    )


def _emails_export(user: Any) -> list[dict[str, Any]]:
    """One query."""
    emails = OutgoingEmail.objects.filter(_about(user.pk, user.email)).order_by("created_at", "id")
    return [
        {
            "id": email.pk,
            "kind": email.kind,
            "to": email.to,
            "reply_to": email.reply_to,
            "subject": email.subject,
            "text_body": email.text_body,
            "attachment_names": [ref.get("filename") for ref in email.attachments],
            "status": email.status,
            "created_at": email.created_at,
            "sent_at": email.sent_at,
        }
        for email in emails.iterator()
    ]


def _emails_erase(ctx: ErasureContext) -> int:
    """Bodies, addresses, attachments and errors go (an SMTP error quotes the address); the
    subject reads the placeholder (a Contact Us subject names the customer). An e-mail not yet
    sent is never sent: it fails with a reason that names no one."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = str(ERASED_TEXT)
    emails = _emails(ctx)
    ids = list(emails.values_list("pk", flat=True))
    erased = {
        "to": [],
        "reply_to": [],
        "subject": subject,
        "text_body": "",
        "html_body": "",
        "attachments": [],
        "last_error": "",
    }
    OutgoingEmail.objects.filter(pk__in=ids, status=EmailStatus.SENT).update(**erased)
    erased_unsent = erased | {
        "status": EmailStatus.FAILED,
        "last_error": ERASED_ERROR,
        "next_attempt_at": None,
    }
    OutgoingEmail.objects.filter(pk__in=ids).exclude(status=EmailStatus.SENT).update(
        **erased_unsent
    )
    return len(ids)


holder_register(
    Holder(
        section="emails",
        fields={
            OutgoingEmail: (
                "to",
                "reply_to",
                "subject",
                "text_body",
                "html_body",
                "attachments",
                "last_error",
            )
        },
        kept={
            OutgoingEmail: {
                "from_email": "the shop's sender address",
                "message_id": "a random id",
            }
        },
        count=lambda ctx: _emails(ctx).count(),
        erase=_emails_erase,
        export=_emails_export,
    )
)


def _sent_bodies_expire(cutoff: datetime, files: list[str]) -> int:
    """Sent e-mails older than RETENTION_SENT_EMAIL_BODY_DAYS lose their bodies and their
    attachment references; the row stays as the record of the delivery."""
    return (
        OutgoingEmail.objects.filter(status=EmailStatus.SENT, sent_at__lt=cutoff)
        .exclude(text_body="", html_body="", attachments=[])
        .update(text_body="", html_body="", attachments=[])
    )


retention_register(
    RetentionRule(
        name="sent_email_bodies",
        setting="RETENTION_SENT_EMAIL_BODY_DAYS",
        apply=_sent_bodies_expire,
    )
)
