"""Reads of the seller side: tokens, the seller's conversations and their figures."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

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
    Value,
)
from django.db.models.functions import Concat
from django.http import Http404

from parley.catalog.models import DataSource, OrderItem, Product
from parley.conversations import pages
from parley.conversations.models import (
    CONVERSATION_ORDERING,
    Attachment,
    Conversation,
    ItemContent,
    Message,
    WriterType,
)
from parley.conversations.pages import ConversationPageQuery
from parley.conversations.selectors import (
    attachment_list_for_party,
    message_queryset_visible,
)
from parley.sellers import keys
from parley.sellers.models import SavedReply, SellerMembership, SellerToken

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
    """The seller's unanswered conversations: someone is waiting, since `waiting_since` (the
    first visible customer message after the seller's last visible message; kept by the
    services, `parley.conversations.selectors.waiting_since_expression` defines it). A
    conversation whose customer messages were all hidden has nobody waiting."""
    return Conversation.objects.filter(datasource=datasource, waiting_since__isnull=False)


def seller_stats(datasource: DataSource, *, now: datetime) -> SellerStats:
    """See docs/sellers.md, "Stats", for the exact definitions. Four queries: one for the
    unanswered figures (`conv_seller_waiting`), one counting the window and one reading at
    most two middle values (`conv_seller_opened`), one counting the unread."""
    waiting = conversation_queryset_waiting(datasource).aggregate(
        count=Count("pk"), oldest=Min("waiting_since")
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


# --- The seller inbox (web) ------------------------------------------------------------------


def membership_list_for_user(user: Any) -> list[SellerMembership]:
    """The user's memberships of active sellers, with the seller: one query, on every inbox
    request (a membership that ended takes effect at once)."""
    return list(
        SellerMembership.objects.filter(user=user, datasource__is_active=True)
        .select_related("datasource")
        .order_by("datasource__title", "datasource__name", "datasource_id")
    )


class InboxTab(StrEnum):
    NEEDS_REPLY = "needs_reply"
    UNREAD = "unread"
    ALL = "all"
    ARCHIVED = "archived"


def _newest_visible_message(column: str) -> Subquery:
    return Subquery(
        message_queryset_visible()
        .filter(conversation=OuterRef("pk"))
        .order_by("-created_date", "-id")
        .values(column)[:1]
    )


def inbox_search(queryset: QuerySet[Conversation], datasource: DataSource, q: str) -> Any:
    """Conversations whose subject, customer name, product (SKU or name) or order number holds
    `q`, case-insensitively. On PostgreSQL trigram indexes serve each `icontains`
    (migration sellers 0003); SQLite scans the seller's conversations."""
    products = Product.objects.filter(datasource=datasource).filter(
        Q(sku__icontains=q) | Q(name__icontains=q)
    )
    order_items = OrderItem.objects.filter(datasource=datasource).filter(
        Q(order__number__icontains=q) | Q(product__in=products.values("pk"))
    )
    return queryset.annotate(
        customer_name=Concat("user__first_name", Value(" "), "user__last_name")
    ).filter(
        Q(subject__icontains=q)
        | Q(user__first_name__icontains=q)
        | Q(user__last_name__icontains=q)
        | Q(customer_name__icontains=q)
        | Q(item_content=ItemContent.PRODUCT, item_id__in=products.values("pk"))
        | Q(item_content=ItemContent.ORDERITEM, item_id__in=order_items.values("pk"))
    )


def inbox_conversation_list(
    datasource: DataSource, *, tab: InboxTab, q: str = ""
) -> QuerySet[Conversation]:
    """A tab of the seller's inbox, ready to paginate: the customer joined, the preview (the
    newest visible message and who wrote it) in the same query; `inbox_items_attach` then
    reads the page's items (at most two queries).

    - needs_reply: waiting for the seller (docs/sellers.md, `unanswered`), oldest waiting first;
    - unread: a customer message the seller has not read; newest activity first;
    - all: every conversation not archived, newest activity first;
    - archived: the archived ones, newest activity first.
    """
    if tab == InboxTab.NEEDS_REPLY:
        queryset = conversation_queryset_waiting(datasource).order_by("waiting_since", "id")
    else:
        queryset = Conversation.objects.filter(datasource=datasource).order_by(
            *CONVERSATION_ORDERING
        )
        if tab == InboxTab.UNREAD:
            queryset = queryset.filter(seller_unread_count__gt=0)
    if tab == InboxTab.ARCHIVED:
        queryset = queryset.filter(seller_archived_at__isnull=False)
    else:
        queryset = queryset.filter(seller_archived_at__isnull=True)
    if q:
        queryset = inbox_search(queryset, datasource, q)
    return queryset.select_related("user").annotate(
        preview=_newest_visible_message("message_content"),
        preview_by=_newest_visible_message("content_type"),
    )


def inbox_items_attach(conversations: Iterable[Conversation]) -> None:
    """Give each conversation `item_object`: its product or order item as the API renders it
    (`pages.item_objects_fetch`, at most two queries for the lot), or None."""
    conversations = list(conversations)
    items = pages.item_objects_fetch(
        (conversation.item_content, conversation.item_id) for conversation in conversations
    )
    for conversation in conversations:
        key = (conversation.item_content, conversation.item_id)
        vars(conversation)["item_object"] = items.get(key)


class InboxThread(NamedTuple):
    conversation: Conversation  # with its customer
    messages: list[Message]  # the visible ones, oldest first
    item: dict[str, Any] | None  # its product or order item as the API renders it


def inbox_thread_get(datasource: DataSource, conversation_id: int) -> InboxThread:
    """The seller's conversation for the thread page (three queries at most, four with an
    order item); 404 for any other seller's."""
    conversation = (
        Conversation.objects.select_related("user")
        .filter(datasource=datasource, pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise Http404("No Conversation matches the given query.")
    messages = list(message_queryset_visible().filter(conversation=conversation))
    _attachment_lists_attach(messages)
    key = (conversation.item_content, conversation.item_id)
    return InboxThread(conversation, messages, pages.item_objects_fetch([key]).get(key))


def _attachment_lists_attach(messages: list[Message]) -> None:
    """Each message's `attachment_list`: the files the seller may see (API.md §8), read in
    one query, and only when a message has any."""
    with_files = [message.pk for message in messages if message.has_attachments]
    found: dict[int, list[Attachment]] = {}
    if with_files:
        for attachment in attachment_list_for_party(
            party=WriterType.DATASOURCE, message_ids=with_files
        ):
            found.setdefault(attachment.message_id or 0, []).append(attachment)
    for message in messages:
        message.attachment_list = found.get(message.pk, [])  # type: ignore[attr-defined]


def inbox_changed_since(datasource: DataSource) -> datetime | None:
    """The newest change of any of the seller's conversations (a message, a moderation):
    what the inbox's live refresh compares with. One probe of `conv_seller_modified`."""
    return (
        Conversation.objects.filter(datasource=datasource)
        .order_by("-modified_date")
        .values_list("modified_date", flat=True)
        .first()
    )


def conversation_modified_for_seller(datasource: DataSource, conversation_id: int) -> datetime:
    """When the seller's conversation last changed; 404 for any other."""
    found = (
        Conversation.objects.filter(datasource=datasource, pk=conversation_id)
        .values_list("modified_date", flat=True)
        .first()
    )
    if found is None:
        raise Http404("No Conversation matches the given query.")
    return found


def saved_reply_list(datasource: DataSource) -> QuerySet[SavedReply]:
    return SavedReply.objects.filter(datasource=datasource).order_by("title", "id")
