"""API.md §9 at the HTTP level: every policy on the customer's and the seller's message posts,
the moderation queue in the admin, repeat offenders, the forbidden words staff manage."""

from datetime import timedelta
from typing import Any

import pytest
from constance import config
from constance.forms import ConstanceForm
from constance.utils import get_values
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations.models import Conversation, Message
from parley.conversations.tests.factories import ConversationFactory, MessageFactory
from parley.mail.models import OutgoingEmail
from parley.moderation.models import BlockedMessage, ForbiddenWord, SenderFlag
from parley.sellers.tests.factories import token_header, token_issue
from parley.support.tests.factories import ContactSubjectFactory

pytestmark = pytest.mark.django_db

URL = "/users/conversations/"
PHONE = "Kargo gecikirse beni 0532 441 22 98'den arayın"
PHONE_DIGITS = "0532 441 22 98"


@pytest.fixture
def seller() -> Any:
    return DataSourceFactory.create(email="orders@seller.example")


@pytest.fixture
def seller_auth(seller) -> dict[str, Any]:
    _, key = token_issue(seller)
    return token_header(key)


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


def ask(client: Any, user: Any, seller: Any, text: str, **fields: Any) -> Any:
    body = {
        "conversation_type": "message",
        "user": user.pk,
        "user_type": "registered",
        "message_content": text,
        "datasource": seller.pk,
        "content_type": "user",
        "content_id": user.pk,
        "subject": "Kargo",
    }
    body.update(fields)
    return client.post(URL, body, format="json")


def answer(client: Any, auth: dict[str, Any], conversation: Conversation, text: str) -> Any:
    return client.post(
        f"/seller/conversations/{conversation.pk}/messages/",
        {"message_content": text},
        format="json",
        **auth,
    )


def stored() -> tuple[list[Any], list[Any], int]:
    return (
        list(Conversation.objects.order_by("id").values()),
        list(Message.objects.order_by("id").values()),
        OutgoingEmail.objects.count(),
    )


def counted(kind: str, decision: str) -> float:
    labels = {"kind": kind, "decision": decision}
    return REGISTRY.get_sample_value("parley_moderation_findings_total", labels) or 0.0


# --- block (the default) ---------------------------------------------------------------------


def test_block_refuses_a_customers_message_names_the_kind_and_stores_nothing(
    logged_in, user, seller
):
    before, count_before = stored(), counted("phone", "block")

    response = ask(logged_in, user, seller, PHONE)

    assert response.status_code == 400
    assert response.json() == {"message_content": ["Messages may not contain phone numbers."]}
    assert PHONE_DIGITS.replace(" ", "") not in response.content.decode().replace(" ", "")
    assert stored() == before
    blocked = BlockedMessage.objects.get()
    assert (blocked.user_id, blocked.datasource_id, blocked.kinds) == (user.pk, None, "phone")
    assert counted("phone", "block") == count_before + 1


