"""`Idempotency-Key` on every POST that creates something (API.md §6): the contact form, opening
or appending to a conversation, the seller's answer."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.middleware.csrf import _mask_cipher_secret  # type: ignore[attr-defined]
from django.utils import timezone

from parley.accounts.tests.factories import UserFactory
from parley.conversations.models import Conversation, Message
from parley.conversations.tests.factories import ConversationFactory, MessageFactory
from parley.conversations.tests.races import race
from parley.core.background import EMBEDDED_PERIODIC_JOBS
from parley.core.idempotency import idempotency_key_sweep
from parley.core.models import IdempotencyKey
from parley.mail.models import OutgoingEmail
from parley.sellers.tests.factories import token_issue
from parley.support.models import ContactRequest
from parley.support.tests import corpus
from parley.support.tests.factories import ContactSubjectFactory

pytestmark = pytest.mark.django_db

SECRET = "K" * 16 + "eyScopeSecretAbc"
RACES = "parley.core.tests.idempotency_races"


@pytest.fixture(autouse=True)
def _media_and_routing(settings: Any, tmp_path: Any) -> None:
    import json

    from constance import config

    settings.MEDIA_ROOT = tmp_path
    config.CONTACT_US_EMAIL_TO = json.dumps({"contact_us": "support@shop.example"})


@pytest.fixture
def anonymous(client_api: Any) -> Any:
    client_api.cookies["csrftoken"] = SECRET
    client_api.credentials(HTTP_X_CSRFTOKEN=SECRET)
    return client_api


@pytest.fixture
def subject() -> Any:
    return ContactSubjectFactory.create()


@pytest.fixture
def post(django_capture_on_commit_callbacks: Any) -> Any:
    """POST with the commit hooks run (the mail hand-off), as in production."""

    def _post(client: Any, url: str, body: Any, key: str | None = None, **extra: Any) -> Any:
        if key is not None:
            extra["HTTP_IDEMPOTENCY_KEY"] = key
        extra.setdefault("format", "json")
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, body, **extra)

    return _post


def _contact(subject: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "subject": subject.pk,
        "full_name": "Joe",
        "email": "joe@example.com",
        "message": "Where is my parcel?",
    } | overrides


def _stored() -> tuple[int, int, int]:
    return (ContactRequest.objects.count(), OutgoingEmail.objects.count(), len(mail.outbox))


# --- The contact form ----------------------------------------------------------------------


def test_a_repeated_contact_form_is_answered_again_and_stored_once(anonymous, subject, post):
    first = post(anonymous, "/users/contact-us/", _contact(subject), "k-1")
    again = post(anonymous, "/users/contact-us", _contact(subject), "k-1")  # the slashless twin
    assert (first.status_code, first.content) == (200, b"")
    assert (again.status_code, again.content) == (200, b"")
    assert _stored() == (1, 1, 1)


def test_a_repeated_multipart_form_with_a_file_is_stored_once(anonymous, subject, post):
    def form() -> dict[str, Any]:
        upload = SimpleUploadedFile("invoice.pdf", corpus.pdf(), content_type="application/pdf")
        return _contact(subject, file=upload)

    first = post(anonymous, "/users/contact-us/", form(), "k-file", format="multipart")
    again = post(anonymous, "/users/contact-us/", form(), "k-file", format="multipart")
    assert (first.status_code, again.status_code) == (200, 200)
    assert _stored() == (1, 1, 1)
    other = SimpleUploadedFile("invoice.pdf", corpus.pdf() + b"%", content_type="application/pdf")
    changed = post(
        anonymous,
        "/users/contact-us/",
        _contact(subject, file=other),
        "k-file",
        format="multipart",
    )
    assert changed.status_code == 422


def test_the_same_key_with_another_body_is_422_and_stores_nothing(anonymous, subject, post):
    assert post(anonymous, "/users/contact-us/", _contact(subject), "k-2").status_code == 200
    other = post(anonymous, "/users/contact-us/", _contact(subject, message="Other"), "k-2")
    assert other.status_code == 422
    assert other.json() == {"detail": "This Idempotency-Key was already used for another request."}
    assert _stored() == (1, 1, 1)


def test_a_key_still_in_progress_is_409_and_nothing_runs(anonymous, subject, post):
    first = post(anonymous, "/users/contact-us/", _contact(subject), "k-3")
    assert first.status_code == 200
    IdempotencyKey.objects.filter(key="k-3").update(status_code=None)  # as while it runs
    again = post(anonymous, "/users/contact-us/", _contact(subject), "k-3")
    assert again.status_code == 409
    assert again.json() == {
        "detail": "A request with this Idempotency-Key is still in progress; retry later."
    }
    assert _stored() == (1, 1, 1)


def test_without_the_header_nothing_changes(anonymous, subject, post):
    for _ in range(2):
        assert post(anonymous, "/users/contact-us/", _contact(subject)).status_code == 200
    assert _stored() == (2, 2, 2)
    assert IdempotencyKey.objects.count() == 0


def test_an_error_answer_keeps_nothing_so_a_retry_runs_again(anonymous, subject, post):
    refused = post(anonymous, "/users/contact-us/", _contact(subject, email="nope"), "k-4")
    assert refused.status_code == 400
    assert IdempotencyKey.objects.count() == 0
    # The same key, the body corrected: it runs (no 422), once.
    assert post(anonymous, "/users/contact-us/", _contact(subject), "k-4").status_code == 200
    assert post(anonymous, "/users/contact-us/", _contact(subject), "k-4").status_code == 200
    assert _stored() == (1, 1, 1)


def test_a_refused_request_claims_no_key(client_api, subject, post):
    client_api.cookies["csrftoken"] = SECRET  # no X-CSRFToken header: CSRF fails first
    refused = post(client_api, "/users/contact-us/", _contact(subject), "k-5")
    assert refused.status_code == 403
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.parametrize(
    "key", ["", " " * 0, "x" * 256, "caf\u00e9", "tab\there", "nul\x00", "del\x7f", "new\nline"]
)
def test_a_key_that_is_not_1_to_255_printable_ascii_is_400(anonymous, subject, post, key):
    response = post(anonymous, "/users/contact-us/", _contact(subject), key)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Idempotency-Key must be 1 to 255 printable ASCII characters."
    }
    assert _stored() == (0, 0, 0)


@pytest.mark.parametrize("key", ["x" * 255, "a key with spaces ~!", "7"])
def test_keys_up_to_255_printable_ascii_are_accepted(anonymous, subject, post, key):
    assert post(anonymous, "/users/contact-us/", _contact(subject), key).status_code == 200
    assert post(anonymous, "/users/contact-us/", _contact(subject), key).status_code == 200
    assert _stored() == (1, 1, 1)


def test_anonymous_keys_belong_to_the_csrf_cookies_secret(client_api, subject, post):
    def as_cookie(cookie: str) -> Any:
        client_api.cookies["csrftoken"] = cookie
        client_api.credentials(HTTP_X_CSRFTOKEN=cookie)
        return client_api

    assert post(as_cookie(SECRET), "/users/contact-us/", _contact(subject), "k").status_code == 200
    # The masked form of the same secret is the same shopper: a repeat.
    masked = as_cookie(_mask_cipher_secret(SECRET))
    assert post(masked, "/users/contact-us/", _contact(subject), "k").status_code == 200
    assert _stored() == (1, 1, 1)
    # Another shopper's key of the same name is theirs: it runs.
    other = as_cookie("O" * 32)
    assert post(other, "/users/contact-us/", _contact(subject), "k").status_code == 200
    assert _stored() == (2, 2, 2)


# --- Conversations ---------------------------------------------------------------------------


def _open_body(user: Any, datasource_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "conversation_type": "message",
        "user": user.pk,
        "user_type": "registered",
        "message_content": "Hello",
        "datasource": datasource_id,
        "content_type": "user",
        "content_id": user.pk,
    } | overrides


def test_opening_a_conversation_twice_with_a_key_answers_the_first_201(logged_in, user, post):
    seller = ConversationFactory.create().datasource
    body = _open_body(user, seller.pk)
    first = post(logged_in, "/users/conversations/", body, "open-1")
    again = post(logged_in, "/users/conversations/", body, "open-1")
    assert first.status_code == 201
    assert (again.status_code, again.content) == (201, first.content)
    assert again["Content-Type"] == first["Content-Type"]
    assert Conversation.objects.filter(user=user).count() == 1
    assert Message.objects.filter(conversation__user=user).count() == 1


def test_appending_twice_with_a_key_appends_once(logged_in, user, post):
    conversation = ConversationFactory.create(user=user)
    MessageFactory.create(conversation=conversation)
    body = _open_body(
        user,
        conversation.datasource_id,
        conversation=conversation.pk,
        conversation_type=conversation.conversation_type,
    )
    answers = [post(logged_in, "/users/conversations/", body, "append-1") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert len({answer.content for answer in answers}) == 1
    assert Message.objects.filter(conversation=conversation).count() == 2
    assert OutgoingEmail.objects.count() == 1  # the seller's notification, once


def test_keys_belong_to_their_user(client_api, post):
    first, second = UserFactory.create(), UserFactory.create()
    seller = ConversationFactory.create().datasource
    for user in (first, second):
        client_api.login_as(user)
        response = post(client_api, "/users/conversations/", _open_body(user, seller.pk), "same")
        assert response.status_code == 201
    assert Conversation.objects.filter(user__in=[first, second]).count() == 2


# --- The seller's answer ---------------------------------------------------------------------


def test_the_sellers_answer_with_a_key_is_sent_once_whichever_token(client_api, post):
    conversation = ConversationFactory.create()
    MessageFactory.create(conversation=conversation)
    (_, first_key), (_, second_key) = (
        token_issue(conversation.datasource),
        token_issue(conversation.datasource),
    )
    url = f"/seller/conversations/{conversation.pk}/messages/"
    client_api.credentials(HTTP_AUTHORIZATION=f"Token {first_key}")
    first = post(client_api, url, {"message_content": "It is cotton."}, "answer-1")
    client_api.credentials(HTTP_AUTHORIZATION=f"Token {second_key}")
    again = post(client_api, url, {"message_content": "It is cotton."}, "answer-1")
    assert first.status_code == 201
    assert (again.status_code, again.content) == (201, first.content)
    assert Message.objects.filter(conversation=conversation).count() == 2
    other = post(client_api, url, {"message_content": "It is linen."}, "answer-1")
    assert other.status_code == 422
    assert Message.objects.filter(conversation=conversation).count() == 2


# --- Expiry and the sweep --------------------------------------------------------------------


def test_keys_expire_after_24_hours_and_the_periodic_job_sweeps_them(anonymous, subject, post):
    before = timezone.now()
    assert post(anonymous, "/users/contact-us/", _contact(subject), "old").status_code == 200
    kept = IdempotencyKey.objects.get()
    assert timedelta(hours=24) <= kept.expires_at - before <= timedelta(hours=24, seconds=60)
    assert idempotency_key_sweep() == 0
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    # Expired but not yet swept: as good as absent, so another body runs rather than 422.
    other = post(anonymous, "/users/contact-us/", _contact(subject, message="New"), "old")
    assert other.status_code == 200
    assert _stored() == (2, 2, 2)
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert idempotency_key_sweep() == 1
    assert IdempotencyKey.objects.count() == 0


def test_the_sweep_runs_in_celery_beat_and_in_the_embedded_default():
    from config.celery import app

    schedule = django_settings.CELERY_BEAT_SCHEDULE["idempotency-key-sweep"]
    assert schedule["task"] == "parley.core.tasks.idempotency_key_sweep"
    app.loader.import_default_modules()
    assert schedule["task"] in app.tasks
    assert "parley.core.idempotency.idempotency_key_sweep" in EMBEDDED_PERIODIC_JOBS


def test_the_schema_documents_the_header_and_its_answers(client_api):
    schema = client_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    creating = [
        ("/users/contact-us/", "post"),
        ("/users/conversations/", "post"),
        ("/seller/conversations/{conversation_id}/messages/", "post"),
    ]
    for path, method in creating:
        operation = schema["paths"][path][method]
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], path
        assert {"409", "422"} <= set(operation["responses"]), path
    listing = schema["paths"]["/users/conversations/"]["get"]
    assert all(p["name"] != "Idempotency-Key" for p in listing["parameters"])


# --- Races -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_racing_appends_with_one_key_append_once():
    outcome = race("append_with_one_key", module=RACES, contenders=4)
    assert outcome["messages"] == 2
    statuses = [status for status, _ in outcome["answers"]]
    assert set(statuses) <= {201, 409} and statuses.count(201) >= 1, outcome
    assert len({body for status, body in outcome["answers"] if status == 201}) == 1


@pytest.mark.django_db(transaction=True)
def test_racing_contact_forms_with_one_key_are_stored_once():
    outcome = race("contact_with_one_key", module=RACES, contenders=4)
    assert (outcome["requests"], outcome["emails"]) == (1, 1)
    statuses = [status for status, _ in outcome["answers"]]
    assert set(statuses) <= {200, 409} and statuses.count(200) >= 1, outcome
