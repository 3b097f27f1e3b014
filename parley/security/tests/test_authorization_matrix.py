"""The authorization matrix over every endpoint the URL resolver knows.

It extends the seller API's matrix (parley/sellers/tests/matrix.py: its
world, callers and the customer and seller conversation calls) with a staff member and with
every other endpoint. A route or method that is not in the matrix fails
`test_every_routed_endpoint_is_in_the_matrix`, so a new endpoint cannot arrive unchecked.

Each cell asserts the status; a refused call (and every GET) must leave the database as it
was and queue no mail. Every caller carries a valid CSRF token, so no refusal is about CSRF
(the transport tests cover CSRF)."""

from typing import Any

import pytest
from django.core import mail

from parley.accounts.tests.factories import UserFactory
from parley.security.tests.matrix import (
    CASES,
    ENDPOINTS,
    EXPECTED,
    PRINCIPALS,
    ROUTES,
    client_as,
    routed_endpoints,
    snapshot,
)
from parley.sellers.tests.matrix import World, world_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return world_build()


def test_every_routed_endpoint_is_in_the_matrix():
    assert routed_endpoints() == set(ROUTES)
    assert set(ROUTES.values()) <= set(ENDPOINTS)
    assert set(EXPECTED) == set(ENDPOINTS)
    assert all(set(row) == set(PRINCIPALS) for row in EXPECTED.values())


@pytest.fixture
def staff(db: Any) -> Any:
    return UserFactory.create(is_staff=True, is_superuser=True)


@pytest.mark.parametrize(("endpoint", "principal"), CASES)
def test_authorization_matrix(
    client_api: Any, world: Any, staff: Any, endpoint: str, principal: str
) -> None:
    client = client_as(client_api, world, staff, principal)
    before = snapshot()
    response = ENDPOINTS[endpoint](client, world)
    expected = EXPECTED[endpoint][principal]
    assert response.status_code == expected, (endpoint, principal, response.content[:300])
    # Transport: every answer says nosniff, and only known pages are HTML (none from user data).
    assert response["X-Content-Type-Options"] == "nosniff"
    if response.get("Content-Type", "").startswith("text/html"):
        assert endpoint in ("logout", "docs", "admin") or endpoint.startswith("inbox_"), endpoint
    inbox = endpoint.startswith("inbox_")
    if inbox:
        assert response["X-Frame-Options"] == "DENY"

    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
    if expected == 403 and not inbox:
        assert response.json() == {"detail": "Authentication credentials were not provided."}
    if expected >= 300 or response.request["REQUEST_METHOD"] == "GET":
        assert snapshot() == before
        assert mail.outbox == []
    if expected == 302:
        login_page = {"admin": "/admin/login/", "inbox_language": "/"}.get(
            endpoint, "/seller/inbox/login/"
        )
        assert response["Location"].startswith(login_page), response["Location"]

    if expected == 200 and endpoint in ("users_list", "seller_list"):
        listed = [conversation["id"] for conversation in response.json()["results"]]
        owner = "customer" if endpoint == "users_list" else "seller"
        assert (world.conversation.pk in listed) == (principal == owner)
        if principal == "staff":
            assert listed == []  # staff have no conversations of their own, and see no one's
    if expected == 200 and endpoint == "users_orders" and principal == "staff":
        assert response.json()["results"] == []  # staff have no orders, and see no one's
    if expected == 200 and endpoint == "customer_export":
        export = response.json()
        me = {"customer": world.customer, "other_customer": world.other_customer}.get(
            principal, staff
        )
        assert export["profile"]["email"] == me.email
        owned = [conversation["id"] for conversation in export["conversations"]]
        assert (world.conversation.pk in owned) == (principal == "customer")
        numbers = {order["number"] for order in export["orders"]}
        assert (world.order.number in numbers) == (principal == "customer")
        # The other customer's order placed with the customer's address stays theirs.
        assert len(numbers) == (0 if principal == "staff" else 1)
    if expected == 200 and endpoint == "current_user":
        me = {"customer": world.customer, "other_customer": world.other_customer}.get(
            principal, staff
        )
        assert response.json()["email"] == me.email
