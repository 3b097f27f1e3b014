"""`parley.conversations.pages` renders exactly what the declared serializers describe."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from parley.catalog.tests.factories import (
    DataSourceFactory,
    OrderItemFactory,
    ProductFactory,
    ProductImageFactory,
)
from parley.conversations import pages
from parley.conversations.models import Conversation
from parley.conversations.serializers import (
    ConversationOutputSerializer,
    PublicQuestionSerializer,
    SellerConversationOutputSerializer,
)
from parley.conversations.tests.factories import ConversationFactory, MessageFactory
from parley.conversations.tests.helpers import (
    conversation_declared,
    public_question_declared,
    seller_conversation_declared,
)

pytestmark = pytest.mark.django_db


def test_a_page_renders_what_the_declarations_describe(user):
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
    MessageFactory.create(conversation=conversations[0], is_hidden=True)

    newest_first = sorted(conversations, key=lambda c: (c.last_message_date, c.pk), reverse=True)
    for zone in ("UTC", "Europe/Istanbul"):
        with timezone.override(zone):
            rendered = pages.conversation_page_render(pages.conversation_list_for_user(user)[0:100])
            assert rendered == [conversation_declared(c) for c in newest_first]
            assert [list(answer) for answer in rendered] == [
                list(ConversationOutputSerializer().fields)
            ] * 4
            assert (
                pages.conversation_get_for_user(user, conversations[1].pk)
                == rendered[newest_first.index(conversations[1])]
            )
    assert {answer["item_content"] for answer in rendered} == {"product", "orderitem", None}
    with timezone.override("Europe/Istanbul"):
        review = pages.conversation_get_for_user(user, conversations[2].pk)
    assert review["last_message_date"] == "2026-03-04T08:06:07.891011+03:00"


def test_the_sellers_page_adds_the_two_keys_of_the_declared_seller_object(user):
    seller = DataSourceFactory.create()
    conversations = [
        ConversationFactory.create(user=user, datasource=seller, conversation_type=kind)
        for kind in ("message", "question")
    ]
    for conversation in conversations:
        MessageFactory.create(conversation=conversation)
    Conversation.objects.filter(pk=conversations[1].pk).update(
        seller_unread_count=3, customer_last_read_message_id=77
    )
    newest_first = sorted(conversations, key=lambda c: (c.last_message_date, c.pk), reverse=True)
    query = pages.conversation_page_query("datasource_id", seller.pk)
    rendered = pages.seller_conversation_page_render(query[0:100])
    assert rendered == [seller_conversation_declared(c) for c in newest_first]
    assert [list(answer) for answer in rendered] == [
        list(SellerConversationOutputSerializer().fields)
    ] * 2
    one = pages.conversation_get(
        column="datasource_id", owner_id=seller.pk, conversation_id=conversations[1].pk
    )
    assert (one["unread_count"], one["customer_last_read_message_id"]) == (3, 77)
    # The customer's object keeps exactly §4's keys.
    mine = pages.conversation_get_for_user(user, conversations[1].pk)
    assert list(mine) == list(ConversationOutputSerializer().fields)


def test_public_questions_render_what_the_declarations_describe():
    seller = DataSourceFactory.create(title="AT")
    product = ProductFactory.create(datasource=seller)
    question = ConversationFactory.create(
        datasource=seller,
        item_content="product",
        item_id=product.pk,
        conversation_type="question",
        is_public=True,
        user__first_name="Çağla",
        user__last_name="",
    )
    MessageFactory.create(conversation=question, message_content="Pamuk mu?")
    MessageFactory.create(conversation=question, is_hidden=True)
    MessageFactory.create(conversation=question, content_type="datasource", content_id=seller.pk)
    for zone in ("UTC", "Europe/Istanbul"):
        with timezone.override(zone):
            rendered = pages.public_question_page_render(
                pages.public_question_list(
                    product_id=product.pk, datasource_id=product.datasource_id
                )
            )
            assert rendered == [public_question_declared(question)]
    assert list(rendered[0]) == list(PublicQuestionSerializer().fields)
    assert rendered[0]["user"] == {"first_name": "Ç***", "last_name": ""}
