"""The output serializer's fast path must render exactly what its declarations describe."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from parley.catalog.tests.factories import (
    DataSourceFactory,
    OrderItemFactory,
    ProductFactory,
    ProductImageFactory,
)
from parley.conversations.selectors import (
    conversation_list_for_user,
    conversation_queryset_prefetched,
    conversation_rows_fetch,
)
from parley.conversations.serializers import (
    ConversationOutputSerializer,
    conversation_rows_render,
)
from parley.conversations.tests.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def test_the_fast_path_equals_the_declared_rendering(user):
    user.gender, user.phone = "male", "+90 555 000 00 00"
    user.save()
    seller = DataSourceFactory.create(
        slug="s",
        mersis_number="0123",
        kep_address="k@kep.tr",
        phone_number="1",
        price_list=3,
        stock_list=4,
        address="İstanbul",
        extras={"a": [1, {"b": None}]},
        trade_association="T",
        fax_number="2",
    )
    product = ProductFactory.create(datasource=seller)
    ProductImageFactory.create_batch(2, product=product, width=None)
    order_item = OrderItemFactory.create(order__user=user, product=product)
    conversations = [
        ConversationFactory.create(
            user=user,
            datasource=seller,
            item_content="product",
            item_id=product.pk,
            is_public=True,
        ),
        ConversationFactory.create(
            user=user, datasource=seller, item_content="orderitem", item_id=order_item.pk
        ),
        ConversationFactory.create(
            user=user,
            datasource=seller,
            conversation_type="review",
            subject=None,
            last_message_date=datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC),
        ),
        ConversationFactory.create(
            user=user,
            datasource=seller,
            item_content="product",
            item_id=10**12,
            conversation_type="question",
        ),
    ]
    for conversation in conversations:
        MessageFactory.create(conversation=conversation, message_content="Şey 👍")
        MessageFactory.create(
            conversation=conversation, content_type="datasource", content_id=seller.pk
        )

    serializer = ConversationOutputSerializer()
    rendered = list(conversation_queryset_prefetched().filter(user=user))
    assert len(rendered) == 4
    for zone in ("UTC", "Europe/Istanbul"):
        with timezone.override(zone):
            for conversation in rendered:
                fast = serializer.to_representation(conversation)
                assert fast == serializer.to_representation_declared(conversation)
                assert list(fast) == list(serializer.fields)
            # The rows path of the list and detail endpoints renders the same.
            page = conversation_rows_fetch(conversation_list_for_user(user)[0:100])
            assert conversation_rows_render(page) == [
                serializer.to_representation_declared(conversation) for conversation in rendered
            ]
    assert {c.item_content for c in rendered} == {"product", "orderitem", None}
    with timezone.override("Europe/Istanbul"):
        assert serializer.to_representation(rendered[-1])["last_message_date"] == (
            "2026-03-04T08:06:07.891011+03:00"
        )
