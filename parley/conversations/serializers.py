"""The conversation objects of API.md §4 and the public questions, declared.

These serializers are the OpenAPI description of the answers and the reference the tests hold
`parley.conversations.pages` to (which renders the same objects from rows, without DRF's
per-field machinery). The API renders through `pages`, never through these; the listing
filters (`ConversationFilterSerializer`) are the one input serializer here.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from parley.accounts.serializers import UserSummarySerializer
from parley.catalog.models import DataSource, OrderItem, Product
from parley.catalog.serializers import ProductOutputSerializer
from parley.conversations.models import (
    Attachment,
    Conversation,
    ConversationType,
    ItemContent,
    Message,
    WriterType,
)
from parley.conversations.pages import DATASOURCE_KEYS, name_mask
from parley.conversations.selectors import attachment_list_for_party
from parley.core.schema import SchemaPrecision
from parley.core.validators import IdField, given_fields


class OrderItemOutputSerializer(serializers.ModelSerializer[OrderItem]):
    pk = serializers.IntegerField(source="id")
    order = serializers.IntegerField(source="order_id")
    order_number = serializers.CharField(source="order.number")
    product = ProductOutputSerializer()

    class Meta:
        model = OrderItem
        fields = ("pk", "order", "order_number", "product")


class DataSourceOutputSerializer(serializers.ModelSerializer[DataSource]):
    pk = serializers.IntegerField(source="id")
    extras = serializers.JSONField()

    class Meta:
        model = DataSource
        fields = DATASOURCE_KEYS  # the columns a page reads, `pk` for `id`


class MessageOutputSerializer(serializers.ModelSerializer[Message]):
    class Meta:
        model = Message
        fields: tuple[str, ...] = (
            "id",
            "message_content",
            "content_type",
            "content_id",
            "user_type",
            "created_date",
        )


class AttachmentOutputSerializer(serializers.ModelSerializer[Attachment]):
    """An attachment (API.md §8): the upload's answer and each of a seller message's."""

    id = serializers.CharField(source="public_id", help_text='"att_" and 22 random characters')

    class Meta:
        model = Attachment
        fields: tuple[str, ...] = ("id", "name", "size", "content_type")


class ConversationAttachmentSerializer(AttachmentOutputSerializer):
    """`GET /users/conversations/<id>/attachments/`: each with its message's id."""

    message = serializers.IntegerField(source="message_id")

    class Meta(AttachmentOutputSerializer.Meta):
        fields: tuple[str, ...] = ("id", "message", "name", "size", "content_type")


class AttachmentIdListField(serializers.ListField):
    """`"attachments": ["att_…", ...]` on a message (API.md §8): the caller's own unlinked
    uploads. The per-message limit is a runtime setting, checked by the service; this cap
    only keeps a silly request small."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", serializers.CharField(max_length=32))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault(
            "help_text",
            "Ids of your own uploads (`POST .../attachments/`) not linked to a message yet.",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):  # an item's error, by position: one message
                raise serializers.ValidationError(
                    _("Each attachment must be the id of an upload of yours.")
                ) from error
            raise


class AttachmentUploadSerializer(serializers.Serializer):
    """The multipart body of the two upload endpoints."""

    file = serializers.FileField(allow_empty_file=True, use_url=False)


def attachment_render(attachment: Attachment) -> dict[str, Any]:
    """`AttachmentOutputSerializer`'s object, without DRF's per-field machinery."""
    return {
        "id": attachment.public_id,
        "name": attachment.name,
        "size": attachment.size,
        "content_type": attachment.content_type,
    }


class SellerMessageOutputSerializer(MessageOutputSerializer):
    """The seller's message object: §4's and its attachments (API.md §8)."""

    attachments = serializers.SerializerMethodField()

    class Meta(MessageOutputSerializer.Meta):
        fields = (*MessageOutputSerializer.Meta.fields, "attachments")

    @extend_schema_field(AttachmentOutputSerializer(many=True))
    def get_attachments(self, message: Message) -> list[dict[str, Any]]:
        if not message.has_attachments:
            return []
        found = attachment_list_for_party(party=WriterType.DATASOURCE, message_ids=[message.pk])
        return [attachment_render(attachment) for attachment in found]


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
        super().__init__(**kwargs)

    def to_representation(self, item: Product | OrderItem) -> Any:
        if isinstance(item, OrderItem):
            return OrderItemOutputSerializer(item).data
        return ProductOutputSerializer(item).data


# Reads two attributes that a `Conversation` does not have: `visible_messages` (its visible
# messages, oldest first) and `item_object` (the product or order item, or None); the tests'
# reference rendering attaches them (`tests/helpers.py`).
class ConversationOutputSerializer(serializers.Serializer):
    """The conversation object of API.md §4 (list and detail, customer and seller)."""

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


class SellerConversationOutputSerializer(ConversationOutputSerializer):
    """The seller's conversation object: §4's, with the seller's unread count and the
    customer's read mark (API.md §7)."""

    message_set = SellerMessageOutputSerializer(source="visible_messages", many=True)
    unread_count = serializers.IntegerField(source="seller_unread_count")
    customer_last_read_message_id = serializers.IntegerField(allow_null=True)


