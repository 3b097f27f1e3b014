"""The customer's page is read from an index in the listing's order, whatever the filter, so
its cost follows the page and the user's own conversations, never the whole table."""

import re

import pytest
from django.db import connection

from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations.selectors import conversation_list_for_user
from parley.conversations.tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db

CASES = [
    ({}, "conv_user_activity"),
    ({"conversation_type": "question"}, "conv_user_type_activity"),
    ({"is_answered": False}, "conv_user_answered_activity"),
    ({"is_answered": True}, "conv_user_answered_activity"),
    ({"datasource": "seller"}, "conv_user_seller_activity"),
]


@pytest.mark.parametrize(("filters", "index"), CASES)
def test_the_page_walks_an_index_in_the_listing_order(user, filters, index):
    seller = DataSourceFactory.create()
    for conversation_type in ("message", "question", "review"):
        ConversationFactory.create(
            user=user, datasource=seller, conversation_type=conversation_type
        )
    if filters.get("datasource"):
        filters = {"datasource": seller.pk}
    listing = conversation_list_for_user(user, filters)

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Test tables are tiny and have no statistics, so a sequential scan would look
            # cheapest; forbid it, then prove an index delivers the rows already in order.
            # Which of the fitting indexes wins depends on real statistics.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        plan = listing.explain(slice(0, 20))
        assert re.search(r"Index Scan using conv_\w+ on conversations_conversation", plan), plan
        assert "Sort" not in plan, plan
    else:
        plan = listing.explain(slice(0, 20))
        assert f"SEARCH conversations_conversation USING INDEX {index} " in plan, plan
        assert "TEMP B-TREE" not in plan, plan
