"""Reads of conversations. Every queryset leaves here with everything the output serializer
touches already joined or prefetched, so a page costs a fixed number of queries."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import Count, Exists, Max, Model, OuterRef, QuerySet, Subquery, Value
from django.http import Http404

from parley.catalog.models import OrderItem, Product, ProductImage
from parley.conversations.models import (
    CONVERSATION_ORDERING,
    Conversation,
    ConversationType,
    ItemContent,
    Message,
    MessageRow,
    WriterType,
)
from parley.core.compiled import compiled_query

# Filters that the customer and the seller listings share; each value is already validated
# (see `ConversationFilterSerializer`).
SHARED_FILTERS = ("conversation_type", "is_answered", "item_content", "item_id", "datasource")


def message_queryset_visible() -> QuerySet[Message]:
    """Messages an API answer may show: hidden ones never leave the database. The one place
    that says which messages are visible; every read and the moderation recompute use it."""
    return Message.objects.filter(is_hidden=False).order_by("created_date", "id")


def message_queryset_visible_by(writer: str) -> QuerySet[Message]:
    """For a subquery: the visible messages that `writer` wrote in the outer query's
    conversation."""
    return message_queryset_visible().filter(conversation=OuterRef("pk"), content_type=writer)


def conversation_queryset_prefetched() -> QuerySet[Conversation]:
    """All conversations, newest activity first, ready for `ConversationOutputSerializer`:
    user and seller joined; the visible messages, oldest first, in `visible_messages`; the
    item (product with its images, or order item with its order and product) in
    `item_object`. Four to six queries for any number of conversations."""
    return (
        Conversation.objects.select_related("user", "datasource")
        # Custom prefetchers (models.PagePrefetcher), which the mypy plugin cannot see.
        .prefetch_related("visible_messages", "item_object")  # type: ignore[misc]
        .order_by(*CONVERSATION_ORDERING)
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
    return queryset.filter(**lookups)


def conversation_list_for_user(
    user: Any, filters: Mapping[str, Any] | None = None
) -> "ConversationRowsQuery":
    """The user's conversations, to paginate; then `conversation_rows_fetch` the page."""
    filters = filters or {}
    if all(value is None for value in filters.values()):
        return ConversationRowsQuery(owner=("user_id", user.pk))
    return ConversationRowsQuery(
        conversation_queryset_filter(
            Conversation.objects.filter(user=user).order_by(*CONVERSATION_ORDERING), filters
        )
    )


def conversation_get_for_user(user: Any, conversation_id: int) -> "ConversationRows":
    """The user's own conversation as a page of one, or 404 (whether it is someone else's or
    does not exist)."""
    return conversation_rows_get(
        column="user_id", owner_id=user.pk, conversation_id=conversation_id
    )


def visible_messages_fetch(
    conversations: Iterable[Conversation],
) -> dict[int, list[MessageRow]]:
    """The visible messages of the conversations, oldest first, by conversation id: one
    query, rows rather than model instances (a page of 100 conversations may hold thousands)."""
    ids = {conversation.pk for conversation in conversations}
    found: dict[int, list[MessageRow]] = {}
    if not ids:
        return found
    rows = (
        message_queryset_visible().filter(conversation_id__in=ids).values_list(*MessageRow._fields)
    )
    for row in rows:
        message = MessageRow._make(row)
        found.setdefault(message.conversation_id, []).append(message)
    return found


class ProductImageRow(NamedTuple):
    """A product image as the APIs show it, read-only (see `MessageRow`)."""

    id: int
    product_id: int
    image: str
    order: int
    height: int | None
    width: int | None

    @property
    def pk(self) -> int:
        return self.id


