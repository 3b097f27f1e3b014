"""The conversation objects of API.md §4, shared by the customer and the seller APIs.

`ConversationOutputSerializer` declares every field (the OpenAPI schema and the reference
rendering come from the declarations) but renders with a hand-written fast path: a page of
100 conversations with their messages and images would otherwise spend most of the request
inside DRF's per-field machinery. A test keeps the fast path equal to the declared one.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from parley.accounts.serializers import UserSummarySerializer
from parley.catalog.models import DataSource, OrderItem, Product
from parley.catalog.serializers import ProductOutputSerializer
from parley.conversations.models import (
    Conversation,
    ConversationType,
    ItemContent,
    Message,
)
from parley.conversations.selectors import (
    DATASOURCE_COLUMNS,
    DATASOURCE_OFFSET,
    USER_OFFSET,
    ConversationRows,
)
from parley.core.schema import SchemaPrecision
from parley.core.validators import IdField


class OrderItemOutputSerializer(serializers.ModelSerializer[OrderItem]):
    pk = serializers.IntegerField(source="id")
    order = serializers.IntegerField(source="order_id")
    order_number = serializers.CharField(source="order.number")
    product = ProductOutputSerializer()

    class Meta:
        model = OrderItem
        fields = ("pk", "order", "order_number", "product")


# The seed's `datasource` object: the columns the page reads, with `pk` for `id`.
DATASOURCE_FIELDS = ("pk", *DATASOURCE_COLUMNS[1:])


class DataSourceOutputSerializer(serializers.ModelSerializer[DataSource]):
    pk = serializers.IntegerField(source="id")
    extras = serializers.JSONField()

    class Meta:
        model = DataSource
        fields = DATASOURCE_FIELDS


class MessageOutputSerializer(serializers.ModelSerializer[Message]):
    class Meta:
        model = Message
        fields = (
            "id",
            "message_content",
            "content_type",
            "content_id",
            "user_type",
            "created_date",
        )


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="ConversationItem",
        serializers=[ProductOutputSerializer, OrderItemOutputSerializer],
        resource_type_field_name=None,
        many=False,
        allow_null=True,
    )
)
class ItemObjectField(serializers.Field):
    """The product or the order item that the conversation is about, or null."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, conversation: Conversation) -> Any:
        item = conversation.item_object
        if item is None:
            return None
        if conversation.item_content == ItemContent.ORDERITEM:
            return OrderItemOutputSerializer(item).data
        return ProductOutputSerializer(item).data


class ConversationOutputSerializer(serializers.Serializer):
    """The conversation object of API.md §4 (list and detail, customer and seller).

    Give it conversations from `selectors.conversation_queryset_prefetched()`, which loads the
    visible messages and the item of a whole page in a fixed number of queries. Any other
    conversation renders correctly too (both attributes load themselves, hidden messages
    excluded), at a few queries per conversation."""

    id = serializers.IntegerField()
    conversation_type = serializers.ChoiceField(choices=ConversationType.choices)
    item_object = ItemObjectField()
    is_answered = serializers.BooleanField()
    subject = serializers.CharField(allow_null=True)
    message_set = MessageOutputSerializer(source="visible_messages", many=True)
    user = UserSummarySerializer()
    last_message_date = serializers.DateTimeField(allow_null=True)
    is_public = serializers.BooleanField()
    item_content = serializers.ChoiceField(choices=ItemContent.choices, allow_null=True)
    datasource = DataSourceOutputSerializer()

    def to_representation(self, instance: Conversation) -> dict[str, Any]:
        return conversation_render(instance)

    def to_representation_declared(self, instance: Conversation) -> dict[str, Any]:
        """The rendering that the field declarations alone give (what the fast path must
        equal)."""
        return dict(super().to_representation(instance))


_datetime_field = serializers.DateTimeField()


def _datetime_renderer() -> Callable[[Any], str | None]:
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


def _prefetched(instance: Any, name: str) -> Any:
    """The prefetched objects of a relation, read from the prefetch cache: `.all()` would
    build a new filtered queryset per product, which costs more than rendering it."""
    cache = getattr(instance, "_prefetched_objects_cache", {})
    return cache[name] if name in cache else getattr(instance, name).all()


