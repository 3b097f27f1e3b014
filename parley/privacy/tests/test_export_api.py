"""`GET /users/me/export/` (API.md §11): everything Parley holds about the logged-in user."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory, OrderFactory, OrderItemFactory
from parley.conversations import services as conversation_services
from parley.conversations.models import Conversation, Message
from parley.core.tests import samples
from parley.privacy.serializers import CustomerExportSerializer
from parley.support.attachments import attachment_check
from parley.support.services import contact_request_create
from parley.support.tests.corpus import pdf
from parley.support.tests.factories import ContactSubjectFactory

pytestmark = pytest.mark.django_db


def _history(user: Any, size: int) -> None:
    """`size` of each kind of data for `user`: orders with items, contact requests with a
    file, conversations with three messages each (e-mails come with them)."""
    subject = ContactSubjectFactory.create()
    for number in range(size):
        order = OrderFactory.create(user=user)
        OrderItemFactory.create(order=order)
        upload = SimpleUploadedFile(f"scan-{number}.pdf", pdf(), "application/pdf")
        contact_request_create(
            subject_id=subject.pk,
            full_name="Çağla Öztürk",
            email=user.email,
            message=f"contact {number}",
            attachment=attachment_check(upload),
            user_id=user.pk,
        )
        seller = DataSourceFactory.create(email=f"seller{number}-{user.pk}@shop.example")
        message = conversation_services.conversation_create(
            user=user,
            datasource=seller,
            conversation_type="message",
            content=f"first {number}",
            user_type="registered",
            subject=f"subject {number}",
        )
        for text in (f"answer {number}", f"second {number}"):
            customer = not text.startswith("answer")
            photo = SimpleUploadedFile(f"photo-{number}.png", samples.image("PNG"))
            conversation_services.message_append(
                conversation=message.conversation,
                content=text,
                content_type="user" if customer else "datasource",
                content_id=user.pk if customer else seller.pk,
                user_type="registered",
                attachments=[
                    conversation_services.attachment_upload(upload=photo, user_id=user.pk).public_id
                ]
                if customer
                else [],
            )


def test_anonymous_is_refused(client_api):
    response = client_api.get("/users/me/export/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_the_export_holds_every_section_and_only_the_users_own_data(
    logged_in, user, routing, private_media
):
    _history(user, 2)
    other = UserFactory.create(first_name="Zeynep", last_name="Başkası")
    _history(other, 1)
    OrderFactory.create(user=None, email=user.email.upper(), number="GUEST-1")  # a guest order

    response = logged_in.get("/users/me/export")  # the slash-less twin, too
    assert response.status_code == 200, response.content
    export = response.json()
    assert set(export) == set(CustomerExportSerializer().fields)
    assert export["profile"]["email"] == user.email
    assert export["profile"]["first_name"] == "Çağla"
    assert "GUEST-1" in {order["number"] for order in export["orders"]}
    assert len(export["orders"]) == 3
    assert [request["message"] for request in export["contact_requests"]] == [
        "contact 1",
        "contact 0",
    ]
    assert {request["attachment_name"] for request in export["contact_requests"]} == {
        "scan-0.pdf",
        "scan-1.pdf",
    }
    assert [
        [message["message_content"] for message in conversation["messages"]]
        for conversation in export["conversations"]
    ] == [["first 0", "answer 0", "second 0"], ["first 1", "answer 1", "second 1"]]
    assert [attachment["name"] for attachment in export["attachments"]] == [
        "photo-0.png",
        "photo-1.png",
    ]
    kinds = sorted(email["kind"] for email in export["emails"])
    assert (
        kinds
        == ["contact_us"] * 2 + ["conversation_to_customer"] * 2 + ["conversation_to_seller"] * 4
    )
    text = response.content.decode()
    assert "Zeynep" not in text and "Başkası" not in text and other.email not in text


def test_the_export_matches_its_declared_schema(logged_in, user, routing, private_media):
    _history(user, 1)
    export = logged_in.get("/users/me/export/").json()
    serializer = CustomerExportSerializer()
    for section, field in serializer.fields.items():
        child: Any = getattr(field, "child", field)
        rows = export[section] if isinstance(export[section], list) else [export[section]]
        assert rows, section
        for row in rows:
            assert set(row) == set(child.fields), section


@pytest.mark.parametrize("size", [1, 6])
def test_the_export_reads_in_a_fixed_number_of_queries(
    logged_in, user, routing, private_media, size, django_assert_num_queries
):
    _history(user, size)
    # The session and its user (2), the profile (1), orders and their items (2), contact
    # requests (1), conversations and their messages (2), attachments (1), e-mails (1).
    with django_assert_num_queries(12):
        response = logged_in.get("/users/me/export/")
    assert response.status_code == 200
    assert len(response.json()["conversations"]) == size


@pytest.mark.parametrize("query", ["?format=xml", "?page=abc", "?limit=-1", "?user=1", "?%ff=%00"])
def test_odd_queries_are_never_a_server_error(logged_in, query):
    response = logged_in.get(f"/users/me/export/{query}")
    assert response.status_code in (200, 404), response.content


def test_only_get(logged_in):
    assert logged_in.post("/users/me/export/", {}, format="json").status_code == 405


def test_the_schema_declares_the_export(client_api):
    schema = client_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/users/me/export/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CustomerExport"
    }
    declared = schema["components"]["schemas"]["CustomerExport"]["properties"]
    assert set(declared) == set(CustomerExportSerializer().fields)


def test_the_export_holds_the_customers_read_marks(logged_in, user, routing, private_media):
    """API.md §7's read marks are the customer's too: each conversation says how far they read."""
    _history(user, 2)
    conversations = list(Conversation.objects.filter(user=user).order_by("created_date", "id"))
    read = Message.objects.filter(conversation=conversations[0]).order_by("id").first()
    assert read is not None
    Conversation.objects.filter(pk=conversations[0].pk).update(
        customer_last_read_message_id=read.pk
    )
    # The other conversation's mark is where the customer's own last message moved it.
    moved = Conversation.objects.get(pk=conversations[1].pk).customer_last_read_message_id
    assert moved is not None
    exported = logged_in.get("/users/me/export/").json()["conversations"]
    assert [c["last_read_message_id"] for c in exported] == [read.pk, moved]
