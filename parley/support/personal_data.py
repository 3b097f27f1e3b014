"""What Contact Us holds about a customer (API.md §11): their submissions and attachments;
and the two retention rules on them. See parley/core/privacy.py for the registry."""

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from parley.core.privacy import (
    ErasureContext,
    Holder,
    RetentionRule,
    holder_register,
    no_personal_data,
    retention_register,
)
from parley.support.models import ContactRequest, ContactSubject

ERASED_FIELDS = {
    "full_name": "",
    "email": "",
    "phone": "",
    "message": "",
    "client_ip": None,
    "file": "",
    "file_name": "",
    "file_mimetype": "",
    "file_size": None,
}


def _owned(user_id: int | None, email: str) -> Q:
    """The account's submissions, and those sent without logging in from its address (one
    sent by another account stays that account's)."""
    guest = Q(user__isnull=True, email__iexact=email)
    return guest if user_id is None else Q(user_id=user_id) | guest


def _contact_requests(ctx: ErasureContext) -> QuerySet[ContactRequest]:
    return ContactRequest.objects.filter(_owned(ctx.user.pk, ctx.email)).exclude(
        full_name="", email="", phone="", message="", file="", client_ip=None
    )


def _contact_requests_export(user: Any) -> list[dict[str, Any]]:
    """One query: the submissions with their subject."""
    requests = (
        ContactRequest.objects.filter(_owned(user.pk, user.email))
        .select_related("subject")
        .order_by("-created_date", "-id")
    )
    return [
        {
            "id": request.pk,
            "created_date": request.created_date,
            "subject": request.subject.text,
            "full_name": request.full_name,
            "email": request.email,
            "phone": request.phone,
            "message": request.message,
            "order": request.order_id,
            "language": request.language,
            "client_ip": request.client_ip,
            "attachment_name": request.file_name or None,
        }
        for request in requests
    ]


def _contact_request_files(ctx: ErasureContext) -> list[str]:
    return list(_contact_requests(ctx).exclude(file="").values_list("file", flat=True))


def _contact_requests_erase(ctx: ErasureContext) -> int:
    ctx.files.extend(_contact_request_files(ctx))
    return _contact_requests(ctx).update(**ERASED_FIELDS)


holder_register(
    Holder(
        section="contact_requests",
        fields={ContactRequest: tuple(ERASED_FIELDS)},
        kept={
            ContactRequest: {
                "recipients": "the shop's own addresses the request went to",
                "language": "the language code of the form",
            }
        },
        count=lambda ctx: _contact_requests(ctx).count(),
        erase=_contact_requests_erase,
        export=_contact_requests_export,
        files=_contact_request_files,
    )
)


def _contact_requests_expire(cutoff: datetime, files: list[str]) -> int:
    """Contact requests older than RETENTION_CONTACT_REQUEST_DAYS are deleted, and their
    files after the commit. Their e-mails stay as the outbox's delivery record (their bodies
    have their own rule)."""
    expired = ContactRequest.objects.filter(created_date__lt=cutoff)
    files.extend(expired.exclude(file="").values_list("file", flat=True))
    return expired.delete()[0]


def _attachments_expire(cutoff: datetime, files: list[str]) -> int:
    """Attachment files older than RETENTION_ATTACHMENT_FILE_DAYS are deleted; the request
    keeps its text, and no longer names the file."""
    expired = ContactRequest.objects.filter(created_date__lt=cutoff).exclude(file="")
    files.extend(expired.values_list("file", flat=True))
    return expired.update(file="", file_name="", file_mimetype="", file_size=None)


retention_register(
    RetentionRule(
        name="contact_requests",
        setting="RETENTION_CONTACT_REQUEST_DAYS",
        apply=_contact_requests_expire,
    )
)
retention_register(
    RetentionRule(
        name="contact_request_files",
        setting="RETENTION_ATTACHMENT_FILE_DAYS",
        apply=_attachments_expire,
    )
)

no_personal_data(ContactSubject, "the shop's list of subjects")
