"""The seller's page is read from its index in the listing's order, so its cost follows the
page and the seller's own conversations, never the whole table."""

import pytest

from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations.tests.factories import conversation_build
from parley.conversations.tests.plans import assert_first_page_walks_index
from parley.sellers.selectors import conversation_list_for_seller

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
