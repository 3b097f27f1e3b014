"""Races run by real threads against a real database, shared by the tests.

PostgreSQL runs them inside the test database. The SQLite test database lives in memory in
shared-cache mode, where a second writer fails at once ("database table is locked") instead of
waiting, so on SQLite the tests run the very same functions in a child process against a
file database configured like production's (IMMEDIATE transactions, WAL, busy timeout):
`python -m parley.conversations.tests.races <race> '<json arguments>'` prints the result.
"""

import importlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(index)` in `count` threads released at the same moment; return what each
    returned or raised."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(index: int) -> None:
        try:
            # Generous: on a loaded machine (CI beside other work) a thread may take seconds
            # to start, and a broken barrier would be a contender's exception, not a race.
            barrier.wait(timeout=60)
            results[index] = work(index)
        except Exception as exc:  # the caller inspects what each thread got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def open_conversation(*, with_item: bool, contenders: int = 4) -> dict[str, Any]:
    """`contenders` identical POSTs of a new conversation at once."""
    from conftest import StorefrontClient
    from parley.accounts.tests.factories import UserFactory
    from parley.catalog.tests.factories import ProductFactory
    from parley.conversations.models import Conversation, Message

    user = UserFactory.create()
    product = ProductFactory.create()
    body = {
        "conversation_type": "question",
        "user": user.pk,
        "user_type": "registered",
        "message_content": "racing",
        "datasource": product.datasource_id,
        "content_type": "user",
        "content_id": user.pk,
    }
    if with_item:
        body.update(item_content="product", item_id=product.pk)
    clients = []
    for _ in range(contenders):
        client = StorefrontClient()
        client.login_as(user)
        clients.append(client)

    responses = run_together(
        contenders, lambda i: clients[i].post("/users/conversations/", body, format="json")
    )
    answers = sorted(
        [response.status_code, response.json() if response.status_code == 400 else None]
        if hasattr(response, "status_code")
        else [repr(response), None]
        for response in responses
    )
    return {
        "answers": answers,
        "conversations": Conversation.objects.count(),
        "messages": Message.objects.count(),
    }


def append_messages(*, limit: int, existing: int, contenders: int) -> dict[str, Any]:
    """`contenders` appends at once to a conversation that already holds `existing`."""
    from parley.conversations import services
    from parley.conversations.models import Conversation, Message
    from parley.conversations.tests.factories import ConversationFactory, MessageFactory

    settings.PARLEY_CONVERSATION_MAX_MESSAGES = limit
    conversation = ConversationFactory.create()
    MessageFactory.create_batch(existing, conversation=conversation)

    def append(_: int) -> str:
        try:
            services.message_append(
                conversation=Conversation.objects.get(pk=conversation.pk),
                content="racing",
                content_type="user",
                content_id=conversation.user_id,
                user_type="registered",
            )
        except services.ApplicationError as exc:
            return exc.message
        return "appended"

    return {
        "results": sorted(run_together(contenders, append)),
        "messages": Message.objects.filter(conversation=conversation).count(),
    }


def link_attachment(*, contenders: int) -> dict[str, Any]:
    """`contenders` messages at once, each in its own conversation of the same customer,
    all naming the same upload: one links it, the others roll back whole."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from parley.conversations import services
    from parley.conversations.models import Attachment, Message
    from parley.conversations.tests.factories import ConversationFactory
    from parley.core.tests import samples

    first = ConversationFactory.create()
    conversations = [first] + [
        ConversationFactory.create(user=first.user) for _ in range(contenders - 1)
    ]
    upload = SimpleUploadedFile("invoice.pdf", samples.pdf())
    shared = services.attachment_upload(upload=upload, user_id=first.user_id).public_id

    def append(index: int) -> str:
        try:
            services.message_append(
                conversation=conversations[index],
                content="racing",
                content_type="user",
                content_id=first.user_id,
                user_type="registered",
                attachments=[shared],
            )
        except services.ApplicationError as exc:
            return f"{exc.field}: {exc.message}"
        return "linked"

    results = sorted(run_together(contenders, append))
    attachment = Attachment.objects.get(public_id=shared)
    return {
        "results": results,
        "messages": Message.objects.count(),
        "linked_to_a_stored_message": Message.objects.filter(
            pk=attachment.message_id or 0
        ).exists(),
    }


RACES: dict[str, Callable[..., dict[str, Any]]] = {
    "open_conversation": open_conversation,
    "append_messages": append_messages,
    "link_attachment": link_attachment,
}


def race(name: str, *, module: str = __name__, **arguments: Any) -> dict[str, Any]:
    """Run a race here (PostgreSQL) or, on SQLite, in a child process on a file database.
    `module` holds the race in its RACES and runs `main(RACES)` as a script."""
    if connection.vendor != "sqlite":
        return importlib.import_module(module).RACES[name](**arguments)
    base_dir = Path(settings.BASE_DIR)
    with tempfile.TemporaryDirectory() as directory:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{directory}/race.sqlite3",
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "PYTHONPATH": str(base_dir),
        }
        completed = subprocess.run(
            [sys.executable, "-m", module, name, json.dumps(arguments)],
            cwd=base_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    if completed.returncode != 0:
        raise AssertionError(f"race {name} failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(races: dict[str, Callable[..., dict[str, Any]]] | None = None) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    assert connection.vendor == "sqlite" and "memory" not in str(
        connection.settings_dict["NAME"]
    ), "run on a file database"
    call_command("migrate", verbosity=0)
    name, arguments = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps((RACES if races is None else races)[name](**arguments)))


if __name__ == "__main__":
    main()
