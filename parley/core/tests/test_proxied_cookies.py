"""No `Set-Cookie` from the endpoints the storefront proxies (API.md §6): its proxy forwards
one folded `Set-Cookie` header, so two cookies would reach the browser as one broken cookie.
Only §2's endpoints set cookies."""

from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from parley.catalog.tests.factories import OrderFactory
from parley.conversations.tests.factories import ConversationFactory
from parley.core.middleware import cookieless_views
from parley.core.tests import samples
from parley.support.tests.factories import ContactSubjectFactory

pytestmark = pytest.mark.django_db

STALE_SESSION = "stale0session0key0that0no0longer0exists"
MALFORMED_CSRF = "not-a-csrf-token"


def _proxied_calls(client: Any, user: Any) -> dict[str, Any]:
    subject = ContactSubjectFactory.create()
    conversation = ConversationFactory.create(user=user)
    order = OrderFactory.create(user=user)
    contact = {"subject": subject.pk, "full_name": "Jo", "email": "jo@example.com", "message": "Hi"}
    opening = {
        "conversation_type": "review",
        "user": user.pk,
        "user_type": "registered",
        "message_content": "Nice",
        "datasource": conversation.datasource_id,
        "content_type": "user",
        "content_id": user.pk,
    }
    return {
        "contact-us-subjects": lambda path: client.get(path),
        "contact-us": lambda path: client.post(path, contact, format="json"),
        "conversation-list": lambda path: client.get(path),
        "conversation-list POST": lambda path: client.post(path, opening, format="json"),
        "conversation-detail": lambda path: client.get(path),
        "order-list": lambda path: client.get(path),
        "order-detail": lambda path: client.get(path),
        "customer-export": lambda path: client.get(path),
        "conversation-unread-summary": lambda path: client.get(path),
        "conversation-read": lambda path: client.get(path),
        "conversation-read POST": lambda path: client.post(path, {}, format="json"),
        "conversation-unread POST": lambda path: client.post(path, {}, format="json"),
        # §8: the customer's attachment endpoints sit beside §4's behind the same proxy.
        "conversation-attachment-upload POST": lambda path: client.post(
            path,
            {"file": SimpleUploadedFile("photo.png", samples.image("PNG"))},
            format="multipart",
        ),
        "conversation-attachments": lambda path: client.get(path),
        "_paths": {
            "contact-us-subjects": reverse("contact-us-subjects"),
            "contact-us": reverse("contact-us"),
            "conversation-list": reverse("conversation-list"),
            "conversation-list POST": reverse("conversation-list"),
            "conversation-detail": reverse("conversation-detail", args=[conversation.pk]),
            "order-list": reverse("order-list"),
            "order-detail": reverse("order-detail", args=[order.pk]),
            "customer-export": reverse("customer-export"),
            "conversation-unread-summary": reverse("conversation-unread-summary"),
            "conversation-read": reverse("conversation-read", args=[conversation.pk]),
            "conversation-read POST": reverse("conversation-read", args=[conversation.pk]),
            "conversation-unread POST": reverse("conversation-unread", args=[conversation.pk]),
            "conversation-attachment-upload POST": reverse("conversation-attachment-upload"),
            "conversation-attachments": reverse("conversation-attachments", args=[conversation.pk]),
        },
    }


PROXIED = [
    "contact-us-subjects",
    "contact-us",
    "conversation-list",
    "conversation-list POST",
    "conversation-detail",
    "order-list",
    "order-detail",
    "customer-export",
    "conversation-unread-summary",
    "conversation-read",
    "conversation-read POST",
    "conversation-unread POST",
    "conversation-attachment-upload POST",
    "conversation-attachments",
]


def test_the_proxied_endpoints_are_the_cookieless_ones():
    assert set(settings.PARLEY_COOKIELESS_URL_NAMES) == {name.split()[0] for name in PROXIED}
    assert len(cookieless_views()) == len(settings.PARLEY_COOKIELESS_URL_NAMES)  # each a URL


@pytest.mark.parametrize("slash", [True, False])
@pytest.mark.parametrize("name", PROXIED)
def test_a_proxied_endpoint_sets_no_cookie_even_when_django_would(
    client_api, user, settings, name, slash
):
    calls = _proxied_calls(client_api, user)
    path = calls["_paths"][name]
    path = path if slash else path.rstrip("/")
    client_api.login_as(user)
    # What would make the session and CSRF middlewares answer with cookies: a session saved on
    # every request, and (for reads, which need no CSRF token) a malformed CSRF cookie.
    settings.SESSION_SAVE_EVERY_REQUEST = True
    if " POST" not in name and name != "contact-us":
        client_api.cookies["csrftoken"] = MALFORMED_CSRF
    response = calls[name](path)
    assert response.status_code in (200, 201), response.content
    assert not response.cookies, response.cookies
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("name", ["contact-us-subjects", "contact-us"])
def test_stale_or_malformed_cookies_get_no_cookie_back(client_api, user, name):
    calls = _proxied_calls(client_api, user)
    client_api.cookies[settings.SESSION_COOKIE_NAME] = STALE_SESSION
    client_api.cookies["csrftoken"] = MALFORMED_CSRF
    response = calls[name](calls["_paths"][name])
    # The subjects answer 200; the form refuses the malformed CSRF cookie with 403.
    assert response.status_code == (200 if name == "contact-us-subjects" else 403)
    assert not response.cookies, response.cookies


@pytest.mark.parametrize("name", ["contact-us-subjects", "conversation-list"])
def test_the_provocations_do_set_cookies_where_the_endpoint_is_not_listed(
    client_api, user, settings, name
):
    settings.PARLEY_COOKIELESS_URL_NAMES = [
        listed for listed in settings.PARLEY_COOKIELESS_URL_NAMES if listed != name
    ]
    calls = _proxied_calls(client_api, user)
    if name == "conversation-list":
        client_api.login_as(user)
        settings.SESSION_SAVE_EVERY_REQUEST = True
    else:
        client_api.cookies[settings.SESSION_COOKIE_NAME] = STALE_SESSION
    client_api.cookies["csrftoken"] = MALFORMED_CSRF
    response = calls[name](calls["_paths"][name])
    assert response.status_code == 200
    assert set(response.cookies) == {"csrftoken", settings.SESSION_COOKIE_NAME}


def test_the_same_cookies_on_the_sessions_endpoints_are_answered_with_cookies(
    client_api, user, settings
):
    # The contrast that shows the provocations work: §2 endpoints still set their cookies.
    client_api.cookies[settings.SESSION_COOKIE_NAME] = STALE_SESSION
    client_api.cookies["csrftoken"] = MALFORMED_CSRF
    response = client_api.get("/current_user/")
    assert response.status_code == 403
    assert set(response.cookies) == {"csrftoken", settings.SESSION_COOKIE_NAME}
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 0  # deleted
    client_api.login_as(user)
    settings.SESSION_SAVE_EVERY_REQUEST = True
    assert settings.SESSION_COOKIE_NAME in client_api.get("/current_user/").cookies
