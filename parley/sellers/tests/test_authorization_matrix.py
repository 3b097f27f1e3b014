"""Who may call what: every customer and seller endpoint against every kind of caller.

A refused call must answer the documented status, change nothing in the database and queue
no e-mail. Allowed calls must show the caller its own data and nobody else's."""

import pytest
from django.core import mail

from parley.conversations import services as conversation_services
from parley.conversations.models import Conversation, Message
from parley.sellers.tests.matrix import (
    CASES,
    ENDPOINTS,
    EXPECTED,
    PRINCIPALS,
    World,
    client_as,
    snapshot,
    world_build,
)
from parley.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return world_build()


def test_the_matrix_covers_every_endpoint_and_caller():
    assert all(set(row) == set(PRINCIPALS) for row in EXPECTED.values())
    assert set(EXPECTED) == set(ENDPOINTS)


@pytest.mark.parametrize(("endpoint", "principal"), CASES)
def test_authorization_matrix(client_api, world, endpoint, principal):
    client = client_as(client_api, world, principal)
    before = snapshot()
    response = ENDPOINTS[endpoint](client, world)
    expected = EXPECTED[endpoint][principal]
    assert response.status_code == expected, (endpoint, principal, response.content)

    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
    if expected == 403:
        assert response.json() == {"detail": "Authentication credentials were not provided."}, (
            response.content
        )
    if expected >= 400 or response.request["REQUEST_METHOD"] == "GET":
        assert snapshot() == before
        assert mail.outbox == []

    if expected == 200 and endpoint.endswith("_list"):
        listed = [c["id"] for c in response.json()["results"]]
        owner = "customer" if endpoint.startswith("users") else "seller"
        assert (world.conversation.pk in listed) == (principal == owner)
        assert len(listed) == 1  # its own conversation, and never the other one
    if expected == 200 and endpoint == "users_orders":
        listed = [order["id"] for order in response.json()["results"]]
        assert (listed == [world.order.pk]) == (principal == "customer")
        assert len(listed) == 1  # its own order, never the other customer's
    if endpoint == "seller_webhooks" and expected == 200:
        own = world.seller if principal == "seller" else world.other_seller
        assert [e["id"] for e in response.json()] == [
            WebhookEndpoint.objects.get(datasource=own).pk
        ]
    if endpoint == "seller_webhook_deliveries" and expected == 200:
        assert [d["id"] for d in response.json()["results"]] == [world.delivery.pk]
    if endpoint in ("users_unread", "seller_unread") and expected == 200:
        # Only sellers have something unread here (their customer's opening message), and
        # each caller sees its own conversations only.
        unread = response.json()["conversations"]
        if endpoint == "users_unread":
            assert unread == {}
        else:
            own = world.seller if principal == "seller" else world.other_seller
            assert unread == {str(Conversation.objects.get(datasource=own).pk): 1}
    if endpoint == "seller_stats" and expected == 200:
        own = world.seller if principal == "seller" else world.other_seller
        waiting = Message.objects.get(
            conversation__datasource=own, content_type="user"
        ).created_date
        stats = response.json()
        assert stats["unanswered"] == 1
        assert stats["oldest_unanswered_since"] == waiting.isoformat().replace("+00:00", "Z")


def test_the_other_sellers_conversation_stays_out_of_the_owning_sellers_reach(client_api, world):
    theirs = Conversation.objects.get(datasource=world.other_seller)
    client = client_as(client_api, world, "seller")
    before = snapshot()
    assert client.get(f"/seller/conversations/{theirs.pk}/").status_code == 404
    answer = client.post(
        f"/seller/conversations/{theirs.pk}/messages/", {"message_content": "x"}, format="json"
    )
    assert answer.status_code == 404
    assert snapshot() == before
    assert mail.outbox == []


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_public_questions_answer_everyone_alike_without_personal_data(client_api, world, principal):
    conversation_services.message_append(
        conversation=world.conversation,
        content="It is cotton.",
        content_type="datasource",
        content_id=world.seller.pk,
        user_type="registered",
    )
    client = client_as(client_api, world, principal)
    before = snapshot()
    response = client.get(f"/products/{world.product.pk}/questions/")
    assert response.status_code == 200
    [question] = response.json()["results"]
    assert question["id"] == world.conversation.pk
    assert question["user"] == {"first_name": "Ç***", "last_name": "Ö***"}
    assert world.customer.email not in response.content.decode()
    assert snapshot() == before
