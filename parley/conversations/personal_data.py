"""What conversations hold about a customer (API.md §11): the subjects and messages they
wrote. The conversations themselves stay for the seller's records. See
parley/core/privacy.py for the registry."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone, translation

from parley.conversations.models import (
    Attachment,
    Conversation,
    HeldMessage,
    Message,
    WriterType,
)
from parley.core.privacy import (
    ERASED_TEXT,
    ErasureContext,
    Holder,
    RetentionRule,
    holder_register,
    no_personal_data,
    retention_register,
)


def _erased_text() -> str:
    """The placeholder in the service's default language: the shop's, which the seller reads."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(ERASED_TEXT)


def _customer_messages(ctx: ErasureContext) -> QuerySet[Message]:
    if ctx.user.pk is None:
        return Message.objects.none()  # a guest has no conversations
    return Message.objects.filter(
        conversation__user_id=ctx.user.pk, content_type=WriterType.USER
    ).exclude(message_content=_erased_text())


def _customer_subjects(ctx: ErasureContext) -> QuerySet[Conversation]:
    """Conversations whose subject the customer wrote (every subject is theirs: the customer
    opens a conversation), or that are still public."""
    if ctx.user.pk is None:
        return Conversation.objects.none()
    return (
        Conversation.objects.filter(user_id=ctx.user.pk)
        .filter((~Q(subject="") & Q(subject__isnull=False)) | Q(is_public=True))
        .exclude(Q(subject=_erased_text()) & Q(is_public=False))
    )


def _conversations_export(user: Any) -> list[dict[str, Any]]:
    """Two queries: the conversations with their seller, then their messages. Hidden messages
    are the customer's too when they wrote them; a seller's hidden message is not theirs."""
    if user.pk is None:
        return []
    messages = Message.objects.filter(
        Q(is_hidden=False) | Q(content_type=WriterType.USER)
    ).order_by("created_date", "id")
    conversations = (
        Conversation.objects.filter(user_id=user.pk)
        .select_related("datasource")
        .prefetch_related(Prefetch("message_set", queryset=messages))
        .order_by("created_date", "id")
    )
    return [
        {
            "id": conversation.pk,
            "conversation_type": conversation.conversation_type,
            "subject": conversation.subject,
            "seller": {"pk": conversation.datasource_id, "name": conversation.datasource.name},
            "item_content": conversation.item_content,
            "item_id": conversation.item_id,
            "is_public": conversation.is_public,
            "created_date": conversation.created_date,
            # The customer's read mark (API.md §7): the newest message they have read.
            "last_read_message_id": conversation.customer_last_read_message_id,
            "messages": [
                {
                    "id": message.pk,
                    "content_type": message.content_type,
                    "message_content": message.message_content,
                    "created_date": message.created_date,
                    "is_hidden": message.is_hidden,
                }
                for message in conversation.message_set.all()
            ],
        }
        for conversation in conversations
    ]


def _conversations_count(ctx: ErasureContext) -> int:
    return _customer_messages(ctx).count() + _customer_subjects(ctx).count()


def _conversations_erase(ctx: ErasureContext) -> int:
    """The customer's messages and subjects read the placeholder and their public questions
    are withdrawn; the seller's answers, the times and the state stay. `modified_date` moves,
    so the seller API's `updated_since` reports the change."""
    placeholder = _erased_text()
    messages = _customer_messages(ctx).update(message_content=placeholder)
    subjects = _customer_subjects(ctx)
    conversations = (
        subjects.filter(subject__isnull=False)
        .exclude(subject="")
        .update(subject=placeholder, is_public=False, modified_date=timezone.now())
    )
    conversations += subjects.update(is_public=False, modified_date=timezone.now())
    return messages + conversations


holder_register(
    Holder(
        section="conversations",
        fields={Conversation: ("subject", "is_public"), Message: ("message_content",)},
        count=_conversations_count,
        erase=_conversations_erase,
        export=_conversations_export,
    )
)


# --- Attachments (API.md §8, §11): the files the customer uploaded ---------------------------


def _customer_attachments(ctx: ErasureContext) -> QuerySet[Attachment]:
    if ctx.user.pk is None:
        return Attachment.objects.none()
    return Attachment.objects.filter(uploader_user_id=ctx.user.pk)


def _attachments_export(user: Any) -> list[dict[str, Any]]:
    """One query: what the customer uploaded, linked or not (the files themselves are
    downloaded one by one through `GET /attachments/<id>/`)."""
    if user.pk is None:
        return []
    return [
        {
            "id": attachment.public_id,
            "message": attachment.message_id,
            "name": attachment.name,
            "size": attachment.size,
            "content_type": attachment.content_type,
            "created_at": attachment.created_at,
            "file_deleted": not attachment.file,
        }
        for attachment in Attachment.objects.filter(uploader_user_id=user.pk).order_by(
            "created_at", "id"
        )
    ]


def _attachments_erase(ctx: ErasureContext) -> int:
    """The customer's uploads go, rows now and files after the commit, through the one
    service that deletes attachment files (`attachments_delete`); the seller's files in the
    customer's conversations are the seller's and stay."""
    from parley.conversations.services import attachments_delete

    return attachments_delete(attachments=_customer_attachments(ctx))


holder_register(
    Holder(
        section="attachments",
        fields={Attachment: ("file", "name", "content_type")},
        count=lambda ctx: _customer_attachments(ctx).count(),
        erase=_attachments_erase,
        export=_attachments_export,
    )
)


def _attachments_expire(cutoff: datetime, files: list[str]) -> int:
    """Message attachments older than RETENTION_ATTACHMENT_FILE_DAYS (API.md §11) go, rows
    and files, through the one deletion service (files after the commit); the message stays
    and no longer lists them."""
    from parley.conversations.services import attachments_delete

    return attachments_delete(attachments=Attachment.objects.filter(created_at__lt=cutoff))


retention_register(
    RetentionRule(
        name="message_attachments",
        setting="RETENTION_ATTACHMENT_FILE_DAYS",
        apply=_attachments_expire,
    )
)
no_personal_data(
    HeldMessage,
    "a proxy of Message (the moderation queue): its rows are the messages erased above",
)
