"""The customer's page is read from an index in the listing's order, whatever the filter, so
its cost follows the page and the user's own conversations, never the whole table."""

import pytest
from django.db import connection

from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations.pages import conversation_list_for_user
from parley.conversations.tests.factories import ConversationFactory
from parley.conversations.tests.plans import assert_first_page_walks_index

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

    # Any fitting index on PostgreSQL (statistics decide), the expected one on SQLite.
    assert_first_page_walks_index(
        listing, r"conv_\w+" if connection.vendor == "postgresql" else index
    )