def _product_render(product: Product) -> dict[str, Any]:
    return {
        "pk": product.pk,
        "sku": product.sku,
        "name": product.name,
        "product_images": [
            {
                "pk": image.pk,
                "product": image.product_id,
                "image": image.image,
                "order": image.order,
                "height": image.height,
                "width": image.width,
            }
            for image in _prefetched(product, "product_images")
        ],
    }


def _item_render(conversation: Conversation) -> dict[str, Any] | None:
    item = conversation.item_object
    if item is None:
        return None
    if isinstance(item, OrderItem):
        return {
            "pk": item.pk,
            "order": item.order_id,
            "order_number": item.order.number,
            "product": _product_render(item.product),
        }
    return _product_render(item)


def conversation_render(conversation: Conversation) -> dict[str, Any]:
    _datetime = _datetime_renderer()
    user = conversation.user
    datasource = conversation.datasource
    return {
        "id": conversation.pk,
        "conversation_type": conversation.conversation_type,
        "item_object": _item_render(conversation),
        "is_answered": conversation.is_answered,
        "subject": conversation.subject,
        "message_set": [
            {
                "id": message.pk,
                "message_content": message.message_content,
                "content_type": message.content_type,
                "content_id": message.content_id,
                "user_type": message.user_type,
                "created_date": _datetime(message.created_date),
            }
            for message in conversation.visible_messages
        ],
        "user": {
            "id": user.pk,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "gender": user.gender,
            "email": user.email,
            "phone": user.phone,
        },
        "last_message_date": _datetime(conversation.last_message_date),
        "is_public": conversation.is_public,
        "item_content": conversation.item_content,
        "datasource": {
            "pk": datasource.pk,
            "name": datasource.name,
            "title": datasource.title,
            "slug": datasource.slug,
            "supplier_code": datasource.supplier_code,
            "mersis_number": datasource.mersis_number,
            "kep_address": datasource.kep_address,
            "phone_number": datasource.phone_number,
            "fax_number": datasource.fax_number,
            "email": datasource.email,
            "is_active": datasource.is_active,
            "trade_association": datasource.trade_association,
            "price_list": datasource.price_list,
            "stock_list": datasource.stock_list,
            "address": datasource.address,
            "extras": datasource.extras,
        },
    }


class ConversationFilterSerializer(SchemaPrecision, serializers.Serializer):
    """The listing filters. A value of the wrong form is a 400 naming the filter; an empty
    value means the filter is not given; unknown parameters are ignored."""

    absent_when_empty = (
        "conversation_type",
        "is_answered",
        "item_content",
        "item_id",
        "datasource",
    )

    # allow_blank: said for the schema; an empty value never reaches the fields (below).
    conversation_type = serializers.ChoiceField(
        choices=ConversationType.choices, required=False, allow_blank=True
    )
    is_answered = serializers.BooleanField(required=False)
    item_content = serializers.ChoiceField(
        choices=ItemContent.choices, required=False, allow_blank=True
    )
    item_id = IdField(
        required=False,
        help_text="Only together with `item_content` (product and order-item ids overlap); "
        "without it the answer is `400` naming `item_id`.",
    )
    datasource = IdField(required=False)

    def to_internal_value(self, data: Any) -> Any:
        # A plain dict, so that DRF does not read a missing boolean as false (its HTML-form
        # rule for QueryDicts), and without the empty values.
        if isinstance(data, Mapping):
            data = {
                name: data[name]
                for name in self.fields
                if name in data and data[name] not in ("", None)
            }
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "item_id" in attrs and "item_content" not in attrs:
            raise serializers.ValidationError(
                {"item_id": ["Filter by item_id only together with item_content."]}
            )
        return attrs


