"""A page of conversations, read and rendered in one place: the customer's list and detail,
the seller's list and detail (`parley.sellers.selectors` only narrows them to the seller; the
seller's objects add the two keys of API.md §7), a product's public questions, and the unread
summaries behind the storefront's badge and the seller's (`unread_summary`, from the counts
kept on each conversation). The seller inbox's web pages read their items here too
(`item_objects_fetch`).

A page is read as tuples (`values_list`): each conversation joined to its user and seller in
one row of `ROW_COLUMNS`; then the visible messages and the items of the whole page, at most
three more queries whatever the page size; then the rows go straight into the answer's dicts.
No model instances and no DRF fields: for a page of 100 conversations those cost most of a
request (docs/PERFORMANCE.md). The declared serializers (`ConversationOutputSerializer`,
`PublicQuestionSerializer` in `serializers.py`) describe the same objects for the OpenAPI
schema, and the tests hold this module's answers equal to theirs.

Every position in a row comes from the column lists below: to show one more user field, add it
to `USER_COLUMNS` and to the declared serializer.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Count, Max, OuterRef, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from parley.catalog.models import OrderItem, Product
from parley.conversations.models import (
    CONVERSATION_ORDERING,
    Attachment,
    Conversation,
    ConversationType,
    ItemContent,
    Message,
    WriterType,
)
from parley.conversations.selectors import (
    attachment_visible_to,
    conversation_queryset_filter,
    message_queryset_visible,
    public_question_queryset,
)
from parley.core.compiled import compiled_query
from parley.similar import selectors as similar_selectors

# --- The columns, and the positions derived from them ---------------------------------------

CONVERSATION_COLUMNS = (
    "id",
    "conversation_type",
    "item_content",
    "item_id",
    "is_answered",
    "subject",
    "last_message_date",
    "is_public",
    # The seller's objects add these two (API.md §7); the customer's keep exactly §4's keys.
    "seller_unread_count",
    "customer_last_read_message_id",
)
USER_COLUMNS = ("id", "first_name", "last_name", "gender", "email", "phone")
DATASOURCE_COLUMNS = (
    "id",
    "name",
    "title",
    "slug",
    "supplier_code",
    "mersis_number",
    "kep_address",
    "phone_number",
    "fax_number",
    "email",
    "is_active",
    "trade_association",
    "price_list",
    "stock_list",
    "address",
    "extras",
)
# One row of a conversation page: the conversation, its user, its seller.
ROW_COLUMNS = (
    *CONVERSATION_COLUMNS,
    *(f"user__{name}" for name in USER_COLUMNS),
    *(f"datasource__{name}" for name in DATASOURCE_COLUMNS),
)
MESSAGE_COLUMNS = (
    "id",
    "conversation_id",
    "message_content",
    "content_type",
    "content_id",
    "user_type",
    "created_date",
    "has_attachments",
)
ORDER_ITEM_COLUMNS = ("id", "order_id", "order__number", "product_id")
PRODUCT_COLUMNS = ("id", "sku", "name")
IMAGE_COLUMNS = ("id", "image", "order", "height", "width")
# A product and one of its images per row (NULL image columns for a product without any).
PRODUCT_IMAGE_ROW_COLUMNS = (
    *PRODUCT_COLUMNS,
    *(f"product_images__{name}" for name in IMAGE_COLUMNS),
)
PUBLIC_QUESTION_COLUMNS = (
    "id",
    "subject",
    "conversation_type",
    "last_message_date",
    "datasource__id",
    "datasource__name",
    "datasource__title",
    "user__first_name",
    "user__last_name",
)

# The API's names: the seller object says `pk` for its id; the user's are the columns'.
USER_KEYS = USER_COLUMNS
DATASOURCE_KEYS = ("pk", *DATASOURCE_COLUMNS[1:])


def _positions(columns: tuple[str, ...], *names: str) -> list[int]:
    """Where each of `names` sits in a row of `columns`."""
    return [columns.index(name) for name in names]


(
    ID,
    CONVERSATION_TYPE,
    ITEM_CONTENT,
    ITEM_ID,
    IS_ANSWERED,
    SUBJECT,
    LAST_MESSAGE_DATE,
    IS_PUBLIC,
    SELLER_UNREAD_COUNT,
    CUSTOMER_LAST_READ,
    USER_ID,
    DATASOURCE_ID,
) = _positions(
    ROW_COLUMNS,
    "id",
    "conversation_type",
    "item_content",
    "item_id",
    "is_answered",
    "subject",
    "last_message_date",
    "is_public",
    "seller_unread_count",
    "customer_last_read_message_id",
    "user__id",
    "datasource__id",
)
USER = slice(USER_ID, USER_ID + len(USER_COLUMNS))
DATASOURCE = slice(DATASOURCE_ID, DATASOURCE_ID + len(DATASOURCE_COLUMNS))
(
    MESSAGE_ID,
    MESSAGE_CONVERSATION,
    MESSAGE_CONTENT,
    MESSAGE_CONTENT_TYPE,
    MESSAGE_CONTENT_ID,
    MESSAGE_USER_TYPE,
    MESSAGE_CREATED,
    MESSAGE_HAS_ATTACHMENTS,
) = _positions(
    MESSAGE_COLUMNS,
    "id",
    "conversation_id",
    "message_content",
    "content_type",
    "content_id",
    "user_type",
    "created_date",
    "has_attachments",
)
ORDER_ITEM_ID, ORDER_ITEM_ORDER, ORDER_ITEM_NUMBER, ORDER_ITEM_PRODUCT = _positions(
    ORDER_ITEM_COLUMNS, "id", "order_id", "order__number", "product_id"
)
(
    PRODUCT_ID,
    PRODUCT_SKU,
    PRODUCT_NAME,
    IMAGE_ID,
    IMAGE_IMAGE,
    IMAGE_ORDER,
    IMAGE_HEIGHT,
    IMAGE_WIDTH,
) = _positions(
    PRODUCT_IMAGE_ROW_COLUMNS,
    "id",
    "sku",
    "name",
    "product_images__id",
    "product_images__image",
    "product_images__order",
    "product_images__height",
    "product_images__width",
)
(
    PUBLIC_ID,
    PUBLIC_SUBJECT,
    PUBLIC_TYPE,
    PUBLIC_LAST_MESSAGE_DATE,
    PUBLIC_DATASOURCE_ID,
    PUBLIC_DATASOURCE_NAME,
    PUBLIC_DATASOURCE_TITLE,
    PUBLIC_FIRST_NAME,
    PUBLIC_LAST_NAME,
) = _positions(
    PUBLIC_QUESTION_COLUMNS,
    "id",
    "subject",
    "conversation_type",
    "last_message_date",
    "datasource__id",
    "datasource__name",
    "datasource__title",
    "user__first_name",
    "user__last_name",
)


# --- Reading a page of conversations --------------------------------------------------------


def conversation_queryset_rows() -> QuerySet[Conversation]:
    """All conversations, newest activity first, as tuples of `ROW_COLUMNS`; filter it like
    any queryset."""
    return Conversation.objects.order_by(*CONVERSATION_ORDERING).values_list(*ROW_COLUMNS)


class ConversationPageQuery:
    """Conversations for a paginator (`parley.core.pagination`): counted on the conversation
    table alone (the joins of the rows would make PostgreSQL count through the user and seller
    tables too), sliced into rows of `ROW_COLUMNS`.

    Give it either a filtered queryset, or the `owner` alone, `(column, id)`, for the usual
    page (all of a user's or a seller's conversations), which runs compiled queries
    (`parley.core.compiled`) and builds no queryset at all."""

    ordered = True

    def __init__(
        self,
        queryset: QuerySet[Conversation] | None = None,
        *,
        owner: tuple[str, int] | None = None,
    ) -> None:
        if (queryset is None) == (owner is None):
            raise TypeError("give a queryset or an owner")
        self.queryset: QuerySet[Conversation] | None = queryset
        self.owner: tuple[str, int] = owner or ("", 0)

    def count(self) -> int:
        if self.queryset is not None:
            return self.queryset.count()
        column, owner_id = self.owner
        found = _owned_count.rows(owner_id, column=column)
        return found[0][0] if found else 0

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> Any:
        if self.queryset is not None:
            return self.queryset.values_list(*ROW_COLUMNS)[key]
        column, owner_id = self.owner
        return _owned_page.rows(owner_id, column=column, start=key.start, stop=key.stop)

    def page_with_total(self, start: int, stop: int) -> tuple[list[tuple[Any, ...]], int] | None:
        """The page and the number of conversations in one query, for the usual page; None
        for a filtered listing, or when the page is empty (the total is then unknown)."""
        if self.queryset is not None:
            return None
        column, owner_id = self.owner
        found = _owned_page_counted.rows(owner_id, column=column, start=start, stop=stop)
        if not found:
            return None
        return [row[:-1] for row in found], found[0][-1]

    def explain(self, key: slice) -> str:
        """The database's plan for this page."""
        if self.queryset is not None:
            return self.queryset.values_list(*ROW_COLUMNS)[key].explain()
        column, owner_id = self.owner
        return _owned_page.explain(owner_id, column=column, start=key.start, stop=key.stop)


