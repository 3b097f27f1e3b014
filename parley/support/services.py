import logging
import secrets
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from parley.core.exceptions import ApplicationError
from parley.mail.services import email_queue, email_render
from parley.mail.types import EmailAttachmentRef
from parley.support import selectors
from parley.support.attachments import CheckedAttachment
from parley.support.models import ContactRequest
from parley.webhooks.services import webhook_event_emit

logger = logging.getLogger(__name__)


def _attachment_store(attachment: CheckedAttachment) -> str:
    """Save under a random name in private storage; the client's name is never a path."""
    name = f"contact-us/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{attachment.extension}"
    attachment.upload.seek(0)
    return default_storage.save(name, attachment.upload)


def contact_request_create(
    *,
    subject_id: int,
    full_name: str,
    email: str,
    message: str,
    phone: str = "",
    order_id: int | None = None,
    operation: str | None = None,
    attachment: CheckedAttachment | None = None,
    user_id: int | None = None,
    language: str = "",
    client_ip: str | None = None,
    request_id: str = "",
) -> ContactRequest:
    """Save a submission and queue its e-mail to the shop, together or not at all."""
    operation = operation or selectors.DEFAULT_OPERATION
    routing = selectors.contact_us_email_routing()
    if operation not in routing:
        raise ApplicationError(_("Unknown operation."), field="operation")
    subject = selectors.contact_subject_get_active(subject_id)
    if subject is None:
        raise ApplicationError(_("Select a valid subject."), field="subject")
    order = None
    if order_id is not None:
        order = selectors.order_get_for_contact(order_id=order_id, user_id=user_id, email=email)
        if order is None:
            raise ApplicationError(_("No matching order was found for you."), field="order")
    elif subject.is_order_needed:
        raise ApplicationError(_("This subject needs an order."), field="order")

    stored_name = _attachment_store(attachment) if attachment else ""
    try:
        with transaction.atomic():
            contact_request = ContactRequest.objects.create(
                subject=subject,
                full_name=full_name,
                email=email,
                phone=phone,
                message=message,
                order=order,
                operation=operation,
                recipients=routing[operation],
                language=language,
                client_ip=client_ip,
                user_id=user_id,
                file=stored_name,
                file_name=attachment.filename if attachment else "",
                file_mimetype=attachment.mimetype if attachment else "",
                file_size=attachment.size if attachment else None,
            )
            contact_request.outgoing_email = _contact_request_email_queue(
                contact_request, request_id=request_id
            )
            contact_request.save(update_fields=["outgoing_email"])
            webhook_event_emit(
                event_type="contact_request.created",
                data={"contact_request": contact_request.pk, "subject": subject.pk},
            )
    except BaseException:
        if stored_name:
            default_storage.delete(stored_name)  # nothing half-saved
        raise
    return contact_request


def _contact_request_email_queue(contact_request: ContactRequest, *, request_id: str) -> Any:
    # The shop reads the e-mail in the service's default language, whatever the customer's.
    with translation.override(settings.LANGUAGE_CODE):
        subject_text = contact_request.subject.text
        context = {"request": contact_request, "subject_text": subject_text}
        text_body, html_body = email_render("support/email/contact_request", context)
        subject_line = (
            f"[Contact Us] {subject_text} – {contact_request.full_name} <{contact_request.email}>"
        )
    attachments = []
    if contact_request.file:
        attachments.append(
            EmailAttachmentRef(
                storage_name=contact_request.file,
                filename=contact_request.file_name,
                mimetype=contact_request.file_mimetype,
            )
        )
    return email_queue(
        to=contact_request.recipients,
        reply_to=[contact_request.email],
        subject=subject_line,
        text_body=text_body,
        html_body=html_body,
        attachments=attachments,
        kind="contact_us",
        request_id=request_id,
        about_user_id=contact_request.user_id,
    )
