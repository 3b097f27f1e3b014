"""A worker keeps its connection to the mail server between e-mails (one SMTP session for
many messages), replaces a kept connection the server dropped, and never keeps a broken one
or one made for other mail settings."""

from typing import Any

import pytest
from django.core import mail

from parley.mail.connection import kept_connection
from parley.mail.models import EmailStatus, OutgoingEmail
from parley.mail.services import email_queue
from parley.mail.tests.backends import CountingBackend, DroppingBackend
from parley.mail.worker import email_send

pytestmark = pytest.mark.django_db

COUNTING = "parley.mail.tests.backends.CountingBackend"
DROPPING = "parley.mail.tests.backends.DroppingBackend"
BROKEN = "parley.mail.tests.backends.BrokenBackend"


@pytest.fixture(autouse=True)
def _fresh_connection(settings: Any) -> Any:
    settings.PARLEY_MAIL_SEND_IN_THREAD = False
    kept_connection.close()
    CountingBackend.opened = CountingBackend.closed = 0
    yield
    kept_connection.close()


def _queued(count: int) -> list[OutgoingEmail]:
    # Queued outside a committed transaction: nothing is sent until email_send is called.
    return [
        email_queue(to=["shop@example.com"], subject=f"Hello {n}", text_body="Body")
        for n in range(count)
    ]


def _statuses(emails: list[OutgoingEmail]) -> list[str]:
    return [OutgoingEmail.objects.get(pk=email.pk).status for email in emails]


def test_one_connection_carries_many_emails(settings: Any) -> None:
    settings.EMAIL_BACKEND = COUNTING
    emails = _queued(3)

    assert [email_send(email_id=email.pk) for email in emails] == ["sent"] * 3

    assert (CountingBackend.opened, CountingBackend.closed) == (1, 0)
    assert [message.subject for message in mail.outbox] == ["Hello 0", "Hello 1", "Hello 2"]
    kept_connection.close()
    assert CountingBackend.closed == 1


def test_a_dropped_kept_connection_is_replaced_once_and_the_email_still_goes(
    settings: Any,
) -> None:
    settings.EMAIL_BACKEND = DROPPING
    emails = _queued(3)

    assert [email_send(email_id=email.pk) for email in emails] == ["sent"] * 3

    # One session per message: each kept one failed on its second use and was replaced.
    assert (DroppingBackend.opened, DroppingBackend.closed) == (3, 2)
    assert len(mail.outbox) == 3
    assert [OutgoingEmail.objects.get(pk=e.pk).attempts for e in emails] == [1, 1, 1]


def test_a_failing_fresh_connection_is_not_kept_and_the_attempt_is_rescheduled(
    settings: Any,
) -> None:
    settings.EMAIL_BACKEND = COUNTING
    first, second = _queued(2)
    assert email_send(email_id=first.pk) == "sent"

    settings.EMAIL_BACKEND = BROKEN  # other settings: the kept connection is not used
    assert email_send(email_id=second.pk) == EmailStatus.PENDING

    assert CountingBackend.closed == 1  # the kept connection was closed, not reused
    assert kept_connection.connection is None
    assert _statuses([first, second]) == [EmailStatus.SENT, EmailStatus.PENDING]
    assert len(mail.outbox) == 1
