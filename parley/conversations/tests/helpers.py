"""The reference rendering for the tests (and `bench/conversations_serialization.py`): what
the declared serializers give through model instances and DRF's fields, which the answers of
`parley.conversations.pages` must equal."""

from typing import Any

from django.db.models import Prefetch

from parley.catalog.models import OrderItem, Product, ProductImage
from parley.conversations.models import (
    Conversation,
    ItemContent,
)
from parley.conversations.selectors import message_queryset_visible
from parley.conversations.serializers import (
    ConversationOutputSerializer,
    PublicQuestionSerializer,
    SellerConversationOutputSerializer,
)


def _item(conversation: Conversation) -> Product | OrderItem | None:
    images = ProductImage.objects.order_by("order", "id")
    if conversation.item_id is None:
        return None
    if conversation.item_content == ItemContent.PRODUCT:
        return (
            Product.objects.prefetch_related(Prefetch("product_images", queryset=images))
            .filter(pk=conversation.item_id)
            .first()
        )
    if conversation.item_content == ItemContent.ORDERITEM:
        return (
            OrderItem.objects.select_related("order", "product")
            .prefetch_related(Prefetch("product__product_images", queryset=images))
            .filter(pk=conversation.item_id)
            .first()
        )
    return None


def with_what_the_serializers_read(conversation: Conversation) -> Conversation:
    """The conversation with the two attributes the declared serializers read: its visible
    messages, oldest first, and the product or order item it is about (or None)."""
    instance = Conversation.objects.select_related("user", "datasource").get(pk=conversation.pk)
    vars(instance).update(
        visible_messages=list(message_queryset_visible().filter(conversation=instance)),
        item_object=_item(instance),
    )
    return instance


def conversation_declared(conversation: Conversation) -> dict[str, Any]:
    """What `ConversationOutputSerializer`'s declarations render for the conversation, through
    model instances and DRF's fields: what the API's answer must equal."""
    return dict(ConversationOutputSerializer(with_what_the_serializers_read(conversation)).data)


def seller_conversation_declared(conversation: Conversation) -> dict[str, Any]:
    """What `SellerConversationOutputSerializer` renders: the seller's object of API.md §7."""
    return dict(
        SellerConversationOutputSerializer(with_what_the_serializers_read(conversation)).data
    )


def public_question_declared(conversation: Conversation) -> dict[str, Any]:
    """What `PublicQuestionSerializer`'s declarations render for the conversation."""
    return dict(PublicQuestionSerializer(with_what_the_serializers_read(conversation)).data)
