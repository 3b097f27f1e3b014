"""Reads of conversations that the pages (`pages.py`), the seller's figures and the services
share: which messages are visible, the listing filters.

The pages themselves (customer list and detail, seller list and detail, public questions) are
read and rendered in `parley.conversations.pages`."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from parley.catalog.models import Product
from parley.conversations.models import (
    Attachment,
    Conversation,
    ConversationType,
    ItemContent,
    Message,
    ScanStatus,
    WriterType,
)

# Filters that the customer and the seller listings share; each value is already validated
# (see `ConversationFilterSerializer`). The seller's listing adds `updated_since` and `unread`.
SHARED_FILTERS = ("conversation_type", "is_answered", "item_content", "item_id", "datasource")


def message_queryset_visible() -> QuerySet[Message]:
    """Messages an API answer may show: hidden ones never leave the database. The one place
    that says which messages are visible; every read and the moderation recompute use it."""
    return Message.objects.filter(is_hidden=False).order_by("created_date", "id")


def message_queryset_visible_by(writer: str) -> QuerySet[Message]:
    """For a subquery: the visible messages that `writer` wrote in the outer query's
    conversation."""
    return message_queryset_visible().filter(conversation=OuterRef("pk"), content_type=writer)


def waiting_since_expression() -> Coalesce:
    """For an UPDATE or an annotation of conversations: since when the customer has been
    waiting (docs/sellers.md, "Stats"), from the visible messages. The first visible customer
    message after the seller's last visible message, or the first visible customer message if
    the seller never wrote; NULL with no such message. A follow-up "hello?" does not reset the
    clock. The services keep `Conversation.waiting_since` equal to it (NULL when answered)."""
    last_seller_message = (
        message_queryset_visible()
        .filter(conversation=OuterRef(OuterRef("pk")), content_type=WriterType.DATASOURCE)
        .order_by("-created_date")
        .values("created_date")[:1]
    )
    first_customer_message = message_queryset_visible_by(WriterType.USER).order_by("created_date")
    return Coalesce(
        Subquery(
            first_customer_message.filter(created_date__gt=Subquery(last_seller_message)).values(
                "created_date"
            )[:1]
        ),
        Subquery(first_customer_message.values("created_date")[:1]),
    )


def conversation_queryset_filter(
    queryset: QuerySet[Conversation], filters: Mapping[str, Any]
) -> QuerySet[Conversation]:
    """Apply the validated listing filters; keys that are absent or None filter nothing."""
    lookups: dict[str, Any] = {
        name: filters[name] for name in SHARED_FILTERS if filters.get(name) is not None
    }
    if "datasource" in lookups:
        lookups["datasource_id"] = lookups.pop("datasource")
    if "is_answered" in lookups:
        # `= true/false` rather than Django's `col` / `NOT col`, which SQLite cannot match
        # against the (user, is_answered, ...) index.
        lookups["is_answered"] = Value(bool(lookups["is_answered"]))
    if filters.get("updated_since") is not None:
        # Any change at or after that time: `modified_date` moves with every one of them.
        lookups["modified_date__gte"] = filters["updated_since"]
    if filters.get("unread") is not None:
        # The seller's unread count (API.md §7); the customer's listing has no such filter.
        lookups["seller_unread_count__gt" if filters["unread"] else "seller_unread_count"] = 0
    return queryset.filter(**lookups)


def product_get(product_id: int) -> Product:
    """The product a path names (`/products/<pk>/questions/`), or 404."""
    return get_object_or_404(Product.objects.all(), pk=product_id)


def public_question_queryset() -> QuerySet[Conversation]:
    """Public product questions that hold at least one visible seller message: what the
    public questions endpoint may show, and what similar questions search."""
    return Conversation.objects.filter(
        item_content=ItemContent.PRODUCT,
        conversation_type=ConversationType.QUESTION,
        is_public=True,
    ).filter(Exists(message_queryset_visible_by(WriterType.DATASOURCE)))


# --- Similar questions -----------------------------------------------------------------------


def public_question_ids() -> list[int]:
    return list(public_question_queryset().values_list("pk", flat=True))


class PublicQuestionText(NamedTuple):
    product_id: int
    text: str


def public_question_text_get(conversation_id: int) -> PublicQuestionText | None:
    """What the similar-questions search embeds for a conversation: the first visible
    message of the asker, if the conversation is a public question about a product that the
    public questions endpoint shows; else None. The answer is left out: a shopper's query is
    compared with questions, not with answers."""
    conversation = (
        public_question_queryset()
        .filter(pk=conversation_id)
        .annotate(
            question=Subquery(
                message_queryset_visible_by(WriterType.USER).values("message_content")[:1]
            )
        )
        .values_list("item_id", "question")
        .first()
    )
    if conversation is None or not conversation[1]:
        return None
    product_id, text = conversation
    assert product_id is not None  # a product question always names its product
    return PublicQuestionText(product_id=product_id, text=text)


# --- Attachments (API.md §8) ------------------------------------------------------------------


def attachment_visible_to(party: str, prefix: str = "") -> Q:
    """The linked attachments a party of the conversation may see and download: those of
    visible messages, whose file is still stored, and scanned clean (or not scanned at all);
    while a scan is pending only the uploader (the message's writer) sees it. `prefix`
    reaches the attachment from another model (`attachments__`)."""
    return (
        Q(
            **{
                f"{prefix}message__is_hidden": False,
                f"{prefix}message__isnull": False,
            }
        )
        & (
            Q(**{f"{prefix}scan_status__in": (ScanStatus.NOT_SCANNED, ScanStatus.CLEAN)})
            | Q(
                **{
                    f"{prefix}scan_status": ScanStatus.PENDING,
                    f"{prefix}message__content_type": party,
                }
            )
        )
        & ~Q(**{f"{prefix}file": ""})
    )


def attachment_list_for_party(*, party: str, message_ids: list[int]) -> QuerySet[Attachment]:
    """The attachments of these messages that `party` may see, in upload order."""
    return (
        Attachment.objects.filter(message_id__in=message_ids)
        .filter(attachment_visible_to(party))
        .order_by("created_at", "id")
    )


def attachment_list_for_customer(*, user_id: int, conversation_id: int) -> QuerySet[Attachment]:
    """`GET /users/conversations/<id>/attachments/`: 404 unless the conversation is the
    user's; the attachments of its visible messages that the customer may download."""
    get_object_or_404(Conversation.objects.only("pk"), pk=conversation_id, user_id=user_id)
    return (
        Attachment.objects.filter(message__conversation_id=conversation_id)
        .filter(attachment_visible_to(WriterType.USER))
        .order_by("message__created_date", "message_id", "created_at", "id")
    )


@dataclass(frozen=True)
class AttachmentCaller:
    """Who asks for a file: a session's user (a customer, staff, an inbox member of
    `datasource_ids`) or a seller token (`datasource_ids` alone)."""

    user_id: int | None = None
    datasource_ids: frozenset[int] = frozenset()
    is_staff: bool = False


def attachment_get_for_download(*, public_id: str, caller: AttachmentCaller) -> Attachment:
    """The attachment, if the caller may download it; 404 otherwise, whatever the reason
    (no such file, deleted, not theirs, a hidden message's, a scan pending for the other
    party), so the answer never tells that a file exists.

    - Staff may download any file still stored (they moderate hidden messages too).
    - An unlinked upload: its uploader only.
    - A linked one: the conversation's customer and its seller (token or inbox member),
      while the message is visible and the scan allows (`attachment_visible_to`); the uploader
      may also download their own upload while its scan is pending."""
    attachment = (
        Attachment.objects.select_related("message__conversation")
        .filter(public_id=public_id)
        .exclude(file="")
        .first()
    )
    if attachment is None:
        raise Http404("No Attachment matches the given query.")
    if caller.is_staff:
        return attachment
    own = (
        attachment.uploader_user_id is not None and attachment.uploader_user_id == caller.user_id
    ) or (
        attachment.uploader_datasource_id is not None
        and attachment.uploader_datasource_id in caller.datasource_ids
    )
    message = attachment.message
    if message is None:
        if own:
            return attachment
        raise Http404("No Attachment matches the given query.")
    conversation = message.conversation
    if caller.user_id is not None and conversation.user_id == caller.user_id:
        party: str | None = WriterType.USER
    elif conversation.datasource_id in caller.datasource_ids:
        party = WriterType.DATASOURCE
    else:
        party = None
    if party is None or message.is_hidden or attachment.scan_status == ScanStatus.INFECTED:
        raise Http404("No Attachment matches the given query.")
    if attachment.scan_status == ScanStatus.PENDING and not own:
        raise Http404("No Attachment matches the given query.")
    return attachment