def conversation_rows_render(page: ConversationRows) -> list[dict[str, Any]]:
    """The answer for a page read by `selectors.conversation_rows_fetch`: what
    `ConversationOutputSerializer` renders for the same conversations, built from rows."""
    _datetime = _datetime_renderer()
    messages, order_items, products, images = (
        page.messages,
        page.order_items,
        page.products,
        page.images,
    )
    product_kind, orderitem_kind = ItemContent.PRODUCT.value, ItemContent.ORDERITEM.value
    rendered_products: dict[int, dict[str, Any]] = {}
    users: dict[int, dict[str, Any]] = {}
    datasources: dict[int, dict[str, Any]] = {}
    datasource_keys = DATASOURCE_FIELDS
    datasource_end = DATASOURCE_OFFSET + len(DATASOURCE_COLUMNS)

    def product_render(product_id: int) -> dict[str, Any]:
        if product_id not in rendered_products:
            product = products[product_id]
            rendered_products[product_id] = {
                "pk": product.id,
                "sku": product.sku,
                "name": product.name,
                "product_images": [
                    {
                        "pk": image[0],
                        "product": image[1],
                        "image": image[2],
                        "order": image[3],
                        "height": image[4],
                        "width": image[5],
                    }
                    for image in images[product_id]
                ],
            }
        return rendered_products[product_id]

    answer = []
    for row in page.conversations:
        item_content, item_id = row[2], row[3]
        item: dict[str, Any] | None = None
        if item_id is not None:
            if item_content == product_kind:
                if item_id in products:
                    item = product_render(item_id)
            elif item_content == orderitem_kind and item_id in order_items:
                order_item = order_items[item_id]
                item = {
                    "pk": order_item.id,
                    "order": order_item.order_id,
                    "order_number": order_item.order_number,
                    "product": product_render(order_item.product_id),
                }
        user_id = row[USER_OFFSET]
        if user_id not in users:
            users[user_id] = {
                "id": user_id,
                "first_name": row[USER_OFFSET + 1],
                "last_name": row[USER_OFFSET + 2],
                "gender": row[USER_OFFSET + 3],
                "email": row[USER_OFFSET + 4],
                "phone": row[USER_OFFSET + 5],
            }
        datasource_id = row[DATASOURCE_OFFSET]
        if datasource_id not in datasources:
            datasources[datasource_id] = dict(
                zip(datasource_keys, row[DATASOURCE_OFFSET:datasource_end], strict=True)
            )
        answer.append(
            {
                "id": row[0],
                "conversation_type": row[1],
                "item_object": item,
                "is_answered": row[4],
                "subject": row[5],
                "message_set": [
                    {
                        "id": message[0],
                        "message_content": message[2],
                        "content_type": message[3],
                        "content_id": message[4],
                        "user_type": message[5],
                        "created_date": _datetime(message[6]),
                    }
                    for message in messages.get(row[0], ())
                ],
                "user": users[user_id],
                "last_message_date": _datetime(row[6]),
                "is_public": row[7],
                "item_content": item_content,
                "datasource": datasources[datasource_id],
            }
        )
    return answer


# --- Public questions (`GET /products/<pk>/questions/`): what any visitor may read ---


def name_mask(name: str | None) -> str:
    """`"Çağla"` → `"Ç***"`: the first letter only. An empty name stays empty."""
    name = (name or "").strip()
    return f"{name[0]}***" if name else ""


class PublicDataSourceSerializer(serializers.Serializer):
    pk = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()


class PublicAskerSerializer(serializers.Serializer):
    """The asker's names, masked; no id, e-mail or phone ever leaves here."""

    first_name = serializers.SerializerMethodField()
    last_name = serializers.SerializerMethodField()

    def get_first_name(self, user: Any) -> str:
        return name_mask(user.first_name)

    def get_last_name(self, user: Any) -> str:
        return name_mask(user.last_name)


class PublicMessageSerializer(serializers.ModelSerializer[Message]):
    class Meta:
        model = Message
        fields = ("id", "message_content", "content_type", "created_date")


class PublicQuestionSerializer(serializers.ModelSerializer[Conversation]):
    datasource = PublicDataSourceSerializer()
    user = PublicAskerSerializer()
    message_set = PublicMessageSerializer(source="visible_messages", many=True)

    class Meta:
        model = Conversation
        fields = (
            "id",
            "subject",
            "conversation_type",
            "last_message_date",
            "datasource",
            "user",
            "message_set",
        )