class ConversationFilterSerializer(SchemaPrecision, serializers.Serializer):
    """The listing filters. A value of the wrong form is a 400 naming the filter; an empty
    value means the filter is not given; unknown parameters are ignored."""

    absent_when_empty: ClassVar[tuple[str, ...]] = (  # the seller's listing has its own
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
        if isinstance(data, Mapping):
            data = given_fields(data, self.fields, optional=self.absent_when_empty)
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "item_id" in attrs and "item_content" not in attrs:
            raise serializers.ValidationError(
                {"item_id": ["Filter by item_id only together with item_content."]}
            )
        return attrs


# --- Public questions (`GET /products/<pk>/questions/`): what any visitor may read ---


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
        fields: tuple[str, ...] = (
            "id",
            "subject",
            "conversation_type",
            "last_message_date",
            "datasource",
            "user",
            "message_set",
        )


class SimilarQuestionSerializer(PublicQuestionSerializer):
    """A public question as `PublicQuestionSerializer` shows it, plus how close it is to the
    shopper's text (API.md §12)."""

    score = serializers.FloatField(
        read_only=True,
        help_text="Cosine similarity of the sentence embeddings, plus up to 0.15 for the "
        "query's words found in the question on PostgreSQL; 0.30 to 1.0, higher is closer.",
    )

    class Meta(PublicQuestionSerializer.Meta):
        fields = (*PublicQuestionSerializer.Meta.fields, "score")


# --- Read marks (API.md §7), the same for the customer and the seller ---------------------------


class ReadInputSerializer(serializers.Serializer):
    last_read_message_id = IdField(
        required=False,
        allow_null=True,
        help_text="A visible message of the conversation; default (absent or null): the newest.",
    )


class ReadStateOutputSerializer(serializers.Serializer):
    conversation = serializers.IntegerField()
    last_read_message_id = serializers.IntegerField(allow_null=True)
    unread_count = serializers.IntegerField()


class ReadReceiptsOutputSerializer(serializers.Serializer):
    last_read_message_id = serializers.IntegerField(allow_null=True)
    counterparty_last_read_message_id = serializers.IntegerField(allow_null=True)


class UnreadSummaryOutputSerializer(serializers.Serializer):
    total_conversations = serializers.IntegerField()
    total_messages = serializers.IntegerField()
    conversations = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Unread messages by conversation id; at most 100, newest activity first.",
    )
    has_more = serializers.BooleanField()


def read_state_render(state: Any) -> dict[str, Any]:
    return {
        "conversation": state.conversation_id,
        "last_read_message_id": state.last_read_message_id,
        "unread_count": state.unread_count,
    }
