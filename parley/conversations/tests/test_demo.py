import pytest

from parley.conversations.models import Conversation, Message
from parley.core.demo import demo_seed


@pytest.mark.django_db
def test_the_demo_has_a_product_question_answered_and_an_order_item_message():
    demo = demo_seed()
    again = demo_seed()  # idempotent

    assert again["conversations"] == demo["conversations"]
    assert Conversation.objects.count() == 4
    by_kind = {(c["item_content"], c["is_answered"]) for c in demo["conversations"]}
    assert ("product", True) in by_kind
    assert ("orderitem", False) in by_kind
    customers = {c["id"] for c in demo["customers"]}
    assert {c["user"] for c in demo["conversations"]} <= customers
    assert Message.objects.filter(content_type="datasource").count() == 3
    for conversation in Conversation.objects.all():
        assert (
            conversation.last_message_date
            == conversation.message_set.latest("created_date").created_date
        )
