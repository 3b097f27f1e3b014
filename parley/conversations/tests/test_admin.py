"""The back office: conversations with their messages, filters, search and moderation."""

import pytest
from django.test import Client

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations.models import Conversation, Message
from parley.conversations.tests.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


def listed_ids(response):
    return sorted(c.pk for c in response.context["cl"].result_list)


def test_the_list_filters_by_type_answered_public_and_seller(staff_client):
    seller = DataSourceFactory.create()
    question = ConversationFactory.create(conversation_type="question", datasource=seller)
    answered = ConversationFactory.create(is_answered=True)
    public = ConversationFactory.create(is_public=True)
    url = "/admin/conversations/conversation/"

    assert staff_client.get(url).status_code == 200
    assert listed_ids(staff_client.get(url, {"conversation_type__exact": "question"})) == [
        question.pk
    ]
    assert listed_ids(staff_client.get(url, {"is_answered__exact": "1"})) == [answered.pk]
    assert listed_ids(staff_client.get(url, {"is_public__exact": "1"})) == [public.pk]
    assert listed_ids(staff_client.get(url, {"datasource__id__exact": seller.pk})) == [question.pk]


def test_the_list_searches_by_user_email_and_subject(staff_client):
    by_email = ConversationFactory.create(user=UserFactory.create(email="zeynep@example.com"))
    by_subject = ConversationFactory.create(subject="Kargo gecikti")
    ConversationFactory.create()
    url = "/admin/conversations/conversation/"
    assert listed_ids(staff_client.get(url, {"q": "zeynep@"})) == [by_email.pk]
    assert listed_ids(staff_client.get(url, {"q": "kargo"})) == [by_subject.pk]


def test_a_conversation_shows_its_messages_inline(staff_client):
    conversation = ConversationFactory.create()
    MessageFactory.create(conversation=conversation, message_content="Görünen mesaj")
    MessageFactory.create(conversation=conversation, message_content="Gizli mesaj", is_hidden=True)
    response = staff_client.get(f"/admin/conversations/conversation/{conversation.pk}/change/")
    assert response.status_code == 200
    assert "Görünen mesaj" in response.content.decode()
    assert "Gizli mesaj" in response.content.decode()  # staff see what they hid


def test_hiding_from_the_admin_goes_through_the_service(staff_client):
    conversation = ConversationFactory.create()
    question = MessageFactory.create(conversation=conversation)
    answer = MessageFactory.create(
        conversation=conversation, content_type="datasource", content_id=conversation.datasource_id
    )
    Conversation.objects.filter(pk=conversation.pk).update(is_answered=True)

    response = staff_client.post(
        "/admin/conversations/message/",
        {"action": "hide_messages", "_selected_action": [answer.pk]},
    )

    assert response.status_code == 302
    answer.refresh_from_db()
    conversation.refresh_from_db()
    assert answer.is_hidden is True
    assert answer.hidden_by is not None
    assert (conversation.is_answered, conversation.last_message_date) == (
        False,
        question.created_date,
    )
    assert Message.objects.get(pk=question.pk).is_hidden is False


def test_withdrawing_from_public_view(staff_client):
    public = ConversationFactory.create(is_public=True)
    before = public.modified_date
    response = staff_client.post(
        "/admin/conversations/conversation/",
        {"action": "withdraw_from_public", "_selected_action": [public.pk]},
    )
    assert response.status_code == 302
    public.refresh_from_db()
    assert public.is_public is False
    assert public.modified_date > before
