from datetime import datetime
from typing import Any

import factory
from django.utils import timezone

from parley.accounts.models import UserType
from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations.models import Conversation, ConversationType, Message, WriterType
from parley.conversations.services import (
    conversation_unread_recount,
    conversation_waiting_recompute,
)


class ConversationFactory(factory.django.DjangoModelFactory[Conversation]):
    class Meta:
        model = Conversation

    user = factory.SubFactory(UserFactory)
    datasource = factory.SubFactory(DataSourceFactory)
    conversation_type = ConversationType.MESSAGE
    subject = factory.Sequence(lambda n: f"subject-{n}")
    last_message_date = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory[Message]):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    message_content = factory.Sequence(lambda n: f"message {n}")
    content_type = WriterType.USER
    content_id = factory.LazyAttribute(lambda message: message.conversation.user_id)
    user_type = UserType.REGISTERED


def conversation_build(
    *,
    user: Any = None,
    datasource: Any = None,
    messages: list[tuple[str, datetime]] | None = None,
    **fields: Any,
) -> Conversation:
    """A conversation with messages at fixed times, its state set as the services set it.

    `messages` is a list of (writer, time), writer "user" or "datasource"; the conversation
    opens at the first message's time."""
    user = user or UserFactory.create()
    datasource = datasource or DataSourceFactory.create()
    messages = messages or [("user", timezone.now())]
    conversation = Conversation.objects.create(
        user=user,
        datasource=datasource,
        conversation_type=fields.pop("conversation_type", ConversationType.MESSAGE),
        created_date=messages[0][1],
        **fields,
    )
    for number, (writer, at) in enumerate(messages):
        Message.objects.create(
            conversation=conversation,
            message_content=f"message {number} by {writer}",
            content_type=writer,
            content_id=user.pk if writer == WriterType.USER else datasource.pk,
            user_type=user.user_type,
            created_date=at,
        )
    seller_times = [at for writer, at in messages if writer == WriterType.DATASOURCE]
    conversation.is_answered = messages[-1][0] == WriterType.DATASOURCE
    conversation.last_message_date = messages[-1][1]
    conversation.first_response_date = min(seller_times) if seller_times else None
    # Each side has read up to its own newest message (writing moves the writer's mark).
    for writer, mark in (
        (WriterType.USER, "customer_last_read_message_id"),
        (WriterType.DATASOURCE, "seller_last_read_message_id"),
    ):
        newest = conversation.message_set.filter(content_type=writer).order_by("-id").first()
        setattr(conversation, mark, newest.pk if newest else None)
    conversation.save()
    conversation_unread_recount(conversation_ids=[conversation.pk])
    conversation_waiting_recompute(conversation_ids=[conversation.pk])
    conversation.refresh_from_db()
    return conversation
