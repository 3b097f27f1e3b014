"""The evidence of API.md §11's erasure: a customer with a full history is erased, and then
their name, e-mail, phone and words are in no column of any table and in no stored file; the
seller still reads the conversation; another customer's data is untouched."""

from typing import Any

import pytest
from django.core.management import call_command

from parley.accounts.models import User
from parley.catalog.models import Order
from parley.conversations.models import Conversation, Message
from parley.core.models import IdempotencyKey
from parley.mail.models import EmailStatus, OutgoingEmail
from parley.privacy.models import PrivacyOperation, PrivacyRecord
from parley.privacy.tests.helpers import PASSWORD, database_find, history_build, storage_find
from parley.support.models import ContactRequest

pytestmark = pytest.mark.django_db(transaction=False)

PLACEHOLDER = "[deleted at the customer's request]"


def _rows_of(user: User) -> Any:
    """Everything stored about `user`, to prove it unchanged."""
    return (
        list(User.objects.filter(pk=user.pk).values()),
        list(ContactRequest.objects.filter(email__iexact=user.email).order_by("id").values()),
        list(Conversation.objects.filter(user=user).order_by("id").values()),
        list(Message.objects.filter(conversation__user=user).order_by("id").values()),
        list(OutgoingEmail.objects.filter(about_user=user).order_by("id").values()),
        list(Order.objects.filter(user=user).order_by("id").values()),
    )


def test_an_erased_customer_is_nowhere_and_the_seller_still_reads_the_conversation(
    client_api, django_capture_on_commit_callbacks, private_media, routing
):
    customer = history_build(
        client_api, type(client_api)(), django_capture_on_commit_callbacks, tag="11"
    )
    other_client = type(client_api)()
    other = history_build(
        other_client, type(client_api)(), django_capture_on_commit_callbacks, tag="22"
    )
    statuses = set(
        OutgoingEmail.objects.filter(about_user=customer.user).values_list("status", flat=True)
    )
    assert {EmailStatus.SENT, EmailStatus.PENDING} <= statuses  # sent and pending e-mails
    assert IdempotencyKey.objects.filter(scope=f"user:{customer.user.pk}").exists()
    assert database_find(customer.needles)  # the search does find them before
    assert storage_find(private_media, customer.needles)
    public = client_api.get(f"/products/{customer.product_id}/questions/").json()["results"]
    assert [question["id"] for question in public] == [customer.conversation_id]
    other_before = _rows_of(other.user)
    other_files = storage_find(private_media, other.needles)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("erase_customer", customer.user.email)

    assert database_find(customer.needles) == []
    assert storage_find(private_media, customer.needles) == []
    # The seller still reads the conversation, with the placeholder in the customer's words.
    detail = client_api.get(
        f"/seller/conversations/{customer.conversation_id}/",
        HTTP_AUTHORIZATION=f"Token {customer.seller_key}",
    )
    assert detail.status_code == 200, detail.content
    body = detail.json()
    assert body["subject"] == PLACEHOLDER
    assert [m["message_content"] for m in body["message_set"]] == [
        PLACEHOLDER,
        "Yes, it fits up to 2 metres (11)",
        PLACEHOLDER,
    ]
    assert Conversation.objects.get(pk=customer.conversation_id).is_public is False
    public = client_api.get(f"/products/{customer.product_id}/questions/")
    assert public.status_code == 200 and public.json()["results"] == []
    # The other customer: every row and file as before.
    assert _rows_of(other.user) == other_before
    assert storage_find(private_media, other.needles) == other_files
    # The account: no login, no session, one record without personal data.
    erased = User.objects.get(pk=customer.user.pk)
    assert not erased.is_active and not erased.has_usable_password()
    assert client_api.get("/current_user/").status_code == 403
    login = type(client_api)().post(
        "/users/login/", {"email": "aysegul.11@example.com", "password": PASSWORD}, format="json"
    )
    assert login.status_code == 400
    record = PrivacyRecord.objects.get()
    assert record.operation == PrivacyOperation.ERASURE
    assert record.customer_id == customer.user.pk
    assert record.channel == "command line"
    assert record.counts["files"] == 2
    assert record.counts["contact_requests"] == 2
    assert record.counts["conversations"] == 3 + 1  # three messages, one subject
    # Pending e-mails will never be sent; sent ones stay as the delivery record.
    erased_mails = OutgoingEmail.objects.filter(about_user=erased)
    assert not erased_mails.filter(status__in=[EmailStatus.PENDING, EmailStatus.SENDING])
    assert erased_mails.filter(status=EmailStatus.SENT).exists()


def test_the_placeholder_is_in_the_shops_language(
    client_api, django_capture_on_commit_callbacks, routing, settings
):
    customer = history_build(
        client_api, type(client_api)(), django_capture_on_commit_callbacks, tag="33"
    )
    settings.LANGUAGE_CODE = "tr"
    call_command("erase_customer", str(customer.user.pk))
    turkish = "[müşterinin talebi üzerine silindi]"
    contents = set(
        Message.objects.filter(conversation__user=customer.user, content_type="user").values_list(
            "message_content", flat=True
        )
    )
    assert contents == {turkish}
