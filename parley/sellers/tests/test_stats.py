"""The seller's response figures, computed at a fixed time over conversations at fixed times."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations.models import Message
from parley.conversations.services import messages_hide
from parley.conversations.tests.factories import conversation_build
from parley.sellers.selectors import SellerStats, seller_stats
from parley.sellers.tests.factories import token_header, token_issue

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
D, H = timedelta(days=1), timedelta(hours=1)


def _opened(seller: Any, *messages: tuple[str, timedelta]) -> Any:
    """A conversation whose messages are at NOW - offset."""
    return conversation_build(
        datasource=seller, messages=[(writer, NOW - ago) for writer, ago in messages]
    )


@pytest.fixture
def seller() -> Any:
    seller = DataSourceFactory.create()
    _opened(seller, ("user", 10 * D), ("datasource", 10 * D - 2 * H))  # answered in 2 h
    _opened(seller, ("user", 5 * D), ("datasource", 5 * D - 30 * H))  # answered in 30 h: late
    _opened(seller, ("user", 3 * D), ("user", 2 * D))  # unanswered for 3 days: late
    _opened(seller, ("user", 2 * H))  # unanswered, still inside its 24 h: not decided
    _opened(seller, ("user", 20 * H), ("datasource", 19 * H))  # answered in 1 h
    # Opened 40 days ago (outside the window), answered, then two follow-ups: it waits
    # since the first follow-up, one day ago.
    _opened(seller, ("user", 40 * D), ("datasource", 40 * D - H), ("user", D), ("user", 12 * H))
    # Another seller's conversations count for that seller only.
    other = DataSourceFactory.create()
    _opened(other, ("user", 60 * D))
    _opened(other, ("user", 4 * D), ("datasource", 4 * D - 5 * H))
    return seller


def test_stats_follow_their_definitions(seller):
    assert seller_stats(seller, now=NOW) == SellerStats(
        unanswered=3,
        oldest_unanswered_since=NOW - 3 * D,
        # responses in the window: 1 h, 2 h, 30 h
        median_first_response_seconds_30d=7200.0,
        # decided: the 2 h, 30 h, 1 h answers and the 3-day wait; in time: 2 h and 1 h
        answered_within_24h_ratio_30d=0.5,
        # the three conversations with customer messages after the seller's own last one
        unread_conversations=3,
    )


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two(seller):
    _opened(seller, ("user", 8 * D), ("datasource", 8 * D - 4 * H))  # 4 h
    stats = seller_stats(seller, now=NOW)
    assert stats.median_first_response_seconds_30d == (2 * 3600 + 4 * 3600) / 2
    assert stats.answered_within_24h_ratio_30d == 0.6


def test_a_seller_without_conversations_has_nulls():
    assert seller_stats(DataSourceFactory.create(), now=NOW) == SellerStats(
        unanswered=0,
        oldest_unanswered_since=None,
        median_first_response_seconds_30d=None,
        answered_within_24h_ratio_30d=None,
        unread_conversations=0,
    )


def test_hidden_messages_do_not_count_as_waiting(seller):
    spam = _opened(seller, ("user", 7 * D))
    assert seller_stats(seller, now=NOW).unanswered == 4
    # Moderation hides it (the admin's action, through the service that keeps the state).
    messages_hide(messages=Message.objects.filter(conversation=spam), hidden_by=None)
    # Still in the window (it was opened), but nobody waits on a hidden message.
    stats = seller_stats(seller, now=NOW)
    assert (stats.unanswered, stats.oldest_unanswered_since) == (3, NOW - 3 * D)


def test_the_window_is_the_30_days_before_now(seller):
    later = seller_stats(seller, now=NOW + 6 * D)  # the 2 h answer of day -10 is still in
    assert later.median_first_response_seconds_30d == 7200.0
    # The window starts just after day -5: the 1 h answer remains, and the two unanswered
    # conversations of days -3 and -2 h, both long past their 24 h now.
    much_later = seller_stats(seller, now=NOW + 25 * D)
    assert much_later.median_first_response_seconds_30d == 3600.0
    assert much_later.answered_within_24h_ratio_30d == round(1 / 3, 4)


def test_stats_endpoint_answers_the_sellers_figures(
    client_api, seller, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr("parley.sellers.apis.timezone", SimpleNamespace(now=lambda: NOW))
    token, key = token_issue(seller)
    token.last_used = timezone.now()
    token.save()
    with django_assert_num_queries(1 + 4):  # the token, then the four of seller_stats
        response = client_api.get("/seller/conversations/stats", **token_header(key))
    assert response.status_code == 200
    assert response.json() == {
        "unanswered": 3,
        "oldest_unanswered_since": "2026-11-24T12:00:00Z",
        "median_first_response_seconds_30d": 7200.0,
        "answered_within_24h_ratio_30d": 0.5,
        "unread_conversations": 3,
    }
