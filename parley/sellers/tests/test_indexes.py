"""The seller's page is read from its index in the listing's order, so its cost follows the
page and the seller's own conversations, never the whole table."""

import re

import pytest
from django.db import connection

from parley.catalog.tests.factories import DataSourceFactory
from parley.sellers.selectors import conversation_list_for_seller
from parley.sellers.tests.factories import conversation_build

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

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Tiny test tables have no statistics: forbid the scans that would look cheapest.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        plan = listing.explain(slice(0, 20))
        assert re.search(r"Index Scan using conv_seller_activity on conversations_conv", plan), plan
        assert "Sort" not in plan, plan
    else:
        plan = listing.explain(slice(0, 20))
        assert "SEARCH conversations_conversation USING INDEX conv_seller_activity " in plan, plan
        assert "TEMP B-TREE" not in plan, plan