def conversation_page_query(
    column: str, owner_id: int, filters: Mapping[str, Any] | None = None
) -> ConversationPageQuery:
    """The conversations whose `column` (`user_id`, `datasource_id`) is `owner_id`, newest
    activity first, narrowed by the validated listing filters; None values filter nothing."""
    filters = filters or {}
    if all(value is None for value in filters.values()):
        return ConversationPageQuery(owner=(column, owner_id))
    queryset = Conversation.objects.filter(**{column: owner_id}).order_by(*CONVERSATION_ORDERING)
    return ConversationPageQuery(conversation_queryset_filter(queryset, filters))


def conversation_list_for_user(
    user: Any, filters: Mapping[str, Any] | None = None
) -> ConversationPageQuery:
    """The user's conversations, to paginate and hand to `conversation_page_render`."""
    return conversation_page_query("user_id", user.pk, filters)


def conversation_get_for_user(user: Any, conversation_id: int) -> dict[str, Any]:
    """The user's own conversation, rendered, or 404 (whether it is someone else's or does not
    exist)."""
    return conversation_get(column="user_id", owner_id=user.pk, conversation_id=conversation_id)


def conversation_get(*, column: str, owner_id: int, conversation_id: int) -> dict[str, Any]:
    """The conversation, rendered, if `column` (`user_id`, `datasource_id`) names its owner;
    404 otherwise (whether it is someone else's or does not exist). The seller's object
    (`datasource_id`) carries the seller's keys of API.md §7."""
    rows = _owned_one.rows(owner_id, conversation_id, column=column)
    if not rows:
        raise Http404("No Conversation matches the given query.")
    return conversation_page_render(rows, seller=column == "datasource_id")[0]


