"""Who may open what in the seller inbox: every inbox URL against every kind of caller. A
refused call changes nothing; a member never reaches another seller's conversation."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations import services as conversation_services
from parley.conversations.models import Conversation, Message
from parley.sellers import services
from parley.sellers.models import SavedReply

pytestmark = pytest.mark.django_db

PRINCIPALS = ("anonymous", "customer", "other_member", "agent", "owner", "staff")


@dataclass
class World:
    conversation: Conversation
    reply: SavedReply
    users: dict[str, Any]


@pytest.fixture
def world() -> World:
    seller, other_seller = DataSourceFactory.create(), DataSourceFactory.create()
    customer = UserFactory.create()
    conversation = conversation_services.conversation_create(
        user=customer,
        datasource=seller,
        conversation_type="question",
        content="Is it cotton?",
        user_type="registered",
    ).conversation
    users = {
        "customer": customer,
        "staff": UserFactory.create(is_staff=True, is_superuser=True),
        "other_member": UserFactory.create(),
        "agent": UserFactory.create(),
        "owner": UserFactory.create(),
    }
    services.seller_member_add(datasource=other_seller, user=users["other_member"], role="owner")
    services.seller_member_add(datasource=seller, user=users["agent"], role="agent")
    services.seller_member_add(datasource=seller, user=users["owner"], role="owner")
    reply = services.saved_reply_create(datasource=seller, title="Thanks", body="Thank you!")
    return World(conversation=conversation, reply=reply, users=users)


Call = Callable[[Client, World], Any]
ENDPOINTS: dict[str, Call] = {
    "list": lambda c, w: c.get("/seller/inbox/"),
    "thread": lambda c, w: c.get(f"/seller/inbox/{w.conversation.pk}/"),
    "answer": lambda c, w: c.post(
        f"/seller/inbox/{w.conversation.pk}/", {"message_content": "Yes."}
    ),
    "mark_unread": lambda c, w: c.post(f"/seller/inbox/{w.conversation.pk}/unread/"),
    "archive": lambda c, w: c.post(f"/seller/inbox/{w.conversation.pk}/archive/"),
    "replies": lambda c, w: c.get("/seller/inbox/replies/"),
    "reply_create": lambda c, w: c.post("/seller/inbox/replies/", {"title": "t", "body": "b"}),
    "reply_delete": lambda c, w: c.post(f"/seller/inbox/replies/{w.reply.pk}/delete/"),
    "choose": lambda c, w: c.get("/seller/inbox/choose/"),
}
_REFUSED = {"anonymous": 302, "customer": 403, "staff": 403}
EXPECTED: dict[str, dict[str, int]] = {
    "list": {**_REFUSED, "other_member": 200, "agent": 200, "owner": 200},
    "thread": {**_REFUSED, "other_member": 404, "agent": 200, "owner": 200},
    "answer": {**_REFUSED, "other_member": 404, "agent": 303, "owner": 303},
    "mark_unread": {**_REFUSED, "other_member": 404, "agent": 303, "owner": 303},
    "archive": {**_REFUSED, "other_member": 404, "agent": 303, "owner": 303},
    "replies": {**_REFUSED, "other_member": 200, "agent": 200, "owner": 200},
    # The other seller's owner may keep replies, for its own seller only.
    "reply_create": {**_REFUSED, "other_member": 303, "agent": 403, "owner": 303},
    "reply_delete": {**_REFUSED, "other_member": 404, "agent": 403, "owner": 303},
    "choose": {**_REFUSED, "other_member": 200, "agent": 200, "owner": 200},
}


def _snapshot() -> tuple[Any, ...]:
    return (
        list(Conversation.objects.order_by("id").values()),
        list(Message.objects.order_by("id").values()),
        list(SavedReply.objects.order_by("id").values()),
    )


def test_the_matrix_covers_every_inbox_url_and_caller():
    assert all(set(row) == set(PRINCIPALS) for row in EXPECTED.values())
    assert set(EXPECTED) == set(ENDPOINTS)


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_inbox_authorization_matrix(world, endpoint, principal):
    client = Client()
    if principal != "anonymous":
        client.force_login(world.users[principal])
    before = _snapshot()
    response = ENDPOINTS[endpoint](client, world)
    expected = EXPECTED[endpoint][principal]
    assert response.status_code == expected, (endpoint, principal)
    assert response["X-Frame-Options"] == "DENY"
    if expected == 302:
        assert response["Location"].startswith("/seller/inbox/login/?next=")
    if expected >= 400 or (endpoint, principal) == ("reply_create", "other_member"):
        # Refused: nothing changed (the other owner's reply is its own seller's, checked below).
        after = _snapshot()
        if endpoint == "reply_create" and expected == 303:
            assert (
                SavedReply.objects.get(title="t").datasource_id != world.conversation.datasource_id
            )
            after = (after[0], after[1], [r for r in after[2] if r["title"] != "t"])
        assert after == before
    if expected == 200 and endpoint == "list":
        listed = response.content.decode()
        mine = principal in ("agent", "owner")
        assert (f'data-conversation="{world.conversation.pk}"' in listed) == mine
