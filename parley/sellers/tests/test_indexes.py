"""The seller's page is read from its index in the listing's order, so its cost follows the
page and the seller's own conversations, never the whole table."""

import re

import pytest
from django.db import connection

from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations.tests.factories import conversation_build
from parley.conversations.tests.plans import assert_first_page_walks_index
from parley.sellers.selectors import (
    InboxTab,
    conversation_list_for_seller,
    inbox_conversation_list,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "filters",
    [{}, {"is_answered": False}, {"conversation_type": "question"}, {"item_content": "product"}],
)
def test_the_sellers_page_walks_its_index_in_the_listing_order(filters):
    seller = DataSourceFactory.create()
    for conversation_type in ("message", "question", "review"):
        conversation_build(datasource=seller, conversation_type=conversation_type)
    listing = conversation_list_for_seller(seller, filters)

    assert_first_page_walks_index(listing, "conv_seller_activity")


@pytest.mark.parametrize("tab", list(InboxTab))
def test_each_inbox_tab_walks_an_index_in_its_order(tab):
    """The inbox's tabs read the seller's index in the tab's order and stop after a page, so a
    seller with a hundred thousand conversations costs what a small one does: "needs reply"
    walks `conv_seller_waiting` (oldest waiting first), the others an activity index."""
    seller = DataSourceFactory.create()
    for conversation_type in ("message", "question", "review"):
        conversation_build(datasource=seller, conversation_type=conversation_type)
    listing = inbox_conversation_list(seller, tab=tab)
    index = "conv_seller_waiting" if tab == InboxTab.NEEDS_REPLY else "conv_seller_\\w*activity"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        plan = listing[:26].explain()
        assert re.search(
            rf"Index Scan( Backward)? using {index} on conversations_conversation", plan
        ), plan
        assert "Sort" not in plan, plan
    else:
        plan = listing[:26].explain()
        assert re.search(rf"SEARCH conversations_conversation USING INDEX {index} ", plan), plan
        assert "TEMP B-TREE" not in plan, plan
