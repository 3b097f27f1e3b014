"""Reads of conversations that the pages (`pages.py`), the seller's figures and the services
share: which messages are visible, the listing filters.

The pages themselves (customer list and detail, seller list and detail, public questions) are
read and rendered in `parley.conversations.pages`."""

from collections.abc import Mapping
from typing import Any

from django.db.models import OuterRef, QuerySet, Value

from parley.conversations.models import Conversation, Message

# Filters that the customer and the seller listings share; each value is already validated
# (see `ConversationFilterSerializer`). The seller's listing adds `updated_since`.
SHARED_FILTERS = ("conversation_type", "is_answered", "item_content", "item_id", "datasource")


def message_queryset_visible() -> QuerySet[Message]:
    """Messages an API answer may show: hidden ones never leave the database. The one place
    that says which messages are visible; every read and the moderation recompute use it."""
    return Message.objects.filter(is_hidden=False).order_by("created_date", "id")


def message_queryset_visible_by(writer: str) -> QuerySet[Message]:
    """For a subquery: the visible messages that `writer` wrote in the outer query's
    conversation."""
    return message_queryset_visible().filter(conversation=OuterRef("pk"), content_type=writer)


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
    return queryset.filter(**lookups)
