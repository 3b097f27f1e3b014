"""Once a request has committed, it answers 2xx whatever happens after (API.md §6): the
storefront's proxy retries every other answer three times, and a retry of a request that was
stored would store it again. Each step after the commit (docs/storefront.md lists them) is
made to fail here; the answer stays the committed one and nothing is stored twice."""

import json
import logging
from typing import Any

import pytest
from constance import config
from django.core import mail
from django.db.models import QuerySet
from rest_framework.renderers import JSONRenderer

from parley.conversations.models import Conversation, Message
from parley.conversations.tests.factories import ConversationFactory
from parley.core.models import IdempotencyKey
from parley.core.renderers import OrjsonRenderer
from parley.mail.models import EmailStatus, OutgoingEmail
from parley.mail.services import email_sweep
from parley.support.models import ContactRequest
from parley.support.tests.factories import ContactSubjectFactory

pytestmark = pytest.mark.django_db


class Broken(Exception):
    pass


def _raise(*args: Any, **kwargs: Any) -> Any:
    raise Broken("injected failure")


@pytest.fixture(autouse=True)
def _routing(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    config.CONTACT_US_EMAIL_TO = json.dumps({"contact_us": "support@shop.example"})


@pytest.fixture
def contact(client_api: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """The contact form as the storefront posts it, commit hooks run."""
    client_api.fetch_csrf()
    # As in production: a failure handled into a response is not raised into the test.
    client_api.raise_request_exception = False
    subject = ContactSubjectFactory.create()
    body = {"subject": subject.pk, "full_name": "Jo", "email": "jo@example.com", "message": "Hi"}

    def _post(**extra: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            # Encoded here: the test client would encode with the renderer a test breaks.
            return client_api.post(
                "/users/contact-us/", json.dumps(body), content_type="application/json", **extra
            )

    return _post


@pytest.fixture
def append(logged_in: Any, user: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """A customer's message into their conversation: it notifies the seller by e-mail."""
    logged_in.raise_request_exception = False
    conversation = ConversationFactory.create(user=user)
    body = {
        "conversation": conversation.pk,
        "conversation_type": conversation.conversation_type,
        "user": user.pk,
        "user_type": "registered",
        "message_content": "Any news?",
        "datasource": conversation.datasource_id,
        "content_type": "user",
        "content_id": user.pk,
    }

    def _post(**extra: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return logged_in.post(
                "/users/conversations/", json.dumps(body), content_type="application/json", **extra
            )

    return _post


def _contact_stored() -> tuple[int, int]:
    return ContactRequest.objects.count(), OutgoingEmail.objects.count()


def _sent_by_the_sweep_once() -> None:
    assert OutgoingEmail.objects.get().status == EmailStatus.PENDING
    email_sweep()
    email_sweep()
    assert len(mail.outbox) == 1
    assert OutgoingEmail.objects.get().status == EmailStatus.SENT


def test_the_mail_hand_off_failing_on_commit(contact, append, monkeypatch):
    monkeypatch.setattr("parley.mail.dispatch.email_dispatch", _raise)
    answer = contact()
    assert (answer.status_code, answer.content) == (200, b"")
    assert _contact_stored() == (1, 1)
    _sent_by_the_sweep_once()
    appended = append()
    assert appended.status_code == 201
    assert Message.objects.count() == 1


def test_the_broker_refusing_the_task(contact, monkeypatch):
    monkeypatch.setattr("parley.mail.tasks.email_send.delay", _raise)
    answer = contact()
    assert answer.status_code == 200
    assert _contact_stored() == (1, 1)
    _sent_by_the_sweep_once()


class RaisingHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        raise Broken("the log pipeline is down")

    def handleError(self, record: logging.LogRecord) -> None:
        raise Broken("and says so by raising")


def test_logging_failing_after_the_commit(contact, monkeypatch):
    # The hand-off fails and logs that; the log call itself raises.
    monkeypatch.setattr("parley.mail.tasks.email_send.delay", _raise)
    handler = RaisingHandler()
    parley_logger = logging.getLogger("parley")
    parley_logger.addHandler(handler)
    try:
        answer = contact()
    finally:
        parley_logger.removeHandler(handler)
    assert answer.status_code == 200
    assert _contact_stored() == (1, 1)
    _sent_by_the_sweep_once()


def test_metrics_failing_after_the_commit(contact, append, monkeypatch):
    monkeypatch.setattr(
        "django_prometheus.middleware.PrometheusAfterMiddleware.process_response", _raise
    )
    answer = contact()
    assert (answer.status_code, answer.content) == (200, b"")
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert _contact_stored() == (1, 1)
    appended = append()
    assert appended.status_code == 201
    assert appended.json()["message_content"] == "Any news?"
    assert Message.objects.count() == 1


def test_response_rendering_failing_after_the_commit(contact, append, monkeypatch):
    monkeypatch.setattr(JSONRenderer, "render", _raise)
    monkeypatch.setattr(OrjsonRenderer, "render", _raise)
    answer = contact()
    assert (answer.status_code, answer.content) == (200, b"")
    appended = append()
    assert appended.status_code == 201
    conversation = Conversation.objects.get()
    assert appended.json() | {"message_content": "Any news?"} == appended.json()
    assert appended.json()["id"] == conversation.pk
    assert _contact_stored() == (1, 2)  # the form's e-mail and the seller's notification
    assert Message.objects.count() == 1


def test_keeping_the_idempotent_answer_failing_after_the_commit(contact, monkeypatch):
    update = QuerySet.update

    def update_but_not_keys(queryset: QuerySet, **values: Any) -> int:
        if queryset.model is IdempotencyKey:
            raise Broken("the key's answer could not be kept")
        return update(queryset, **values)

    monkeypatch.setattr(QuerySet, "update", update_but_not_keys)
    answer = contact(HTTP_IDEMPOTENCY_KEY="after-commit")
    assert answer.status_code == 200
    # The proxy does not retry a 2xx; a client that repeats the key gets 409, not a second run.
    monkeypatch.setattr(QuerySet, "update", update)
    again = contact(HTTP_IDEMPOTENCY_KEY="after-commit")
    assert again.status_code == 409
    assert _contact_stored() == (1, 1)


def test_an_error_before_the_commit_stores_nothing_so_the_retry_is_safe(
    append, logged_in, monkeypatch
):
    # The seller's notification is written in the message's transaction: its failure is an
    # error answer, and nothing (message or e-mail) was stored, so the proxy's retry is safe.
    monkeypatch.setattr("parley.conversations.services.message_notify", _raise)
    answer = append()
    assert answer.status_code == 500
    assert (Message.objects.count(), OutgoingEmail.objects.count()) == (0, 0)
