"""The events, caused through the real endpoints and the admin, arrive at a loopback receiver
signed for the right endpoint only (API.md §10)."""

import json

import pytest
from constance import config
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations.models import Conversation, Message
from parley.support.models import ContactRequest
from parley.support.tests.factories import ContactSubjectFactory
from parley.webhooks import services
from parley.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db


def _events(receiver: Receiver, secret: str) -> list[tuple[str, dict]]:
    """(type, data) of every request, each signature verified with the library."""
    return [
        (payload["type"], payload["data"])
        for payload in (Webhook(secret).verify(r.body, r.headers) for r in receiver.requests)
    ]


def _open(client, user, seller):
    return client.post(
        "/users/conversations/",
        {
            "conversation_type": "message",
            "user": user.pk,
            "user_type": "registered",
            "message_content": "Where is my parcel?",
            "datasource": seller.pk,
            "content_type": "user",
            "content_id": user.pk,
        },
        format="json",
    )


def test_opening_a_conversation_emits_conversation_created_and_message_created(
    endpoint, seller, receiver, logged_in, user, django_capture_on_commit_callbacks
):
    other = services.webhook_endpoint_create(
        datasource=DataSourceFactory.create(), url=receiver.url + "/other"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _open(logged_in, user, seller)
    assert response.status_code == 201
    conversation = Conversation.objects.get()
    message = Message.objects.get()
    assert _events(receiver, endpoint.secret) == [
        ("conversation.created", {"conversation": conversation.pk, "seller": seller.pk}),
        (
            "message.created",
            {"conversation": conversation.pk, "message": message.pk, "seller": seller.pk},
        ),
    ]
    assert not other.deliveries.exists()


def test_both_parties_messages_emit_message_created(
    endpoint, seller, seller_key, receiver, logged_in, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _open(logged_in, user, seller)
    receiver.requests.clear()  # the opening's events: the test above
    conversation = Conversation.objects.get()
    seller_client = APIClient()
    seller_client.credentials(HTTP_AUTHORIZATION=f"Token {seller_key}")
    with django_capture_on_commit_callbacks(execute=True):
        answered = seller_client.post(
            f"/seller/conversations/{conversation.pk}/messages/",
            {"message_content": "Tomorrow."},
            format="json",
        )
    with django_capture_on_commit_callbacks(execute=True):
        appended = logged_in.post(
            "/users/conversations/",
            {
                "conversation": conversation.pk,
                "conversation_type": "message",
                "user": user.pk,
                "user_type": "registered",
                "message_content": "Thanks!",
                "datasource": seller.pk,
                "content_type": "user",
                "content_id": user.pk,
            },
            format="json",
        )
    assert (answered.status_code, appended.status_code) == (201, 201)
    expected = [answered.json()["id"], Message.objects.latest("id").pk]
    events = _events(receiver, endpoint.secret)
    assert [t for t, _ in events] == ["message.created", "message.created"]
    assert [d["message"] for _, d in events] == expected
    assert all(d["conversation"] == conversation.pk for _, d in events)


def test_hiding_a_message_in_the_admin_emits_message_hidden(
    endpoint, seller, receiver, logged_in, user, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _open(logged_in, user, seller)
    receiver.requests.clear()  # the opening's events: the test above
    message = Message.objects.get()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/conversations/message/",
            {"action": "hide_messages", "_selected_action": [message.pk]},
        )
    assert response.status_code == 302
    assert Message.objects.get().is_hidden
    assert _events(receiver, endpoint.secret) == [
        (
            "message.hidden",
            {"conversation": message.conversation_id, "message": message.pk, "seller": seller.pk},
        )
    ]


def test_a_contact_request_emits_contact_request_created_to_operator_endpoints(
    loopback, seller, receiver, client_api, django_capture_on_commit_callbacks
):
    operator = services.webhook_endpoint_create(datasource=None, url=receiver.url)
    services.webhook_endpoint_create(datasource=seller, url=receiver.url + "/seller")
    subject = ContactSubjectFactory.create()
    client_api.fetch_csrf()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_api.post(
            "/users/contact-us/",
            {
                "subject": subject.pk,
                "full_name": "Joe",
                "email": "joe@example.com",
                "message": "Hi",
            },
            format="json",
        )
    assert response.status_code == 200
    contact_request = ContactRequest.objects.get()
    assert _events(receiver, operator.secret) == [
        ("contact_request.created", {"contact_request": contact_request.pk, "subject": subject.pk})
    ]
    assert [r.path for r in receiver.requests] == ["/hooks"]


def test_conversation_read_is_ready_for_the_read_marks(
    endpoint, seller, receiver, django_capture_on_commit_callbacks
):
    """The inbox's read marks call this when the customer reads the seller's messages."""
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_event_emit(
            event_type="conversation.read", seller=seller, data={"conversation": 5, "message": 8}
        )
    [request] = receiver.requests
    assert json.loads(request.body)["data"] == {
        "conversation": 5,
        "message": 8,
        "seller": seller.pk,
    }
    assert _events(receiver, endpoint.secret)[0][0] == "conversation.read"


def test_a_held_message_emits_message_held_to_operators_and_message_created_once_approved(
    endpoint,
    loopback,
    seller,
    receiver,
    logged_in,
    user,
    client,
    django_capture_on_commit_callbacks,
):
    """Moderation's `hold` (API.md §9): staff's endpoints hear of the held message at once, the
    seller's only when staff approve it."""
    operator = services.webhook_endpoint_create(datasource=None, url=receiver.url + "/operator")
    with django_capture_on_commit_callbacks(execute=True):
        _open(logged_in, user, seller)
    receiver.requests.clear()  # the opening's events: the first test
    config.MODERATION_POLICY_MESSAGE = "hold"
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(
            "/users/conversations/",
            {
                "conversation": conversation.pk,
                "conversation_type": "message",
                "user": user.pk,
                "user_type": "registered",
                "message_content": "Call me on 0532 123 45 67",
                "datasource": seller.pk,
                "content_type": "user",
                "content_id": user.pk,
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    held = Message.objects.latest("id")
    assert held.moderation_status == "pending"
    expected = {"conversation": conversation.pk, "message": held.pk, "seller": seller.pk}
    assert _events(receiver, operator.secret) == [("message.held", expected)]
    assert [r.path for r in receiver.requests] == ["/hooks/operator"]

    receiver.requests.clear()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(
            "/admin/conversations/heldmessage/",
            {"action": "approve", "_selected_action": [held.pk]},
        )
    assert approved.status_code == 302
    assert _events(receiver, endpoint.secret) == [("message.created", expected)]


def test_the_customer_reading_on_emits_conversation_read_once(
    endpoint, seller, seller_key, receiver, logged_in, user, django_capture_on_commit_callbacks
):
    """API.md §7 read marks meet §10: the customer's read that moves the mark tells the seller's
    endpoints; a read that moves nothing tells no one."""
    with django_capture_on_commit_callbacks(execute=True):
        _open(logged_in, user, seller)
    conversation = Conversation.objects.get()
    seller_client = APIClient()
    seller_client.credentials(HTTP_AUTHORIZATION=f"Token {seller_key}")
    with django_capture_on_commit_callbacks(execute=True):
        seller_client.post(
            f"/seller/conversations/{conversation.pk}/messages/",
            {"message_content": "Tomorrow."},
            format="json",
        )
    answer = Message.objects.latest("id")
    receiver.requests.clear()  # the opening's and the answer's events: the tests above
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = logged_in.post(
                f"/users/conversations/{conversation.pk}/read/", {}, format="json"
            )
        assert response.status_code == 200, response.content
    assert _events(receiver, endpoint.secret) == [
        (
            "conversation.read",
            {"conversation": conversation.pk, "message": answer.pk, "seller": seller.pk},
        )
    ]