@compiled_query
def _owned_count(owner_id: int, *, column: str) -> QuerySet[Conversation]:
    # One row, the count, when the owner has any conversation; none when not.
    return (
        Conversation.objects.filter(**{column: owner_id})
        .order_by()
        .values(column)
        .annotate(total=Count("id"))
        .values_list("total")
    )


@compiled_query
def _owned_page(owner_id: int, *, column: str, start: int, stop: int) -> QuerySet[Conversation]:
    return conversation_queryset_rows().filter(**{column: owner_id})[start:stop]


@compiled_query
def _owned_page_counted(
    owner_id: int, *, column: str, start: int, stop: int
) -> QuerySet[Conversation]:
    # Each row ends with the owner's count, an uncorrelated subquery that PostgreSQL runs
    # once (an InitPlan) and SQLite once per statement.
    total = Subquery(_owned_count.build(owner_id, column=column))
    return (
        conversation_queryset_rows().filter(**{column: owner_id}).annotate(total=total)[start:stop]
    )


@compiled_query
def _owned_one(owner_id: int, conversation_id: int, *, column: str) -> QuerySet[Conversation]:
    return conversation_queryset_rows().filter(**{column: owner_id, "pk": conversation_id})


@compiled_query
def _visible_messages_of(conversation_ids: list[int]) -> QuerySet[Message]:
    return (
        message_queryset_visible()
        .filter(conversation_id__in=conversation_ids)
        .values_list(*MESSAGE_COLUMNS)
    )


