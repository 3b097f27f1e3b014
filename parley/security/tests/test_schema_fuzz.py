"""Schema fuzzing: schemathesis generates requests from the service's own OpenAPI schema
(`/api/schema/`) and calls the WSGI application in-process.

Every operation is fuzzed with a logged-in customer's session and a CSRF token (the
`before_call` hook below), the seller endpoints with a live seller token; the stateful run
follows the schema's links (open a conversation, read it, append to it). Each answer must be
no 5xx, a status code the schema documents for that operation, a body that matches the schema
for that code and a declared content type."""

from collections import Counter
from collections.abc import Iterator
from typing import Any, ClassVar
from unittest import mock

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory, OrderItemFactory, ProductFactory
from parley.conversations import services as conversation_services
from parley.conversations.models import Conversation
from parley.core.models import IdempotencyKey
from parley.sellers.tests.factories import token_issue
from parley.support.constance_fields import parse_email_routing
from parley.support.tests.factories import ContactSubjectFactory
from parley.webhooks import network as webhook_network
from parley.webhooks import services as webhook_services

CASES_PER_OPERATION = 200
CSRF_SECRET = "Fuzz0Csrf0Secret0Of0Length0Thirt"  # 32 letters and digits: Django's format
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=CASES_PER_OPERATION,
    derandomize=True,  # the same cases on every run: a failure reproduces
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure prints its case
    suppress_health_check=list(HealthCheck),
)


def _shipped_operation_keys() -> list[str]:
    """The `operation` keys of CONTACT_US_EMAIL_TO's shipped default, which the test
    database holds: the schema is read at import, before that database exists, so the
    keys (read from the database when the schema is served) are given here."""
    return list(parse_email_routing(django_settings.CONSTANCE_CONFIG["CONTACT_US_EMAIL_TO"][0]))


with mock.patch("parley.support.selectors.contact_us_operation_keys", _shipped_operation_keys):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


class Identities:
    """Who the fuzzer is and what exists: filled in by the `identities` fixture."""

    user: Any = None
    seller_key: str = ""
    seller_pk: int = 0
    product_pk: int = 0
    subject_pk: int = 0
    conversation_pk: int = 0
    order_pk: int = 0
    webhook_pk: int = 0
    delivery_pk: int = 0


def _session_for(user: Any) -> str:
    """A session logged in as `user`, as django.contrib.auth.login would store it."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "parley.accounts.backends.UserBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    assert store.session_key is not None
    return store.session_key


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Authenticate every generated request, and keep throttles out of the way: a 429 is
    documented, but a run that hits it stops exploring the operation. Idempotency keys too: a
    key kept from an earlier call would make the same generated call answer differently when
    hypothesis runs it again (a replay has no new id to follow), which it refuses as flaky."""
    cache.clear()
    IdempotencyKey.objects.all().delete()
    headers = case.headers if case.headers is not None else {}
    if case.path.startswith("/seller/"):
        headers["Authorization"] = f"Token {Identities.seller_key}"
    else:
        # A fresh session each call: logout, login and registration end or replace theirs.
        cookies = case.cookies if case.cookies is not None else {}
        cookies.update(osessionid=_session_for(Identities.user), csrftoken=CSRF_SECRET)
        case.cookies = cookies
        headers["X-CSRFToken"] = CSRF_SECRET
    case.headers = headers


OPENING_UNKNOWNS = ("conversation", "item_content", "item_id")


def _steered_body(path: str, body: dict[str, Any]) -> dict[str, Any]:
    """The same body with the ids a real client would send, so that generated requests also
    get past the first validation and reach the services."""
    if path == "/users/conversations/":
        me = Identities.user.pk
        # A new conversation about nothing in particular: a generated `conversation` or item
        # is almost never one that exists (a link supplies `conversation` to append).
        body = {key: value for key, value in body.items() if key not in OPENING_UNKNOWNS}
        return body | {
            "user": me,
            "content_id": me,
            "user_type": "registered",
            "content_type": "user",
            "datasource": Identities.seller_pk,
        }
    if path == "/users/contact-us/":
        return body | {"subject": Identities.subject_pk}
    if path == "/seller/webhooks/":
        return body | {"url": "https://93.184.215.14/fuzz"}
    return body


@schema.hook
def flatmap_body(context: Any, body: Any) -> Any:
    if context.operation is None or not isinstance(body, dict):
        return st.just(body)
    return st.sampled_from([body, _steered_body(context.operation.path, body)])


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: Any) -> Any:
    """Half the ids in paths name something that exists (then the answer is 200 or 201)."""
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    real = dict(path_parameters)
    if "product_id" in real:
        real["product_id"] = Identities.product_pk
    if "conversation_id" in real:
        real["conversation_id"] = Identities.conversation_pk
    if "order_id" in real:
        real["order_id"] = Identities.order_pk
    if "endpoint_id" in real:
        real["endpoint_id"] = Identities.webhook_pk
    if "delivery_id" in real:
        real["delivery_id"] = Identities.delivery_pk
    return st.sampled_from([path_parameters, real])


