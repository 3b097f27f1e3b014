"""How the listing tests read and judge a page's query plan, on either database."""

import re

from django.db import connection

from parley.conversations.pages import ConversationPageQuery


def assert_first_page_walks_index(listing: ConversationPageQuery, index: str) -> None:
    """The first page comes from an index in the listing's order, with no sort: on SQLite
    from `index` itself (`conv_\\w+` means any); on PostgreSQL from a `conv_` index matching
    `index`, since which of the fitting ones wins depends on real statistics."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Test tables are tiny and have no statistics, so a sequential scan would look
            # cheapest; forbid it, then prove an index delivers the rows already in order.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        plan = listing.explain(slice(0, 20))
        assert re.search(rf"Index Scan using {index} on conversations_conversation", plan), plan
        assert "Sort" not in plan, plan
    else:
        plan = listing.explain(slice(0, 20))
        assert re.search(rf"SEARCH conversations_conversation USING INDEX {index} ", plan), plan
        assert "TEMP B-TREE" not in plan, plan