def test_the_refusal_speaks_the_requests_language_and_names_every_kind(logged_in, user, seller):
    response = logged_in.post(
        URL,
        {
            "conversation_type": "message",
            "user": user.pk,
            "user_type": "registered",
            "message_content": "ara 0532 441 22 98 ya da yaz ayse[at]gmail[dot]com",
            "datasource": seller.pk,
            "content_type": "user",
            "content_id": user.pk,
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="tr-tr",
    )

    assert response.status_code == 400
    assert response.json() == {
        "message_content": ["Mesajlarda telefon numarası ve e-posta adresi paylaşılamaz."]
    }


def test_block_refuses_an_appended_message_and_leaves_the_conversation_as_it_was(
    logged_in, user, seller
):
    conversation = ConversationFactory.create(user=user, datasource=seller)
    MessageFactory.create(conversation=conversation)
    before = stored()

    response = ask(
        logged_in,
        user,
        seller,
        "IBAN: TR33 0006 1005 1978 6457 8413 26",
        conversation=conversation.pk,
    )

    assert response.status_code == 400
    assert response.json() == {
        "message_content": ["Messages may not contain bank account numbers (IBAN)."]
    }
    assert stored() == before


def test_block_refuses_a_sellers_answer(client_api, seller, seller_auth):
    conversation = ConversationFactory.create(datasource=seller)
    before = stored()

    response = answer(client_api, seller_auth, conversation, "Daha ucuzu: www.ucuzhali.com")

    assert response.status_code == 400
    assert response.json() == {
        "message_content": ["Messages may not contain links to other websites."]
    }
    assert stored() == before
    blocked = BlockedMessage.objects.get()
    assert (blocked.user_id, blocked.datasource_id, blocked.kinds) == (None, seller.pk, "link")


def test_ordinary_numbers_pass(logged_in, user, seller):
    response = ask(
        logged_in,
        user,
        seller,
        "Sipariş no 3481234567, barkod 8690632012346, 1.250,00 TL, 42 numara, 30.11.2026",
    )

    assert response.status_code == 201, response.content
    assert Message.objects.get().is_hidden is False


def test_the_shops_own_domain_passes(logged_in, user, seller, settings):
    settings.PARLEY_MODERATION_ALLOWED_DOMAINS = ["shop.example"]

    assert (
        ask(logged_in, user, seller, "Beden tablosu: https://www.shop.example/beden").status_code
        == 201
    )
    assert (
        ask(logged_in, user, seller, "bit.ly/abc", conversation_type="question").status_code == 400
    )


def test_staff_messages_are_not_checked(client_api, seller):
    staff = UserFactory.create(is_staff=True)
    client_api.login_as(staff)

    response = ask(client_api, staff, seller, PHONE)

    assert response.status_code == 201, response.content
    assert not BlockedMessage.objects.exists()


# --- hold ------------------------------------------------------------------------------------


def test_hold_stores_the_message_hidden_answers_as_usual_and_notifies_nobody(
    logged_in, user, seller, seller_auth, django_capture_on_commit_callbacks
):
    config.MODERATION_POLICY_MESSAGE = "hold"
    count_before = counted("phone", "hold")

    with django_capture_on_commit_callbacks(execute=True):
        response = ask(logged_in, user, seller, PHONE)

    assert response.status_code == 201, response.content
    assert response.json()["message_content"] == PHONE
    message = Message.objects.get()
    assert (message.is_hidden, message.moderation_status) == (True, "pending")
    assert not OutgoingEmail.objects.exists()
    assert not BlockedMessage.objects.exists()
    assert counted("phone", "hold") == count_before + 1
    conversation_id = message.conversation_id
    mine = logged_in.get(f"{URL}{conversation_id}/").json()
    assert mine["message_set"] == []
    theirs = client_api_get(f"/seller/conversations/{conversation_id}/", seller_auth)
    assert theirs["message_set"] == []


def client_api_get(path: str, auth: dict[str, Any]) -> Any:
    return APIClient().get(path, **auth).json()


def test_approving_in_the_admin_shows_the_message_and_sends_the_notification(
    logged_in, user, seller, seller_auth, staff_client, django_capture_on_commit_callbacks
):
    config.MODERATION_POLICY_MESSAGE = "hold"
    ask(logged_in, user, seller, PHONE)
    message = Message.objects.get()
    queue = staff_client.get("/admin/conversations/heldmessage/")
    assert [m.pk for m in queue.context["cl"].result_list] == [message.pk]

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/conversations/heldmessage/",
            {"action": "approve", "_selected_action": [message.pk]},
        )

    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.is_hidden, message.moderation_status) == (False, "approved")
    assert OutgoingEmail.objects.get().to == ["orders@seller.example"]
    conversation = Conversation.objects.get()
    assert (conversation.is_answered, conversation.last_message_date) == (
        False,
        message.created_date,
    )
    shown = client_api_get(f"/seller/conversations/{conversation.pk}/", seller_auth)
    assert [m["id"] for m in shown["message_set"]] == [message.pk]
    assert staff_client.get("/admin/conversations/heldmessage/").context["cl"].result_count == 0


def test_rejecting_in_the_admin_keeps_it_hidden_and_notifies_nobody(
    client_api, seller, seller_auth, staff_client, django_capture_on_commit_callbacks
):
    config.MODERATION_POLICY_QUESTION = "hold"
    conversation = ConversationFactory.create(datasource=seller, conversation_type="question")
    question = MessageFactory.create(conversation=conversation)
    assert answer(client_api, seller_auth, conversation, "WhatsApp'tan yazın").status_code == 201
    held = Message.objects.exclude(pk=question.pk).get()
    assert held.moderation_status == "pending"

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            "/admin/conversations/heldmessage/",
            {"action": "reject", "_selected_action": [held.pk]},
        )

    held.refresh_from_db()
    assert (held.is_hidden, held.moderation_status, held.hidden_by is not None) == (
        True,
        "rejected",
        True,
    )
    assert not OutgoingEmail.objects.exists()
    conversation.refresh_from_db()
    assert conversation.is_answered is False
    shown = client_api_get(f"/seller/conversations/{conversation.pk}/", seller_auth)
    assert [m["id"] for m in shown["message_set"]] == [question.pk]


def test_staff_switch_a_conversation_type_to_hold_in_the_admin(
    logged_in, user, seller, staff_client
):
    values = get_values()
    response = staff_client.post(
        "/admin/constance/config/",
        {
            **values,
            "version": ConstanceForm(initial=values).initial["version"],
            "MODERATION_POLICY_MESSAGE": "hold",
        },
    )
    assert response.status_code == 302

    assert ask(logged_in, user, seller, PHONE).status_code == 201
    assert Message.objects.get().moderation_status == "pending"


def test_the_policy_is_per_conversation_type(logged_in, user, seller):
    config.MODERATION_POLICY_QUESTION = "hold"

    assert ask(logged_in, user, seller, PHONE, conversation_type="question").status_code == 201
    assert ask(logged_in, user, seller, PHONE, conversation_type="message").status_code == 400
    assert ask(logged_in, user, seller, PHONE, conversation_type="review").status_code == 400