@pytest.fixture
def keep_the_test_connection() -> Iterator[None]:
    """The real WSGI handler closes the database connection around each request; on PostgreSQL
    that would end the test's transaction. Django's test client disconnects the same hooks."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def identities(
    db: Any, settings: Any, tmp_path: Any, keep_the_test_connection: None, monkeypatch: Any
) -> Any:
    settings.MEDIA_ROOT = tmp_path / "private"  # accepted attachments land here
    # Refused messages stay refused (400, documented), but the sender is never throttled:
    # the flag lives in the database, which before_call does not reset, and a run that hits
    # it would stop exploring the message operations and answer differently on a replay.
    settings.PARLEY_MODERATION_BLOCKS_BEFORE_THROTTLE = 10**9
    # Webhook URLs name made-up hosts: they resolve to one public address, without the network.
    monkeypatch.setattr(webhook_network, "resolver", lambda host, port: ["93.184.215.14"])
    customer = UserFactory.create()
    seller = DataSourceFactory.create()
    product = ProductFactory.create(datasource=seller)
    subject = ContactSubjectFactory.create()
    conversation = conversation_services.conversation_create(
        user=customer,
        datasource=seller,
        conversation_type="question",
        content="Is it cotton?",
        user_type="registered",
        is_public=True,
        item_content="product",
        item_id=product.pk,
    ).conversation
    conversation_services.message_append(
        conversation=conversation,
        content="It is cotton.",
        content_type="datasource",
        content_id=seller.pk,
        user_type="registered",
    )
    # Its similar-questions vector, as the worker computes it after the commit.
    conversation_services.question_vector_refresh(conversation_id=conversation.pk)
    order = OrderItemFactory.create(order__user=customer, product=product).order
    _, key = token_issue(seller)
    Identities.order_pk = order.pk
    webhook = webhook_services.webhook_endpoint_create(
        datasource=seller, url="https://93.184.215.14/hooks"
    )
    event = webhook_services.webhook_event_emit(
        event_type="message.created", seller=seller, data={"conversation": conversation.pk}
    )
    assert event is not None
    Identities.webhook_pk = webhook.pk
    Identities.delivery_pk = event.deliveries.get().pk
    Identities.user, Identities.seller_key = customer, key
    Identities.seller_pk, Identities.product_pk = seller.pk, product.pk
    Identities.subject_pk, Identities.conversation_pk = subject.pk, conversation.pk
    return Identities


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_documented(case: Any, identities: Any) -> None:
    case.call_and_validate(checks=CHECKS)


STATEFUL_SETTINGS = settings(
    max_examples=60,  # scenarios, each a chain of up to 8 calls
    stateful_step_count=8,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
LINKED = (
    "GET /users/conversations/{conversation_id}/",
    "POST /users/conversations/",
    "GET /seller/conversations/{conversation_id}/",
    "POST /seller/conversations/{conversation_id}/messages/",
)


# The workflow's operations: other entry points (the orders, the webhook endpoints' own links:
# register, read, change; the read marks and unread counts of API.md §7) would take its steps
# otherwise; the per-operation run fuzzes them.
CONVERSATION_OPERATIONS = schema.include(path_regex=r"^/(users|seller)/conversations/").exclude(
    path_regex=r"/(read|unread)/$"
)


class ConversationWorkflow(CONVERSATION_OPERATIONS.as_state_machine()):  # type: ignore[misc]
    """Follows the schema's links: open a conversation, read it, append to it, and the
    seller's read and answer; every answer validated as in the per-operation run."""

    successes: ClassVar[Counter[str]] = Counter()

    def setup(self) -> None:
        # Each scenario starts from the same world. Conversations an earlier scenario opened
        # would make this one's opening POST a duplicate ("Conversation already exists"), so
        # that only the first few scenarios could follow the links at all, and which ones did
        # hung on hypothesis's fixed seed, which moves with any change to the schema.
        Conversation.objects.exclude(pk=Identities.conversation_pk).delete()

    def before_call(self, case: Any) -> None:
        # Until the run has opened a conversation of its own, a customer's post opens one (a
        # type the fixture's conversation does not hold, no item): the links start from that
        # 201, and a derandomized walk of generated bodies may not reach a valid one in its
        # budget (with the webhook operations in the schema it did not; main's found one).
        opened = ConversationWorkflow.successes["POST /users/conversations/"]
        if case.operation.label == "POST /users/conversations/" and not opened:
            body = case.body if isinstance(case.body, dict) else {}
            text = body.get("message_content")
            case.body = {
                key: value
                for key, value in _steered_body(case.path, body).items()
                if key not in ("conversation", "item_id", "item_content")
            } | {
                "conversation_type": "message",
                "message_content": text if isinstance(text, str) and text.strip() else "Hello",
            }

    def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
        kwargs.pop("additional_checks", None)
        case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
        if response.status_code in (200, 201):
            body = response.json()
            if isinstance(body, dict) and body.get("id") not in (None, Identities.conversation_pk):
                ConversationWorkflow.successes[case.operation.label] += 1


def test_stateful_run_follows_the_links(identities: Any) -> None:
    ConversationWorkflow.successes.clear()
    ConversationWorkflow.run(settings=STATEFUL_SETTINGS)
    # Each linked operation answered 2xx about a conversation the run itself opened.
    assert {label: ConversationWorkflow.successes[label] > 0 for label in LINKED} == dict.fromkeys(
        LINKED, True
    ), ConversationWorkflow.successes
