"""The benchmark's hand-written floor (bench/floor.py) answers the list page with exactly
Parley's JSON: the load benchmark compares their throughput, which only means something if
they do the same work."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from bench import floor as floor_module
from bench.floor import Floor
from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import (
    DataSourceFactory,
    OrderItemFactory,
    ProductFactory,
    ProductImageFactory,
)
from parley.conversations.tests.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 9, 30, 15, 250_000, tzinfo=UTC)


def floor_get(client: Any, query: str) -> tuple[str, Any]:
    floor = Floor(lambda: connection, settings.SECRET_KEY)
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"] = status
        answer["headers"] = dict(headers)

    body = b"".join(
        floor(
            {
                "PATH_INFO": "/users/conversations/",
                "QUERY_STRING": query,
                "HTTP_COOKIE": cookie,
                "HTTP_HOST": "testserver",
                "wsgi.url_scheme": "http",
            },
            start_response,
        )
    )
    assert answer["headers"]["Content-Type"] == "application/json"
    return answer["status"], json.loads(body)


@pytest.fixture
def shop(client_api):
    """A customer with 23 conversations of every kind, hidden messages among them, and
    another customer whose conversations must not show."""
    user = UserFactory.create(first_name="Ayşe", phone=None, gender="female")
    other = UserFactory.create()
    sellers = [
        DataSourceFactory.create(name="s1", extras={"city": "Bursa", "n": [1, 2]}),
        DataSourceFactory.create(name="s2", email=None, extras={}),
    ]
    for n in range(23):
        seller = sellers[n % 2]
        product = ProductFactory.create(datasource=seller)
        for order in (2, 0, 1):
            ProductImageFactory.create(product=product, order=order, height=None)
        if n % 3 == 0:
            item = {"item_content": "product", "item_id": product.pk}
        elif n % 3 == 1:
            order_item = OrderItemFactory.create(product=product, datasource=seller)
            item = {"item_content": "orderitem", "item_id": order_item.pk}
        else:
            # One conversation without an item per user, seller and type.
            seller = DataSourceFactory.create(name=f"plain-{n}", extras={"plain": True})
            item = {"item_content": None, "item_id": None, "conversation_type": "review"}
            item["subject"] = None
        conversation = ConversationFactory.create(
            user=user,
            datasource=seller,
            last_message_date=T0 + timedelta(minutes=n % 7, seconds=n),
            is_answered=bool(n % 2),
            **{"conversation_type": "message", "subject": f"Konu {n} 👋", **item},
        )
        for m in range(n % 4 + 1):
            MessageFactory.create(
                conversation=conversation,
                content_type="datasource" if m % 2 else "user",
                content_id=seller.pk if m % 2 else user.pk,
                created_date=T0 + timedelta(seconds=m) if m else T0.replace(microsecond=0),
                is_hidden=m == 2,
            )
    ConversationFactory.create(user=other, datasource=sellers[0])
    client_api.login_as(user)
    return user


# The standard json module always; orjson too where it is installed (the benchmark's venv).
ENCODERS = ["json"] + (["orjson"] if floor_module.orjson is not None else [])


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize(
    "query", ["limit=20", "", "limit=5&page=2", "limit=20&page=2", "limit=100", "limit=0"]
)
def test_the_floor_answers_the_list_page_exactly_as_parley(
    client_api, shop, query, encoder, monkeypatch
):
    if encoder == "json":
        monkeypatch.setattr(floor_module, "orjson", None)
    expected = client_api.get(f"/users/conversations/?{query}")
    assert expected.status_code == 200

    status, document = floor_get(client_api, query)

    assert status == "200 OK"
    assert document == expected.json()
    assert document["results"]  # the comparison is about real pages, not empty ones


def test_the_floor_refuses_a_missing_or_forged_session(client_api, shop):
    status, document = floor_get(client_api, "limit=20")
    assert status == "200 OK"

    client_api.cookies[settings.SESSION_COOKIE_NAME] = "not-a-session"
    status, document = floor_get(client_api, "limit=20")
    assert (status, document) == (
        "403 Forbidden",
        {"detail": "Authentication credentials were not provided."},
    )


def test_the_floor_answers_an_invalid_page_like_parley(client_api, shop):
    expected = client_api.get("/users/conversations/?limit=20&page=9")
    status, document = floor_get(client_api, "limit=20&page=9")
    assert (expected.status_code, expected.json()) == (404, {"detail": "Invalid page."})
    assert (status, document) == ("404 Not Found", {"detail": "Invalid page."})
