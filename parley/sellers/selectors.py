"""Reads of the seller side: tokens, the seller's conversations and their figures."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from parley.catalog.models import DataSource
from parley.conversations import pages
from parley.conversations.models import (
    Conversation,
    WriterType,
)
from parley.conversations.pages import ConversationPageQuery
from parley.conversations.selectors import message_queryset_visible_by
from parley.sellers import keys
from parley.sellers.models import SellerToken

STATS_WINDOW = timedelta(days=30)
RESPONSE_TARGET = timedelta(hours=24)


def seller_token_get_for_key(key: str) -> SellerToken | None:
    """The token this key belongs to, with its seller, revoked or not; None if there is none."""
    if not keys.key_is_well_formed(key):
        return None
    return (
        SellerToken.objects.select_related("datasource").filter(key_hash=keys.key_hash(key)).first()
    )


# --- The seller's conversations --------------------------------------------------------------


def conversation_list_for_seller(
    datasource: DataSource, filters: Mapping[str, Any] | None = None
) -> ConversationPageQuery:
    """The seller's conversations, newest activity first, to paginate and hand to
    `pages.conversation_page_render`.

    `updated_since` keeps the conversations with any change (a message, a moderation, an
    edit) at or after that time: `modified_date` moves with every one of them; `unread`
    (API.md §7) keeps the ones with (true) or without (false) a message unread by the seller."""
    filters = dict(filters or {})
    filters.pop("datasource", None)  # a seller sees its own conversations only
    return pages.conversation_page_query("datasource_id", datasource.pk, filters)


def conversation_get_for_seller(datasource: DataSource, conversation_id: int) -> dict[str, Any]:
    """The seller's own conversation, rendered, or 404 (whether another seller's or none at
    all)."""
    return pages.conversation_get(
        column="datasource_id", owner_id=datasource.pk, conversation_id=conversation_id
    )


# --- The figures marketplaces hold sellers to ------------------------------------------------


@dataclass(frozen=True)
class SellerStats:
    unanswered: int
    oldest_unanswered_since: datetime | None
    median_first_response_seconds_30d: float | None
    answered_within_24h_ratio_30d: float | None
    unread_conversations: int


def conversation_queryset_waiting(datasource: DataSource) -> QuerySet[Conversation]:
    """The seller's unanswered conversations, each with `waiting_since`: the first visible
    customer message after the seller's last visible message (or the first visible customer
    message if the seller never wrote). A follow-up "hello?" does not reset the clock.
    `waiting_since` is null for a conversation with no visible customer message left (its
    messages were hidden): nobody is waiting there."""
    last_seller_message = (
        message_queryset_visible_by(WriterType.DATASOURCE)
        .order_by("-created_date")
        .values("created_date")[:1]
    )
    first_customer_message = message_queryset_visible_by(WriterType.USER).order_by("created_date")
    return (
        Conversation.objects.filter(datasource=datasource, is_answered=False)
        .annotate(last_seller_at=Subquery(last_seller_message))
        .annotate(
            waiting_since=Coalesce(
                Subquery(
                    first_customer_message.filter(
                        created_date__gt=OuterRef("last_seller_at")
                    ).values("created_date")[:1]
                ),
                Subquery(first_customer_message.values("created_date")[:1]),
            )
        )
    )


def seller_stats(datasource: DataSource, *, now: datetime) -> SellerStats:
    """See docs/sellers.md, "Stats", for the exact definitions. Four queries: one for the
    unanswered figures, one counting the window, one reading at most two middle values."""
    # COUNT of the expression counts its non-null values: the conversations really waiting.
    # (Filtering on it instead would make PostgreSQL evaluate the subqueries twice.)
    waiting = conversation_queryset_waiting(datasource).aggregate(
        count=Count("waiting_since"), oldest=Min("waiting_since")
    )

    opened = Conversation.objects.filter(
        datasource=datasource, created_date__gt=now - STATS_WINDOW, created_date__lte=now
    ).annotate(
        first_response=ExpressionWrapper(
            F("first_response_date") - F("created_date"), output_field=DurationField()
        )
    )
    answered_in_time = Q(
        first_response_date__isnull=False,
        first_response_date__lte=F("created_date") + RESPONSE_TARGET,
    )
    window = opened.aggregate(
        responded=Count("pk", filter=Q(first_response_date__isnull=False)),
        in_time=Count("pk", filter=answered_in_time),
        # Decided: answered within 24 h, or opened at least 24 h ago. A conversation still
        # inside its first 24 h without an answer may yet make it, so it is not counted.
        decided=Count("pk", filter=answered_in_time | Q(created_date__lte=now - RESPONSE_TARGET)),
    )

    median = None
    responded = window["responded"]
    if responded:
        middle = (responded - 1) // 2
        values = list(
            opened.filter(first_response_date__isnull=False)
            .order_by("first_response", "pk")
            .values_list("first_response", flat=True)[middle : responded // 2 + 1]
        )
        median = sum(value.total_seconds() for value in values) / len(values)

    decided = window["decided"]
    return SellerStats(
        unanswered=waiting["count"],
        oldest_unanswered_since=waiting["oldest"],
        median_first_response_seconds_30d=median,
        answered_within_24h_ratio_30d=round(window["in_time"] / decided, 4) if decided else None,
        unread_conversations=Conversation.objects.filter(
            datasource=datasource, seller_unread_count__gt=0
        ).count(),
    )
