"""The write rules in the services and the database constraints behind them."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations import services
from parley.conversations.models import Conversation, Message
from parley.conversations.tests.factories import ConversationFactory, MessageFactory
from parley.conversations.tests.races import race
from parley.core.exceptions import ApplicationError

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def append(conversation, *, by="user", content="hi"):
    writer = conversation.datasource_id if by == "datasource" else conversation.user_id
    return services.message_append(
        conversation=conversation,
        content=content,
        content_type=by,
        content_id=writer,
        user_type="registered",
    )


@pytest.mark.django_db
def test_a_seller_message_answers_and_a_customer_message_reopens():
    conversation = ConversationFactory.create(
        last_message_date=T0, created_date=T0, modified_date=T0
    )
    Conversation.objects.filter(pk=conversation.pk).update(modified_date=T0)

    answer = append(conversation, by="datasource")
    conversation.refresh_from_db()
    assert conversation.is_answered is True
    assert conversation.last_message_date == answer.created_date
    assert conversation.first_response_date == answer.created_date
    assert conversation.modified_date > T0

    follow_up = append(conversation, by="user")
    second_answer = append(conversation, by="datasource")
    conversation.refresh_from_db()
    assert follow_up.created_date <= second_answer.created_date
    assert conversation.is_answered is True
    assert conversation.last_message_date == second_answer.created_date
    # The first response is the first one, not the latest.
    assert conversation.first_response_date == answer.created_date

    append(conversation, by="user")
    conversation.refresh_from_db()
    assert conversation.is_answered is False


@pytest.mark.django_db
def test_append_updates_the_callers_instance():
    conversation = ConversationFactory.create(last_message_date=T0)
    message = append(conversation, by="datasource")
    assert (conversation.is_answered, conversation.last_message_date) == (
        True,
        message.created_date,
    )
    assert message.conversation is conversation


@pytest.mark.django_db
def test_the_message_limit_counts_hidden_messages_too(settings):
    settings.PARLEY_CONVERSATION_MAX_MESSAGES = 3
    conversation = ConversationFactory.create()
    MessageFactory.create_batch(2, conversation=conversation)
    MessageFactory.create(conversation=conversation, is_hidden=True)
    with pytest.raises(ApplicationError) as refused:
        append(conversation)
    assert refused.value.message == "This conversation already holds the maximum of 3 messages."
    assert Message.objects.filter(conversation=conversation).count() == 3


@pytest.mark.django_db
def test_hiding_recomputes_the_state_from_the_visible_messages():
    conversation = ConversationFactory.create(created_date=T0, last_message_date=T0)
    first = MessageFactory.create(conversation=conversation, created_date=T0 + timedelta(1))
    answer = MessageFactory.create(
        conversation=conversation,
        content_type="datasource",
        content_id=conversation.datasource_id,
        created_date=T0 + timedelta(2),
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        is_answered=True, last_message_date=answer.created_date, modified_date=T0
    )
    staff = UserFactory.create(is_staff=True)

    services.message_hide(message=answer, hidden_by=staff)
    conversation.refresh_from_db()
    answer.refresh_from_db()
    assert (answer.is_hidden, answer.hidden_by, answer.hidden_at is not None) == (True, staff, True)
    assert (conversation.is_answered, conversation.last_message_date) == (
        False,
        first.created_date,
    )
    assert conversation.modified_date > T0

    services.message_hide(message=first, hidden_by=staff)
    conversation.refresh_from_db()
    # Nothing visible: back to the opening time, never NULL (see models).
    assert (conversation.is_answered, conversation.last_message_date) == (False, T0)

    services.message_unhide(message=answer)
    conversation.refresh_from_db()
    answer.refresh_from_db()
    assert (answer.is_hidden, answer.hidden_by, answer.hidden_at) == (False, None, None)
    assert (conversation.is_answered, conversation.last_message_date) == (
        True,
        answer.created_date,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("with_item", [False, True])
def test_the_database_refuses_a_second_identical_conversation(with_item):
    item = {"item_content": "product", "item_id": 7} if with_item else {}
    first = ConversationFactory.create(**item)
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(
            user=first.user,
            datasource=first.datasource,
            conversation_type=first.conversation_type,
            **item,
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "item", [{"item_content": "product"}, {"item_id": 7}, {"item_content": "basket", "item_id": 7}]
)
def test_the_database_refuses_a_half_or_unknown_item(item):
    with pytest.raises(IntegrityError), transaction.atomic():
        ConversationFactory.create(**item)


@pytest.mark.django_db
def test_a_duplicate_leaves_the_callers_transaction_usable():
    user, seller = UserFactory.create(), DataSourceFactory.create()
    arguments: dict[str, Any] = {
        "user": user,
        "datasource": seller,
        "conversation_type": "message",
        "content": "hi",
        "user_type": "registered",
    }
    with transaction.atomic():
        services.conversation_create(**arguments)
        with pytest.raises(services.ConversationAlreadyExists):
            services.conversation_create(**arguments)
        # The failed insert ran in a savepoint: the outer transaction still works.
        assert Conversation.objects.count() == 1
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_an_integrity_error_that_is_no_duplicate_is_not_disguised(monkeypatch):
    user, seller = UserFactory.create(), DataSourceFactory.create()

    def broken_create(**kwargs):
        raise IntegrityError("some other constraint")

    monkeypatch.setattr(Conversation.objects, "create", broken_create)
    with pytest.raises(IntegrityError, match="some other constraint"):
        services.conversation_create(
            user=user,
            datasource=seller,
            conversation_type="message",
            content="hi",
            user_type="registered",
        )


# --- Races (see races.py: real threads; on SQLite in a file database like production's) ---


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_item", [False, True])
def test_identical_requests_racing_leave_one_conversation(with_item):
    outcome = race("open_conversation", with_item=with_item, contenders=4)
    assert outcome == {
        "answers": [
            [201, None],
            [400, ["Conversation already exists"]],
            [400, ["Conversation already exists"]],
            [400, ["Conversation already exists"]],
        ],
        "conversations": 1,
        "messages": 1,
    }


@pytest.mark.django_db(transaction=True)
def test_racing_appends_never_pass_the_message_limit():
    outcome = race("append_messages", limit=3, existing=1, contenders=6)
    assert outcome == {
        "results": ["This conversation already holds the maximum of 3 messages."] * 4
        + ["appended"] * 2,
        "messages": 3,
    }