def item_objects_fetch(conversations: Iterable[Conversation]) -> dict[tuple[str, int], Model]:
    """The items that the conversations name, keyed by (item_content, item_id).

    At most three queries whatever the number of conversations: the order items with their
    orders, then every product (the ones named directly and the order items' ones) with its
    images. A page without items runs none, a page with products only runs two.
    """
    product_kind, orderitem_kind = ItemContent.PRODUCT.value, ItemContent.ORDERITEM.value
    wanted: dict[str, set[int]] = {product_kind: set(), orderitem_kind: set()}
    for conversation in conversations:
        if conversation.item_content in wanted and conversation.item_id is not None:
            wanted[conversation.item_content].add(conversation.item_id)

    order_items: list[OrderItem] = []
    if wanted[orderitem_kind]:
        order_items = list(
            OrderItem.objects.filter(pk__in=wanted[orderitem_kind]).select_related("order")
        )
    product_ids = wanted[product_kind] | {item.product_id for item in order_items}
    products: dict[int, Product] = {}
    if product_ids:
        products = {product.pk: product for product in Product.objects.filter(pk__in=product_ids)}
        images: dict[int, list[ProductImageRow]] = {product_id: [] for product_id in products}
        rows = (
            ProductImage.objects.filter(product_id__in=list(products))
            .order_by("order", "id")
            .values_list(*ProductImageRow._fields)
        )
        for row in rows:
            image = ProductImageRow._make(row)
            images[image.product_id].append(image)
        for product_id, product in products.items():
            # Where prefetch_related("product_images") leaves its result, so the serializers
            # and `product.product_images.all()` read it; rows, not models: Django's nested
            # prefetch of the images cost more than the rest of the items together.
            product._prefetched_objects_cache = {"product_images": images[product_id]}  # type: ignore[attr-defined]

    found: dict[tuple[str, int], Model] = {}
    for product_id in wanted[product_kind]:
        if product_id in products:
            found[(product_kind, product_id)] = products[product_id]
    for item in order_items:
        item.product = products[item.product_id]
        found[(orderitem_kind, item.pk)] = item
    return found


# --- Pages as rows ---------------------------------------------------------------------------
# The list and detail endpoints read their page as tuples (`values_list`), the conversation
# joined to its user and seller in one row, and render them straight into the answer
# (`serializers.conversation_rows_render`): no model instances, no DRF fields. Model
# instances of a page of 100 conversations and their messages, items and images cost most
# of a request.

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
CONVERSATION_COLUMNS = (
    "id",
    "conversation_type",
    "item_content",
    "item_id",
    "is_answered",
    "subject",
    "last_message_date",
    "is_public",
)
# The columns of one row of `conversation_queryset_rows()`, in order.
CONVERSATION_ROW_COLUMNS = (
    *CONVERSATION_COLUMNS,
    *(f"user__{name}" for name in USER_COLUMNS),
    *(f"datasource__{name}" for name in DATASOURCE_COLUMNS),
)
USER_OFFSET = len(CONVERSATION_COLUMNS)
DATASOURCE_OFFSET = USER_OFFSET + len(USER_COLUMNS)


def conversation_queryset_rows() -> QuerySet[Conversation]:
    """All conversations, newest activity first, as tuples of `CONVERSATION_ROW_COLUMNS`
    (user and seller joined); filter it like any queryset, then hand a page of it to
    `conversation_rows_fetch`."""
    return Conversation.objects.order_by(*CONVERSATION_ORDERING).values_list(
        *CONVERSATION_ROW_COLUMNS
    )


PRODUCT_IMAGE_COLUMNS = tuple(
    f"product_images__{name}" for name in ProductImageRow._fields if name != "product_id"
)


class ConversationRowsQuery:
    """Filtered conversations for a paginator: counted on the conversation table alone (the
    joins of the rows would make PostgreSQL count through the user and seller tables too),
    sliced into rows of `conversation_queryset_rows()`.

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
        self.queryset = queryset
        self.owner = owner

    def count(self) -> int:
        if self.queryset is not None:
            return self.queryset.count()
        assert self.owner is not None
        column, owner_id = self.owner
        found = _owned_count.rows(owner_id, column=column)
        return found[0][0] if found else 0

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> Any:
        if self.queryset is not None:
            return self.queryset.values_list(*CONVERSATION_ROW_COLUMNS)[key]
        assert self.owner is not None
        column, owner_id = self.owner
        return _owned_page.rows(owner_id, column=column, start=key.start, stop=key.stop)

    def page_with_total(self, start: int, stop: int) -> tuple[list[tuple[Any, ...]], int] | None:
        """The page and the number of conversations in one query, for the usual page; None
        for a filtered listing, or when the page is empty (the total is then unknown)."""
        if self.owner is None:
            return None
        column, owner_id = self.owner
        found = _owned_page_counted.rows(owner_id, column=column, start=start, stop=stop)
        if not found:
            return None
        return [row[:-1] for row in found], found[0][-1]

    def explain(self, key: slice) -> str:
        """The database's plan for this page."""
        if self.queryset is not None:
            return self.queryset.values_list(*CONVERSATION_ROW_COLUMNS)[key].explain()
        assert self.owner is not None
        column, owner_id = self.owner
        return _owned_page.explain(owner_id, column=column, start=key.start, stop=key.stop)


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