@compiled_query
def _order_items_of(order_item_ids: list[int]) -> QuerySet[OrderItem, tuple[Any, ...]]:
    return OrderItem.objects.filter(pk__in=order_item_ids).values_list(*ORDER_ITEM_COLUMNS)


@compiled_query
def _products_with_images_of(product_ids: list[int]) -> QuerySet[Product]:
    # Products and their images in one query: a product without images is one row of NULL
    # image columns (LEFT OUTER JOIN).
    return (
        Product.objects.filter(pk__in=product_ids)
        .order_by("id", "product_images__order", "product_images__id")
        .values_list(*PRODUCT_IMAGE_ROW_COLUMNS)
    )


def _messages_by_conversation(conversation_ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    """The visible messages of the conversations, oldest first, by conversation id."""
    messages: dict[int, list[tuple[Any, ...]]] = {}
    for row in _visible_messages_of.rows(conversation_ids):
        conversation_id = row[MESSAGE_CONVERSATION]
        if conversation_id in messages:
            messages[conversation_id].append(row)
        else:
            messages[conversation_id] = [row]
    return messages


# An item as a conversation names it: `(item_content, item_id)`.
ItemKey = tuple[str | None, int | None]


def conversation_rows_fetch(
    rows: Iterable[tuple[Any, ...]],
) -> tuple[list[tuple[Any, ...]], dict[int, list[tuple[Any, ...]]], dict[ItemKey, Any]]:
    """Everything a page of rows shows besides the rows: the visible messages by conversation
    (one query) and the rendered items (`item_objects_fetch`)."""
    page = list(rows)
    if not page:
        return page, {}, {}
    messages = _messages_by_conversation([row[ID] for row in page])
    items = item_objects_fetch((row[ITEM_CONTENT], row[ITEM_ID]) for row in page)
    return page, messages, items


def item_objects_fetch(keys: Iterable[ItemKey]) -> dict[ItemKey, Any]:
    """The `item_object`s that `(item_content, item_id)` pairs name, rendered as the API shows
    them, by pair; a pair naming nothing is absent. No query without items, one for products
    only, two with order items (the seller inbox reads its pages' items here too)."""
    product_kind, orderitem_kind = ItemContent.PRODUCT.value, ItemContent.ORDERITEM.value
    product_ids: set[int] = set()
    orderitem_ids: set[int] = set()
    for item_content, item_id in keys:
        if item_id is not None:
            if item_content == product_kind:
                product_ids.add(item_id)
            elif item_content == orderitem_kind:
                orderitem_ids.add(item_id)
    order_items = _order_items_of.rows(sorted(orderitem_ids)) if orderitem_ids else []
    product_ids.update(item[ORDER_ITEM_PRODUCT] for item in order_items)

    products: dict[int, dict[str, Any]] = {}
    if product_ids:
        for row in _products_with_images_of.rows(sorted(product_ids)):
            product_id = row[PRODUCT_ID]
            if product_id not in products:
                products[product_id] = {
                    "pk": product_id,
                    "sku": row[PRODUCT_SKU],
                    "name": row[PRODUCT_NAME],
                    "product_images": [],
                }
            if row[IMAGE_ID] is not None:
                products[product_id]["product_images"].append(
                    {
                        "pk": row[IMAGE_ID],
                        "product": product_id,
                        "image": row[IMAGE_IMAGE],
                        "order": row[IMAGE_ORDER],
                        "height": row[IMAGE_HEIGHT],
                        "width": row[IMAGE_WIDTH],
                    }
                )
    items: dict[ItemKey, Any] = {
        (product_kind, product_id): product for product_id, product in products.items()
    }
    for item in order_items:
        items[(orderitem_kind, item[ORDER_ITEM_ID])] = {
            "pk": item[ORDER_ITEM_ID],
            "order": item[ORDER_ITEM_ORDER],
            "order_number": item[ORDER_ITEM_NUMBER],
            "product": products[item[ORDER_ITEM_PRODUCT]],
        }
    return items


# --- Rendering a page of conversations ------------------------------------------------------

_datetime_field = serializers.DateTimeField()


def datetime_renderer() -> Callable[[Any], str | None]:
    """What DRF's DateTimeField renders (ISO 8601 in the current time zone, `Z` for UTC),
    without its per-value overhead; any other configured format goes through DRF itself."""
    if str(api_settings.DATETIME_FORMAT).lower() != ISO_8601 or not settings.USE_TZ:
        return _datetime_field.to_representation
    zone = timezone.get_current_timezone()

    def render(value: Any) -> str | None:
        if value is None:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return render


ATTACHMENT_COLUMNS = ("message_id", "public_id", "name", "size", "content_type")


def seller_attachments_fetch(
    messages: dict[int, list[tuple[Any, ...]]],
) -> dict[int, list[dict[str, Any]]]:
    """The attachments the seller may see (API.md §8) of a page's visible messages, rendered
    as `AttachmentOutputSerializer` declares them, by message id: one query, none when no
    message of the page has any (`Message.has_attachments`)."""
    message_ids = [
        row[MESSAGE_ID]
        for rows in messages.values()
        for row in rows
        if row[MESSAGE_HAS_ATTACHMENTS]
    ]
    found: dict[int, list[dict[str, Any]]] = {}
    if not message_ids:
        return found
    rows = (
        Attachment.objects.filter(message_id__in=message_ids)
        .filter(attachment_visible_to(WriterType.DATASOURCE))
        .order_by("created_at", "id")
        .values_list(*ATTACHMENT_COLUMNS)
    )
    for message_id, public_id, name, size, content_type in rows:
        found.setdefault(message_id, []).append(
            {"id": public_id, "name": name, "size": size, "content_type": content_type}
        )
    return found


def conversation_rows_render(
    page: list[tuple[Any, ...]],
    messages: dict[int, list[tuple[Any, ...]]],
    items: dict[ItemKey, Any],
    *,
    seller: bool = False,
    attachments: dict[int, list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """The conversation objects of API.md §4 for a page and what `conversation_rows_fetch`
    read for it; what `ConversationOutputSerializer` declares, key for key. With `seller`,
    the seller's object: `SellerConversationOutputSerializer`, §4's keys and §7's two."""
    _datetime = datetime_renderer()
    users: dict[int, dict[str, Any]] = {}
    datasources: dict[int, dict[str, Any]] = {}
    no_messages: list[tuple[Any, ...]] = []
    answer = []
    for row in page:
        user_id = row[USER_ID]
        user = users.get(user_id)
        if user is None:
            user = users[user_id] = dict(zip(USER_KEYS, row[USER], strict=True))
        datasource_id = row[DATASOURCE_ID]
        datasource = datasources.get(datasource_id)
        if datasource is None:
            datasource = datasources[datasource_id] = dict(
                zip(DATASOURCE_KEYS, row[DATASOURCE], strict=True)
            )
        item_content, item_id = row[ITEM_CONTENT], row[ITEM_ID]
        answer.append(
            {
                "id": row[ID],
                "conversation_type": row[CONVERSATION_TYPE],
                "item_object": None if item_id is None else items.get((item_content, item_id)),
                "is_answered": row[IS_ANSWERED],
                "subject": row[SUBJECT],
                "message_set": [
                    {
                        "id": message[MESSAGE_ID],
                        "message_content": message[MESSAGE_CONTENT],
                        "content_type": message[MESSAGE_CONTENT_TYPE],
                        "content_id": message[MESSAGE_CONTENT_ID],
                        "user_type": message[MESSAGE_USER_TYPE],
                        "created_date": _datetime(message[MESSAGE_CREATED]),
                    }
                    for message in messages.get(row[ID], no_messages)
                ],
                "user": user,
                "last_message_date": _datetime(row[LAST_MESSAGE_DATE]),
                "is_public": row[IS_PUBLIC],
                "item_content": item_content,
                "datasource": datasource,
            }
        )
        if seller:
            answer[-1]["unread_count"] = row[SELLER_UNREAD_COUNT]
            answer[-1]["customer_last_read_message_id"] = row[CUSTOMER_LAST_READ]
            # The seller's message objects list their attachments (API.md §8).
            by_message = attachments or {}
            for message in answer[-1]["message_set"]:
                message["attachments"] = by_message.get(message["id"], [])
    return answer


def conversation_page_render(
    rows: Iterable[tuple[Any, ...]], *, seller: bool = False
) -> list[dict[str, Any]]:
    """A page of rows of `ROW_COLUMNS` as the API answers it (list and detail, customer and,
    with `seller`, the seller's)."""
    page, messages, items = conversation_rows_fetch(rows)
    attachments = seller_attachments_fetch(messages) if seller else None
    return conversation_rows_render(page, messages, items, seller=seller, attachments=attachments)


def seller_conversation_page_render(rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The seller's list page (`paginated_response` takes a one-argument renderer)."""
    return conversation_page_render(rows, seller=True)


# --- Unread counts (API.md §7) ---------------------------------------------------------------

UNREAD_MAP_LIMIT = 100
UNREAD_COUNT_COLUMN = {"user_id": "customer_unread_count", "datasource_id": "seller_unread_count"}


class UnreadSummary(NamedTuple):
    total_conversations: int
    total_messages: int
    # By conversation id, at most UNREAD_MAP_LIMIT, newest activity first.
    conversations: dict[int, int]
    has_more: bool


@compiled_query
def _unread_newest(owner_id: int, *, column: str) -> QuerySet[Conversation]:
    count = UNREAD_COUNT_COLUMN[column]
    # The partial index conv_*_unread_activity holds exactly these rows, in this order.
    return (
        Conversation.objects.filter(**{column: owner_id, f"{count}__gt": 0})
        .order_by(*CONVERSATION_ORDERING)
        .values_list("id", count)[: UNREAD_MAP_LIMIT + 1]
    )


@compiled_query
def _unread_totals(owner_id: int, *, column: str) -> QuerySet[Conversation]:
    count = UNREAD_COUNT_COLUMN[column]
    return (
        Conversation.objects.filter(**{column: owner_id, f"{count}__gt": 0})
        .order_by()
        .values(column)
        .annotate(conversations=Count("id"), messages=Sum(count))
        .values_list("conversations", "messages")
    )


def unread_summary(*, column: str, owner_id: int) -> UnreadSummary:
    """The owner's (`user_id` or `datasource_id`) unread conversations, from the kept counts:
    one query, and a second for the totals only when there are more than the map holds."""
    rows = _unread_newest.rows(owner_id, column=column)
    has_more = len(rows) > UNREAD_MAP_LIMIT
    rows = rows[:UNREAD_MAP_LIMIT]
    conversations = dict(rows)
    if not has_more:
        return UnreadSummary(len(rows), sum(conversations.values()), conversations, False)
    totals = _unread_totals.rows(owner_id, column=column)
    return UnreadSummary(totals[0][0], int(totals[0][1]), conversations, True)


def unread_summary_render(summary: UnreadSummary) -> dict[str, Any]:
    """`UnreadSummaryOutputSerializer`'s object (map keys are strings in JSON)."""
    return {
        "total_conversations": summary.total_conversations,
        "total_messages": summary.total_messages,
        "conversations": {str(key): value for key, value in summary.conversations.items()},
        "has_more": summary.has_more,
    }


# --- A product's public questions -----------------------------------------------------------


def name_mask(name: str | None) -> str:
    """`"Çağla"` → `"Ç***"`: the first letter only. An empty name stays empty."""
    name = (name or "").strip()
    return f"{name[0]}***" if name else ""


@dataclass(frozen=True)
class PublicQuestionsVersion:
    """What the public questions of a product depend on, read in one cheap query: the
    product's seller (its shown name and title), and the newest change and number of the
    product's questions, public or not (a withdrawal from public view is a change too)."""

    product_id: int
    datasource_id: int
    datasource_name: str
    datasource_title: str
    newest_change: datetime | None
    questions: int


def public_questions_version(product_id: int) -> PublicQuestionsVersion | None:
    """The product's `PublicQuestionsVersion`, or None if there is no such product.

    `modified_date` moves with every change to a conversation: a message (a new answer), a
    moderation (a hidden or shown message, a withdrawal from public view), an edit in the
    admin. A deleted question changes the count. One statement, two index-only range reads
    (`conv_item_modified`)."""
    questions = (
        Conversation.objects.filter(
            item_content=ItemContent.PRODUCT,
            item_id=OuterRef("pk"),
            conversation_type=ConversationType.QUESTION,
        )
        .order_by()
        .values("item_id")
    )
    row = (
        Product.objects.filter(pk=product_id)
        .annotate(
            newest_change=Subquery(
                questions.annotate(newest=Max("modified_date")).values("newest")
            ),
            questions=Subquery(questions.annotate(total=Count("pk")).values("total")),
        )
        .values_list(
            "pk",
            "datasource_id",
            "datasource__name",
            "datasource__title",
            "newest_change",
            "questions",
        )
        .first()
    )
    if row is None:
        return None
    product, datasource, name, title, newest_change, total = row
    return PublicQuestionsVersion(product, datasource, name, title, newest_change, total or 0)


def public_question_list(
    *, product_id: int, datasource_id: int
) -> QuerySet[Conversation, tuple[Any, ...]]:
    """The product's public questions that hold at least one visible seller message, newest
    activity first, as tuples of `PUBLIC_QUESTION_COLUMNS`, to paginate and hand to
    `public_question_page_render`."""
    return (
        public_question_queryset()
        .filter(item_id=product_id, datasource_id=datasource_id)
        .order_by(*CONVERSATION_ORDERING)
        .values_list(*PUBLIC_QUESTION_COLUMNS)
    )


def public_question_page_render(rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The public question objects (docs/conversations.md, "Public questions"): what
    `PublicQuestionSerializer` declares; the asker's names masked, nothing else about them.
    One query, the messages."""
    page = list(rows)
    if not page:
        return []
    _datetime = datetime_renderer()
    messages = _messages_by_conversation([row[PUBLIC_ID] for row in page])
    no_messages: list[tuple[Any, ...]] = []
    return [
        {
            "id": row[PUBLIC_ID],
            "subject": row[PUBLIC_SUBJECT],
            "conversation_type": row[PUBLIC_TYPE],
            "last_message_date": _datetime(row[PUBLIC_LAST_MESSAGE_DATE]),
            "datasource": {
                "pk": row[PUBLIC_DATASOURCE_ID],
                "name": row[PUBLIC_DATASOURCE_NAME],
                "title": row[PUBLIC_DATASOURCE_TITLE],
            },
            "user": {
                "first_name": name_mask(row[PUBLIC_FIRST_NAME]),
                "last_name": name_mask(row[PUBLIC_LAST_NAME]),
            },
            "message_set": [
                {
                    "id": message[MESSAGE_ID],
                    "message_content": message[MESSAGE_CONTENT],
                    "content_type": message[MESSAGE_CONTENT_TYPE],
                    "created_date": _datetime(message[MESSAGE_CREATED]),
                }
                for message in messages.get(row[PUBLIC_ID], no_messages)
            ],
        }
        for row in page
    ]


# --- Similar questions (API.md §12) ---------------------------------------------------------

# Ranked candidates read before the public filter drops any that just left public view.
SIMILAR_CANDIDATES = 10
SIMILAR_SHOWN = 3


def public_question_similar_render(product: Product, query: str) -> list[dict[str, Any]]:
    """Up to SIMILAR_SHOWN of the product's public questions most like `query`, best first,
    each as `public_question_page_render` shows it plus its `score`. A fixed number of
    queries: the ranking, then the questions and their visible messages, the last two only
    when something ranked."""
    matches = similar_selectors.similar_rank(
        product_id=product.pk, query=query, limit=SIMILAR_CANDIDATES
    )
    if not matches:
        return []
    # The vectors follow the public questions after each commit; the public filter here keeps
    # a question that left public view a moment ago out of the answer all the same.
    rows = public_question_list(product_id=product.pk, datasource_id=product.datasource_id)
    rows = rows.filter(pk__in=[match.conversation_id for match in matches])
    shown = {question["id"]: question for question in public_question_page_render(rows)}
    found = [
        {**shown[match.conversation_id], "score": match.score}
        for match in matches
        if match.conversation_id in shown
    ]
    return found[:SIMILAR_SHOWN]
