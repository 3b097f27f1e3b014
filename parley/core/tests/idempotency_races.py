"""Races of repeated requests carrying one Idempotency-Key, run by real threads (see
parley/conversations/tests/races.py for how they run on each database)."""

from typing import Any

from parley.conversations.tests.races import main, run_together


def _answers(responses: list[Any]) -> list[list[Any]]:
    """Each contender's status and body, or the exception it raised (its repr, and no
    status), sorted so that a mix of both still sorts and reaches the assertion."""
    return sorted(
        (
            [response.status_code, response.content.decode()]
            if hasattr(response, "status_code")
            else [0, repr(response)]
            for response in responses
        ),
        key=repr,
    )


def append_with_one_key(*, contenders: int) -> dict[str, Any]:
    """`contenders` identical appends to one conversation at once, all with the same key."""
    from conftest import StorefrontClient
    from parley.conversations.models import Message
    from parley.conversations.tests.factories import ConversationFactory, MessageFactory

    conversation = ConversationFactory.create()
    MessageFactory.create(conversation=conversation)
    user = conversation.user
    body = {
        "conversation": conversation.pk,
        "conversation_type": conversation.conversation_type,
        "user": user.pk,
        "user_type": "registered",
        "message_content": "racing with a key",
        "datasource": conversation.datasource_id,
        "content_type": "user",
        "content_id": user.pk,
    }
    clients = []
    for _ in range(contenders):
        client = StorefrontClient()
        client.login_as(user)
        clients.append(client)
    responses = run_together(
        contenders,
        lambda i: clients[i].post(
            "/users/conversations/", body, format="json", HTTP_IDEMPOTENCY_KEY="race-1"
        ),
    )
    return {
        "answers": _answers(responses),
        "messages": Message.objects.filter(conversation=conversation).count(),
    }


def contact_with_one_key(*, contenders: int) -> dict[str, Any]:
    """`contenders` identical anonymous contact forms at once, one shopper, one key."""
    import json

    from constance import config

    from conftest import StorefrontClient
    from parley.mail.models import OutgoingEmail
    from parley.support.models import ContactRequest
    from parley.support.tests.factories import ContactSubjectFactory

    config.CONTACT_US_EMAIL_TO = json.dumps({"contact_us": "support@shop.example"})
    subject = ContactSubjectFactory.create()
    body = {"subject": subject.pk, "full_name": "Joe", "email": "joe@example.com", "message": "Hi"}
    secret = "R" * 16 + "aceSecretOfOneSh"
    clients = []
    for _ in range(contenders):
        client = StorefrontClient()
        client.cookies["csrftoken"] = secret
        client.credentials(HTTP_X_CSRFTOKEN=secret)
        clients.append(client)
    responses = run_together(
        contenders,
        lambda i: clients[i].post(
            "/users/contact-us/", body, format="json", HTTP_IDEMPOTENCY_KEY="race-2"
        ),
    )
    return {
        "answers": _answers(responses),
        "requests": ContactRequest.objects.count(),
        "emails": OutgoingEmail.objects.count(),
    }


RACES = {
    "append_with_one_key": append_with_one_key,
    "contact_with_one_key": contact_with_one_key,
}


if __name__ == "__main__":
    main(RACES)