def conversation_rows_get(
    *, column: str, owner_id: int, conversation_id: int
) -> "ConversationRows":
    """The conversation as a page of one if `column` (`user_id`, `datasource_id`) names its
    owner, or 404 (whether it is someone else's or does not exist)."""
    rows = _owned_one.rows(owner_id, conversation_id, column=column)
    if not rows:
        raise Http404("No Conversation matches the given query.")
    return conversation_rows_fetch(rows)


@compiled_query
def _visible_messages_of(conversation_ids: list[int]) -> QuerySet[Message]:
    return (
        message_queryset_visible()
        .filter(conversation_id__in=conversation_ids)
        .values_list(*MessageRow._fields)
    )


@compiled_query
def _order_items_of(order_item_ids: list[int]) -> QuerySet[OrderItem, tuple[Any, ...]]:
    return OrderItem.objects.filter(pk__in=order_item_ids).values_list(
        "id", "order_id", "order__number", "product_id"
    )


@compiled_query
def _products_with_images_of(product_ids: list[int]) -> QuerySet[Product]:
    # Products and their images in one query: a product without images is one row of NULL
    # image columns (LEFT OUTER JOIN).
    return (
        Product.objects.filter(pk__in=product_ids)
        .order_by("id", "product_images__order", "product_images__id")
        .values_list("id", "sku", "name", *PRODUCT_IMAGE_COLUMNS)
    )


class OrderItemRow(NamedTuple):
    id: int
    order_id: int
    order_number: str
    product_id: int


class ProductRow(NamedTuple):
    id: int
    sku: str
    name: str


class ConversationRows(NamedTuple):
    """A page of conversations and everything their answer shows, as plain rows."""

    conversations: list[tuple[Any, ...]]
    # Visible messages, oldest first, by conversation id: tuples of `MessageRow._fields`.
    messages: dict[int, list[tuple[Any, ...]]]
    order_items: dict[int, OrderItemRow]
    products: dict[int, ProductRow]
    # By product id, in the answer's order: tuples of `ProductImageRow._fields`.
    images: dict[int, list[tuple[Any, ...]]]


def conversation_rows_fetch(conversations: Iterable[Any]) -> ConversationRows:
    """Everything a page of `conversation_queryset_rows()` shows: one query for the visible
    messages, then at most two for the items (order items with their orders, products with
    their images), none for a page without items, one for a page of products only."""
    page = list(conversations)
    messages: dict[int, list[tuple[Any, ...]]] = {}
    order_items: dict[int, OrderItemRow] = {}
    products: dict[int, ProductRow] = {}
    images: dict[int, list[tuple[Any, ...]]] = {}
    if not page:
        return ConversationRows(page, messages, order_items, products, images)

    for row in _visible_messages_of.rows([row[0] for row in page]):
        if row[1] in messages:
            messages[row[1]].append(row)
        else:
            messages[row[1]] = [row]

    product_kind, orderitem_kind = ItemContent.PRODUCT.value, ItemContent.ORDERITEM.value
    product_ids: set[int] = set()
    orderitem_ids: set[int] = set()
    for row in page:
        if row[3] is not None:
            if row[2] == product_kind:
                product_ids.add(row[3])
            elif row[2] == orderitem_kind:
                orderitem_ids.add(row[3])
    if orderitem_ids:
        for item in _order_items_of.rows(sorted(orderitem_ids)):
            order_items[item[0]] = OrderItemRow._make(item)
            product_ids.add(item[3])
    if product_ids:
        for row in _products_with_images_of.rows(sorted(product_ids)):
            product_id = row[0]
            if product_id not in products:
                products[product_id] = ProductRow(product_id, row[1], row[2])
                images[product_id] = []
            if row[3] is not None:
                images[product_id].append((row[3], product_id, *row[4:]))
    return ConversationRows(page, messages, order_items, products, images)


# --- Public questions ------------------------------------------------------------------------


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


def public_question_list(*, product_id: int, datasource_id: int) -> QuerySet[Conversation]:
    """The product's public questions that hold at least one visible seller message, newest
    activity first, with the seller joined and the visible messages in `visible_messages`."""
    return (
        Conversation.objects.filter(
            item_content=ItemContent.PRODUCT,
            item_id=product_id,
            datasource_id=datasource_id,
            conversation_type=ConversationType.QUESTION,
            is_public=True,
        )
        .filter(Exists(message_queryset_visible_by(WriterType.DATASOURCE)))
        .select_related("user", "datasource")
        # A custom prefetcher (conversations' PagePrefetcher), which the mypy plugin cannot see.
        .prefetch_related("visible_messages")  # type: ignore[misc]
        .order_by(*CONVERSATION_ORDERING)
    )
