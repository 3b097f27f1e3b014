from datetime import datetime
from typing import Any

from django.utils import timezone

from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations.models import Conversation, ConversationType, Message, WriterType
from parley.sellers import services
from parley.sellers.models import SellerToken


def token_issue(datasource: Any = None, **kwargs: Any) -> tuple[SellerToken, str]:
    """A token through the real service (the key exists nowhere else) and its key."""
    issued = services.seller_token_create(
        datasource=datasource or DataSourceFactory.create(),
        name=kwargs.pop("name", "test"),
        **kwargs,
    )
    return issued.token, issued.key


def token_header(key: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


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
    from parley.accounts.tests.factories import UserFactory

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
    conversation.save()
    return conversation
