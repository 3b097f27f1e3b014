"""Transport-level defences, checked over every endpoint where the check is per endpoint.

Throttles cannot be dodged by rotating X-Forwarded-For; every unsafe request without a CSRF
token is refused except the documented exemptions; every answer says nosniff and none is HTML
built from user content; attachments have no public URL; the session cookie is HttpOnly, and
Secure in production."""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from parley.accounts.tests.factories import PASSWORD, UserFactory
from parley.security.tests import matrix
from parley.sellers.tests import matrix as sellers_matrix
from parley.sellers.tests.matrix import World, world_build
from parley.support.models import ContactRequest
from parley.support.tests import corpus
from parley.support.tests.factories import ContactSubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return world_build()


UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
CSRF_FAILED = "CSRF Failed: CSRF token missing."


def _forwarded(number: int) -> dict[str, str]:
    return {"HTTP_X_FORWARDED_FOR": f"203.0.113.{number % 250}, 198.51.100.{number % 250}"}


# --- Throttles --------------------------------------------------------------------------------


@pytest.fixture
def low_rates(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The shipped scopes at 3 a minute, so that a test reaches every limit quickly."""
    rates = {
        "contact_us": "3/min",
        "contact_us_daily": "50/day",
        "login": "3/min",
        "conversation_create": "3/min",
        "seller": "3/min",
    }
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    return rates


def _contact_us(client: Any, world: Any, number: int) -> Any:
    subject = ContactSubjectFactory.create()
    body = {"subject": subject.pk, "full_name": "J", "email": "j@example.com", "message": "Hi"}
    return client.post("/users/contact-us/", body, format="json", **_forwarded(number))


def _login(client: Any, world: Any, number: int) -> Any:
    # A different (unknown) account each time, so the per-account limit never applies.
    body = {"email": f"guess{number}@example.com", "password": "wrong"}
    return client.post("/users/login/", body, format="json", **_forwarded(number))


def _registration(client: Any, world: Any, number: int) -> Any:
    body = {"email": f"bot{number}@example.com", "password": "a-long-unusual-passphrase"}
    return client.post("/users/registration/", body, format="json", **_forwarded(number))


def _conversation_create(client: Any, world: Any, number: int) -> Any:
    me = world.customer.pk
    body = {
        "conversation_type": "message",
        "user": me,
        "user_type": "registered",
        "message_content": f"message {number}",
        "datasource": world.other_seller.pk,
        "content_type": "user",
        "content_id": me,
    }
    return client.post("/users/conversations/", body, format="json", **_forwarded(number))


def _seller(client: Any, world: Any, number: int) -> Any:
    return client.get("/seller/conversations/stats/", **_forwarded(number))


THROTTLED: dict[str, tuple[str, Callable[[Any, Any, int], Any]]] = {
    "contact_us": ("anonymous", _contact_us),
    "login": ("anonymous", _login),
    "login (registration)": ("anonymous", _registration),
    "conversation_create": ("customer", _conversation_create),
    "seller": ("seller", _seller),
}


@pytest.mark.parametrize("scope", THROTTLED)
def test_rotating_x_forwarded_for_does_not_dodge_a_throttle(
    client_api: Any, world: Any, low_rates: Any, scope: str
) -> None:
    principal, call = THROTTLED[scope]
    client = sellers_matrix.client_as(client_api, world, principal)
    answers = [call(client, world, number).status_code for number in range(3)]
    assert 429 not in answers, answers
    refused = call(client, world, 99)
    assert refused.status_code == 429, refused.content
    assert int(refused["Retry-After"]) > 0
    assert "detail" in refused.json()


def test_login_throttle_is_per_address_even_behind_a_forged_proxy_chain(
    client_api: Any, low_rates: Any
) -> None:
    for number in range(3):
        _login(client_api, None, number)
    # Another REMOTE_ADDR is another client: the limit is per address, not global.
    body = {"email": "someone@example.com", "password": "wrong"}
    other = client_api.post("/users/login/", body, format="json", REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 400


# --- CSRF ------------------------------------------------------------------------------------

# The documented exemptions (API.md §1, §2, §5) and what they answer without a token.
CSRF_EXEMPT = {
    ("POST", "users/login/"): 400,  # the body below is empty: field errors, not a CSRF refusal
    ("POST", "users/registration/"): 400,
    ("POST", "users/logout/"): 200,  # step one: the form holding a token; nothing changes
    ("POST", "seller/conversations/<str:conversation_id>/messages/"): 201,  # token-authenticated
    # The seller API's webhook endpoints, token-authenticated too (the body below has no url).
    ("POST", "seller/webhooks/"): 400,
    ("PATCH", "seller/webhooks/<str:endpoint_id>/"): 200,
    ("DELETE", "seller/webhooks/<str:endpoint_id>/"): 204,
    ("POST", "seller/webhooks/<str:endpoint_id>/rotate-secret/"): 200,
    ("POST", "seller/webhooks/<str:endpoint_id>/deliveries/<str:delivery_id>/retry/"): 202,
    ("POST", "seller/conversations/<str:conversation_id>/read/"): 200,  # token-authenticated
    ("POST", "seller/conversations/<str:conversation_id>/unread/"): 200,  # token-authenticated
    # Token-authenticated too; the JSON body here carries no `file`.
    ("POST", "seller/conversations/attachments/"): 400,
}


def _path(route: str, world: Any) -> str:
    return "/" + (
        route.replace("<str:conversation_id>", str(world.conversation.pk))
        .replace("<str:product_id>", str(world.product.pk))
        .replace("<str:endpoint_id>", str(world.webhook.pk))
        .replace("<str:delivery_id>", str(world.delivery.pk))
    )


@pytest.mark.parametrize("method", UNSAFE)
@pytest.mark.parametrize("route", sorted({route for _, route in matrix.ROUTES}))
def test_every_unsafe_request_without_csrf_is_refused(
    client_api: Any, world: Any, route: str, method: str
) -> None:
    """A logged-in customer (and a seller token where the route is the seller's) posting
    with the session cookie but no token: refused, unless the contract exempts the call."""
    client_api.force_login(world.customer)
    client_api.fetch_csrf()
    client_api.credentials()  # the csrftoken cookie stays; the request carries no token
    extra = {}
    if route.startswith("seller/"):
        extra["HTTP_AUTHORIZATION"] = f"Token {world.keys['seller']}"
    before = matrix.snapshot()
    body = {"message_content": "Hello"} if route.startswith("seller/") else {}
    response = client_api.generic(
        method, _path(route, world), json.dumps(body), "application/json", **extra
    )
    exempt = CSRF_EXEMPT.get((method, route))
    if exempt is not None:
        assert response.status_code == exempt, response.content
        if route == "users/logout/":
            assert response["Content-Type"].startswith("text/html")
        return
    implemented = (method, route) in matrix.ROUTES
    if route.startswith("seller/") or not implemented:
        # Token-authenticated routes never read CSRF; the seller API and unimplemented
        # methods answer 405 with nothing done.
        assert response.status_code in (403, 405), (route, method, response.content)
        if response.status_code == 403 and response["Content-Type"] == "application/json":
            assert response.json() == {"detail": CSRF_FAILED}
        # (the plain Django views, ops and schema, refuse through Django's CSRF page)
    else:
        assert response.status_code == 403, response.content
        assert response.json() == {"detail": CSRF_FAILED}
    assert matrix.snapshot() == before
    assert mail.outbox == []


def test_the_csrf_exemptions_are_exactly_the_documented_ones():
    unsafe_routes = {(method, route) for method, route in matrix.ROUTES if method in UNSAFE}
    assert set(CSRF_EXEMPT) <= unsafe_routes
    assert unsafe_routes - set(CSRF_EXEMPT) == {
        ("POST", "users/contact-us/"),
        ("POST", "users/conversations/"),
        ("POST", "users/conversations/<str:conversation_id>/read/"),
        ("POST", "users/conversations/<str:conversation_id>/unread/"),
        ("POST", "users/conversations/attachments/"),
    }


def test_a_json_key_named_like_the_form_field_is_not_a_csrf_token(client_api: Any, world: Any):
    client_api.force_login(world.customer)
    response = client_api.post("/users/logout/", {"csrfmiddlewaretoken": "x" * 32}, format="json")
    assert response["Content-Type"].startswith("text/html")  # step one: nothing ended
    assert client_api.get("/current_user/").status_code == 200


# --- Response headers and content types ---------------------------------------------------------


# Every matrix cell also asserts nosniff and that only the logout form, the API docs and the
# admin answer HTML (parley/security/tests/matrix.py).


@pytest.mark.parametrize(
    ("method", "path", "extra"),
    [
        ("GET", "/no/such/path/", {}),
        ("GET", "/users/conversations/999/", {}),
        ("DELETE", "/csrf_token/", {}),
        ("POST", "/users/login/", {"CONTENT_LENGTH": str(2 * 1024 * 1024)}),
        ("GET", "/seller/conversations/", {"HTTP_AUTHORIZATION": "Token nope"}),
    ],
)
def test_error_answers_say_nosniff_too(client_api: Any, method: str, path: str, extra: Any):
    response = client_api.generic(method, path, b"", "application/json", **extra)
    assert response.status_code >= 400
    assert response["X-Content-Type-Options"] == "nosniff"


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"


def test_user_content_is_only_ever_served_as_json(client_api: Any, world: Any) -> None:
    """Markup in names, subjects and messages comes back as JSON strings, whatever the client
    asks for: no renderer turns it into a page."""
    world.customer.first_name = HOSTILE
    world.customer.save()
    client_api.login_as(world.customer)
    me = world.customer.pk
    created = client_api.post(
        "/users/conversations/",
        {
            "conversation_type": "message",
            "user": me,
            "user_type": "registered",
            "message_content": HOSTILE,
            "subject": HOSTILE,
            "datasource": world.seller.pk,
            "content_type": "user",
            "content_id": me,
        },
        format="json",
    )
    assert created.status_code == 201
    conversation_id = created.json()["id"]
    paths = [
        "/users/conversations/",
        f"/users/conversations/{conversation_id}/",
        "/current_user/",
        f"/products/{world.product.pk}/questions/",
    ]
    for path in paths:
        for accept in ("text/html", "text/html,application/xhtml+xml", "*/*"):
            for query in ("", "?format=api", "?format=html"):
                response = client_api.get(path + query, HTTP_ACCEPT=accept)
                assert response.status_code in (200, 404, 406), (path, accept, query)
                if response.status_code == 404:
                    assert query  # only a format suffix DRF does not know
                assert not response["Content-Type"].startswith("text/html"), (path, accept)
                if response.status_code == 200:
                    assert response["Content-Type"] == "application/json"
                    assert response["X-Content-Type-Options"] == "nosniff"
    detail = client_api.get(f"/users/conversations/{conversation_id}/").json()
    assert detail["message_set"][0]["message_content"] == HOSTILE  # kept as typed, as data


# --- Attachments have no public URL --------------------------------------------------------------


def test_an_attachment_is_never_reachable_by_a_public_url(
    client_api: Any, world: Any, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    settings.MEDIA_ROOT = tmp_path / "private"
    subject = ContactSubjectFactory.create()
    client_api.fetch_csrf()
    upload = corpus.pdf()
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        response = client_api.post(
            "/users/contact-us/",
            {
                "subject": subject.pk,
                "full_name": "Joe",
                "email": "joe@example.com",
                "message": "See the scan",
                "file": SimpleUploadedFile("scan.pdf", upload),
            },
            format="multipart",
        )
    assert response.status_code == 200
    assert response.content == b""  # the answer names no storage path
    contact = ContactRequest.objects.get()
    stored = contact.file
    assert (Path(settings.MEDIA_ROOT) / stored).read_bytes() == upload
    assert oct((Path(settings.MEDIA_ROOT) / stored).stat().st_mode & 0o777) == "0o600"
    media_url = django_settings.MEDIA_URL or "/media/"
    guesses = [
        f"/{media_url.strip('/')}/{stored}",
        f"/media/{stored}",
        f"/private/{stored}",
        f"/{stored}",
        f"/static/{stored}",
        f"/var/private/{stored}",
        f"/media/{contact.file_name}",
    ]
    for principal in ("anonymous", "customer", "seller"):
        client = sellers_matrix.client_as(client_api, world, principal)
        for guess in guesses:
            assert client.get(guess).status_code == 404, guess
    # Staff download it through the admin only: everyone else is sent to the admin login.
    download = reverse("admin:support_contactrequest_attachment", args=[contact.pk])
    client_api.logout()
    for who in (None, world.customer):
        if who is not None:
            client_api.force_login(who)
        answer = client_api.get(download)
        assert answer.status_code == 302
        assert answer["Location"].startswith("/admin/login/")
    client_api.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    answer = client_api.get(download)
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith("attachment")
    assert answer["X-Content-Type-Options"] == "nosniff"


# --- Cookies -----------------------------------------------------------------------------------


def test_the_session_cookie_is_http_only(client_api: Any) -> None:
    user = UserFactory.create()
    response = client_api.post(
        "/users/login/", {"email": user.email, "password": PASSWORD}, format="json"
    )
    cookie = response.cookies["osessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"] == ""  # development and tests run over plain HTTP


def test_production_settings_make_the_cookies_secure() -> None:
    code = (
        "from django.conf import settings as s; import django; django.setup(); "
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_CONTENT_TYPE_NOSNIFF, s.DEBUG)"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "DEBUG")
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "api.shop.example",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
    )
    assert result.stdout.split() == ["True", "True", "True", "True", "False"]