# --- off -------------------------------------------------------------------------------------


def test_off_stores_the_message_as_it_is(logged_in, user, seller, client_api, seller_auth):
    config.MODERATION_POLICY_MESSAGE = "off"

    response = ask(logged_in, user, seller, PHONE)

    assert response.status_code == 201
    message = Message.objects.get()
    assert (message.is_hidden, message.moderation_status) == (False, "")
    conversation = Conversation.objects.get()
    assert answer(client_api, seller_auth, conversation, "ara 0212 555 12 34").status_code == 201
    assert not BlockedMessage.objects.exists()


# --- repeat offenders ------------------------------------------------------------------------


def test_three_blocks_in_a_day_throttle_the_customer_for_an_hour_and_flag_them(
    logged_in, user, seller, staff_client
):
    for _ in range(3):
        assert ask(logged_in, user, seller, PHONE).status_code == 400
    assert SenderFlag.objects.get().user_id == user.pk

    clean = ask(logged_in, user, seller, "Kargom nerede?")

    assert clean.status_code == 429
    assert 3590 <= int(clean["Retry-After"]) <= 3600
    assert clean.json()["detail"].startswith("Too many messages were refused")
    assert not Message.objects.exists()
    flags = staff_client.get("/admin/moderation/senderflag/")
    assert [f.user_id for f in flags.context["cl"].result_list] == [user.pk]

    SenderFlag.objects.update(throttled_until=timezone.now() - timedelta(seconds=1))
    assert ask(logged_in, user, seller, "Kargom nerede?").status_code == 201


def test_blocks_older_than_a_day_do_not_count(logged_in, user, seller):
    for _ in range(2):
        assert ask(logged_in, user, seller, PHONE).status_code == 400
    BlockedMessage.objects.update(created_at=timezone.now() - timedelta(hours=25))

    assert ask(logged_in, user, seller, PHONE).status_code == 400
    assert ask(logged_in, user, seller, "Kargom nerede?").status_code == 201
    assert not SenderFlag.objects.exists()


def test_a_throttled_seller_gets_429_on_every_conversation(client_api, seller, seller_auth):
    first, second = ConversationFactory.create_batch(2, datasource=seller)
    for _ in range(3):
        assert (
            answer(client_api, seller_auth, first, "bana ulaşın: satis@ucuzhali.com").status_code
            == 400
        )

    response = answer(client_api, seller_auth, second, "Yarın kargodadır.")

    assert response.status_code == 429
    assert "Retry-After" in response
    assert SenderFlag.objects.get().datasource_id == seller.pk
    other = DataSourceFactory.create()
    _, key = token_issue(other)
    mine = ConversationFactory.create(datasource=other)
    assert answer(client_api, token_header(key), mine, "Yarın kargodadır.").status_code == 201


# --- forbidden words -------------------------------------------------------------------------


def test_a_word_staff_forbid_in_the_admin_is_refused_from_the_next_message(
    logged_in, user, seller, staff_client
):
    assert ask(logged_in, user, seller, "Kapora gönderirseniz ayırırım").status_code == 201

    staff_client.post(
        "/admin/moderation/forbiddenword/add/",
        {"language": "tr", "word": "kapora", "is_active": "on"},
    )
    assert ForbiddenWord.objects.get().word == "kapora"
    refused = ask(
        logged_in, user, seller, "KAPORA gönderirseniz ayırırım", conversation_type="question"
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "message_content": ["Messages may not contain words that are not allowed."]
    }

    word = ForbiddenWord.objects.get()
    staff_client.post(f"/admin/moderation/forbiddenword/{word.pk}/delete/", {"post": "yes"})
    assert (
        ask(
            logged_in, user, seller, "Kapora gönderirseniz ayırırım", conversation_type="review"
        ).status_code
        == 201
    )


# --- what is not checked, and what is shown --------------------------------------------------


def test_the_contact_us_form_is_not_checked(client_api, db):
    config.CONTACT_US_EMAIL_TO = '{"contact_us": "support@shop.example"}'
    subject = ContactSubjectFactory.create()
    client_api.fetch_csrf()

    response = client_api.post(
        "/users/contact-us/",
        {
            "subject": subject.pk,
            "full_name": "Ayşe Yılmaz",
            "email": "ayse@example.com",
            "message": f"Beni arayın: {PHONE_DIGITS}",
        },
        format="json",
    )

    assert response.status_code == 200
    assert not BlockedMessage.objects.exists()


def test_findings_are_counted_on_metrics(logged_in, user, seller, client):
    ask(logged_in, user, seller, "ayse[at]gmail[dot]com")

    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()

    line = next(
        line
        for line in text.splitlines()
        if line.startswith('parley_moderation_findings_total{decision="block",kind="email"}')
    )
    assert float(line.rsplit(" ", 1)[1]) >= 1
