"""Reads of conversations that the pages (`pages.py`), the seller's figures and the services
share: which messages are visible, the listing filters.

The pages themselves (customer list and detail, seller list and detail, public questions) are
read and rendered in `parley.conversations.pages`."""

from collections.abc import Mapping
from typing import Any, NamedTuple

from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from parley.catalog.models import Product
from parley.conversations.models import (
    Conversation,
    ConversationType,
    ItemContent,
    Message,
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
