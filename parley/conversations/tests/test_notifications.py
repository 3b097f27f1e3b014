"""Notifications both ways, through the one outbox, in the transaction of the message."""

import logging
from typing import Any

import pytest
from constance import config
from django.core import mail

from parley.catalog.tests.factories import DataSourceFactory, OrderItemFactory, ProductFactory
from parley.conversations.models import Conversation, Message
from parley.conversations.notifications import KIND_TO_CUSTOMER, KIND_TO_SELLER
from parley.mail.models import EmailStatus, OutgoingEmail
from parley.sellers.tests.factories import token_header, token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller() -> Any:
    return DataSourceFactory.create(title="Anatolia Textiles", email="orders@anatolia.example")


@pytest.fixture
def product(seller) -> Any:
    return ProductFactory.create(datasource=seller, name="Peştemal Towel", sku="AT-TOWEL-01")


def _ask(client: Any, user: Any, seller: Any, **fields: Any) -> Any:
    body = {
        "conversation_type": "question",
        "user": user.pk,
        "user_type": "registered",
        "message_content": "Can I wash it at 60°C?",
        "datasource": seller.pk,
        "content_type": "user",
        "content_id": user.pk,
    }
    body.update(fields)
    return client.post("/users/conversations/", body, format="json")


def _answer(client: Any, seller: Any, conversation_id: int, text: str = "Yes.") -> Any:
    _, key = token_issue(seller)
    return client.post(
        f"/seller/conversations/{conversation_id}/messages/",
        {"message_content": text},
        format="json",
        **token_header(key),
    )


def test_a_customers_question_emails_the_seller_after_the_commit(
    logged_in, user, seller, product, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(
            logged_in, user, seller, item_content="product", item_id=product.pk, subject="Wash"
        )
        assert response.status_code == 201
        assert mail.outbox == []  # nothing leaves before the commit
    conversation = Conversation.objects.get()
    email = OutgoingEmail.objects.get()
    assert (email.kind, email.to, email.status) == (
        KIND_TO_SELLER,
        ["orders@anatolia.example"],
        EmailStatus.SENT,
    )
    [sent] = mail.outbox
    assert sent.to == ["orders@anatolia.example"]
    assert sent.subject == (
        f"New question from a customer about Peştemal Towel (AT-TOWEL-01) "
        f"(conversation #{conversation.pk})"
    )
    assert "Can I wash it at 60°C?" in sent.body
    assert "About: Peştemal Towel (AT-TOWEL-01)" in sent.body
    assert f"POST /seller/conversations/{conversation.pk}/messages/" in sent.body
    [(html, mimetype)] = sent.alternatives  # type: ignore[attr-defined]
    assert mimetype == "text/html"
    assert "Can I wash it at 60°C?" in html
    assert "Peştemal Towel (AT-TOWEL-01)" in html


def test_a_customers_follow_up_emails_the_seller_again(
    logged_in, user, seller, django_capture_on_commit_callbacks
):
    _ask(logged_in, user, seller)
    conversation = Conversation.objects.get()
    _ask(logged_in, user, seller, conversation=conversation.pk, message_content="Hello?")
    assert list(OutgoingEmail.objects.values_list("kind", flat=True)) == [KIND_TO_SELLER] * 2


def test_a_sellers_answer_emails_the_customer(
    client_api, logged_in, user, seller, django_capture_on_commit_callbacks
):
    item = OrderItemFactory.create(
        order__user=user,
        order__number="DEMO-1001",
        product=ProductFactory.create(datasource=seller, name="Birch Lamp", sku="NH-LAMP"),
    )
    _ask(
        logged_in,
        user,
        seller,
        conversation_type="message",
        item_content="orderitem",
        item_id=item.pk,
        subject="No bulb",
    )
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = _answer(client_api, seller, conversation.pk, "We send one today.")
    assert response.status_code == 201
    email = OutgoingEmail.objects.get(kind=KIND_TO_CUSTOMER)
    assert email.to == [user.email]
    [sent] = mail.outbox
    assert sent.to == [user.email]
    assert sent.subject == (
        "Anatolia Textiles answered your message about Birch Lamp (NH-LAMP) of order DEMO-1001"
    )
    assert "We send one today." in sent.body
    assert '"No bulb"' in sent.body


def test_a_seller_without_an_address_gets_no_mail_and_a_log_line(
    logged_in, user, caplog, django_capture_on_commit_callbacks
):
    seller = DataSourceFactory.create(email=None)
    with caplog.at_level(logging.WARNING, logger="parley.conversations.notifications"):
        response = _ask(logged_in, user, seller)
    assert response.status_code == 201
    assert Message.objects.count() == 1
    assert not OutgoingEmail.objects.exists()
    [record] = caplog.records
    assert "has no e-mail address" in record.getMessage()
    assert seller.name in record.getMessage()


def test_a_seller_with_an_unusable_address_still_gets_the_message(
    logged_in, user, caplog, django_capture_on_commit_callbacks
):
    seller = DataSourceFactory.create(email="not an address\r\nBcc: x@example.com")
    with caplog.at_level(logging.WARNING, logger="parley.conversations.notifications"):
        response = _ask(logged_in, user, seller)
    assert response.status_code == 201
    assert Message.objects.count() == 1
    assert not OutgoingEmail.objects.exists()
    assert "not a usable address" in caplog.records[0].getMessage()


def test_html_is_escaped_and_nothing_can_add_a_header(
    logged_in, user, django_capture_on_commit_callbacks
):
    config.MODERATION_POLICY_QUESTION = "off"  # the link below is about escaping, not moderation
    seller = DataSourceFactory.create(title="<i>Shop</i>", email="shop@example.com")
    product = ProductFactory.create(
        datasource=seller, name="Lamp\r\nBcc: victim@example.com <script>x</script>"
    )
    with django_capture_on_commit_callbacks(execute=True):
        _ask(
            logged_in,
            user,
            seller,
            item_content="product",
            item_id=product.pk,
            message_content="<b>bold</b> & <a href='http://evil.example'>click</a>",
        )
    [sent] = mail.outbox
    raw = sent.message().as_string()
    headers = raw.split("\n\n", 1)[0]
    assert "victim@example.com" not in sent.recipients()
    assert not any(line.startswith("Bcc:") for line in headers.splitlines())
    assert "\r" not in sent.subject and "\n" not in sent.subject
    [(html, _)] = sent.alternatives  # type: ignore[attr-defined]
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;a href=&#x27;http://evil.example&#x27;&gt;" in html
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<b>bold</b> & <a href='http://evil.example'>click</a>" in sent.body  # plain text


def test_a_refused_message_queues_no_mail(client_api, seller, settings, logged_in, user):
    _ask(logged_in, user, seller)
    conversation = Conversation.objects.get()
    settings.PARLEY_CONVERSATION_MAX_MESSAGES = 1
    response = _answer(client_api, seller, conversation.pk)
    assert response.status_code == 400
    assert list(OutgoingEmail.objects.values_list("kind", flat=True)) == [KIND_TO_SELLER]


def test_the_mail_rolls_back_with_the_message(seller, user):
    from django.db import transaction

    from parley.conversations.services import conversation_create

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        conversation_create(
            user=user,
            datasource=seller,
            conversation_type="message",
            content="Hello",
            user_type="registered",
        )
        assert OutgoingEmail.objects.count() == 1  # written in the message's transaction
        raise Abort
    assert not OutgoingEmail.objects.exists()
    assert not Message.objects.exists()
