"""Shoppers, not the storefront's proxy, are throttled (API.md §1 and §6).

The proxy drops X-Forwarded-For, so every shopper arrives from the storefront's address. From
PARLEY_STOREFRONT_NETWORKS, `contact_us`, `contact_us_daily` and `login` count the logged-in
user, else the secret of the `csrftoken` cookie (masked or not), else the address; everywhere
they also count the submitted e-mail; the `storefront` scope caps one storefront server."""

import itertools
from typing import Any

import pytest
from django.middleware.csrf import (  # type: ignore[attr-defined]
    _mask_cipher_secret,
    _unmask_cipher_token,
)
from rest_framework.throttling import SimpleRateThrottle

from config.settings.base import _throttle_rates
from parley.accounts.tests.factories import UserFactory
from parley.support.models import ContactRequest
from parley.support.tests.factories import ContactSubjectFactory

pytestmark = pytest.mark.django_db

STOREFRONT = "10.20.0.7"
OTHER_STOREFRONT = "10.20.0.8"
ELSEWHERE = "192.0.2.50"
SECRET_A = "A" * 16 + "shopperSecretAaa"
SECRET_B = "B" * 16 + "shopperSecretBbb"
_numbers = itertools.count()


@pytest.fixture(autouse=True)
def storefront(settings: Any, tmp_path: Any) -> None:
    settings.PARLEY_STOREFRONT_NETWORKS = ["10.20.0.0/24", "2001:db8::/64"]
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def rates(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    rates = {
        "contact_us": "3/min",
        "contact_us_daily": "5/day",
        "login": "3/min",
        "conversation_create": "30/min",
        "seller": "600/min",
        "storefront": "1000/min",
    }
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    return rates


@pytest.fixture
def subject() -> Any:
    return ContactSubjectFactory.create()


def _with_cookie(client: Any, cookie: str | None) -> Any:
    if cookie is None:
        client.cookies.pop("csrftoken", None)
        client.credentials()
        return client
    client.cookies["csrftoken"] = cookie
    client.credentials(HTTP_X_CSRFTOKEN=cookie)
    return client


def contact(client: Any, subject: Any, *, address: str, email: str | None = None) -> Any:
    body = {
        "subject": subject.pk,
        "full_name": "Joe",
        "email": email or f"shopper{next(_numbers)}@example.com",
        "message": "Where is my parcel?",
    }
    return client.post("/users/contact-us/", body, format="json", REMOTE_ADDR=address)


def login(client: Any, *, address: str, email: str | None = None, cookie: str | None = None) -> Any:
    if cookie is not None:
        client.cookies["csrftoken"] = cookie
    body = {"email": email or f"guess{next(_numbers)}@example.com", "password": "wrong"}
    return client.post("/users/login/", body, format="json", REMOTE_ADDR=address)


def assert_throttled(response: Any) -> None:
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) > 0
    assert response.json()["detail"].startswith("Request was throttled.")


def test_two_anonymous_shoppers_behind_the_storefront_have_a_budget_each(
    client_api, rates, subject
):
    shopper_a = _with_cookie(client_api, SECRET_A)
    assert [contact(shopper_a, subject, address=STOREFRONT).status_code for _ in range(3)] == [
        200
    ] * 3
    assert_throttled(contact(shopper_a, subject, address=STOREFRONT))
    shopper_b = _with_cookie(client_api, SECRET_B)
    assert contact(shopper_b, subject, address=STOREFRONT).status_code == 200
    assert ContactRequest.objects.count() == 4  # the refused one stored nothing


def test_the_masked_cookie_counts_as_the_same_shopper_as_its_secret(client_api, rates, subject):
    for cookie in (SECRET_A, _mask_cipher_secret(SECRET_A), _mask_cipher_secret(SECRET_A)):
        assert (
            contact(_with_cookie(client_api, cookie), subject, address=STOREFRONT).status_code
            == 200
        )
    masked_again = _with_cookie(client_api, _mask_cipher_secret(SECRET_A))
    assert_throttled(contact(masked_again, subject, address=STOREFRONT))


def test_logged_in_shoppers_count_per_user_whatever_their_cookie(client_api, rates, subject):
    first, second = UserFactory.create(), UserFactory.create()
    client_api.force_login(first)
    for cookie in (SECRET_A, SECRET_B, _mask_cipher_secret(SECRET_A)):
        assert (
            contact(_with_cookie(client_api, cookie), subject, address=STOREFRONT).status_code
            == 200
        )
    assert_throttled(contact(_with_cookie(client_api, "C" * 32), subject, address=STOREFRONT))
    client_api.force_login(second)
    assert (
        contact(_with_cookie(client_api, SECRET_A), subject, address=STOREFRONT).status_code == 200
    )


@pytest.mark.parametrize("cookie", ["", "not-a-token", "x" * 40])
def test_without_a_usable_cookie_shoppers_share_the_storefronts_address(
    client_api, rates, subject, cookie
):
    # A missing or malformed cookie is no shopper: Django's CSRF middleware would invent a
    # fresh secret for each such request, which must not open a fresh budget. The form needs
    # CSRF, so these go to login, which does not.
    for _ in range(3):
        assert login(client_api, address=STOREFRONT, cookie=cookie).status_code == 400
    assert_throttled(login(client_api, address=STOREFRONT, cookie=cookie))
    assert login(client_api, address=STOREFRONT, cookie=SECRET_A).status_code == 400


def test_elsewhere_the_address_is_the_client_whatever_the_cookie(client_api, rates, subject):
    for cookie in (SECRET_A, SECRET_B, "C" * 32):
        assert (
            contact(_with_cookie(client_api, cookie), subject, address=ELSEWHERE).status_code == 200
        )
    assert_throttled(contact(_with_cookie(client_api, "D" * 32), subject, address=ELSEWHERE))


def test_with_no_storefront_configured_the_storefront_is_one_client(
    client_api, rates, subject, settings
):
    settings.PARLEY_STOREFRONT_NETWORKS = []
    for cookie in (SECRET_A, SECRET_B, "C" * 32):
        assert (
            contact(_with_cookie(client_api, cookie), subject, address=STOREFRONT).status_code
            == 200
        )
    assert_throttled(contact(_with_cookie(client_api, "D" * 32), subject, address=STOREFRONT))


@pytest.mark.parametrize("address", [STOREFRONT, ELSEWHERE])
def test_the_contact_form_also_counts_per_submitted_email(client_api, rates, subject, address):
    # Three shoppers, three addresses: one e-mail, whatever its case, runs out.
    spellings = ["Joe@Example.com", "joe@example.com", "JOE@EXAMPLE.COM"]
    for number, (cookie, email) in enumerate(
        zip((SECRET_A, SECRET_B, "C" * 32), spellings, strict=True)
    ):
        origin = address if address == STOREFRONT else f"192.0.2.{number + 1}"
        answer = contact(_with_cookie(client_api, cookie), subject, address=origin, email=email)
        assert answer.status_code == 200
    refused = contact(
        _with_cookie(client_api, "D" * 32), subject, address="192.0.2.99", email="joe@example.COM"
    )
    assert_throttled(refused)
    assert ContactRequest.objects.count() == 3


def test_the_daily_contact_scope_counts_the_shopper_and_the_email(client_api, rates, subject):
    rates["contact_us"] = "100/min"
    shopper = _with_cookie(client_api, SECRET_A)
    for _ in range(5):
        assert contact(shopper, subject, address=STOREFRONT).status_code == 200
    assert_throttled(contact(shopper, subject, address=STOREFRONT))
    other = _with_cookie(client_api, SECRET_B)
    for _ in range(5):
        assert (
            contact(other, subject, address=STOREFRONT, email="same@example.com").status_code == 200
        )
    third = _with_cookie(client_api, "C" * 32)
    assert_throttled(contact(third, subject, address=STOREFRONT, email="same@example.com"))


def test_login_counts_per_shopper_behind_the_storefront(client_api, rates):
    for _ in range(3):
        assert login(client_api, address=STOREFRONT, cookie=SECRET_A).status_code == 400
    assert_throttled(login(client_api, address=STOREFRONT, cookie=_mask_cipher_secret(SECRET_A)))
    assert login(client_api, address=STOREFRONT, cookie=SECRET_B).status_code == 400


@pytest.mark.parametrize("address", [STOREFRONT, ELSEWHERE])
def test_login_and_registration_count_per_submitted_account_email(client_api, rates, address):
    body = {"email": "Target@Example.com", "password": "a-long-unusual-passphrase"}
    registered = client_api.post(
        "/users/registration/", body, format="json", REMOTE_ADDR="192.0.2.1"
    )
    assert registered.status_code == 201
    client_api.logout()
    for number, cookie in enumerate((SECRET_A, SECRET_B)):
        origin = address if address == STOREFRONT else f"192.0.2.{number + 2}"
        assert (
            login(client_api, address=origin, email="target@example.com", cookie=cookie).status_code
            == 400
        )
    assert_throttled(
        login(client_api, address="192.0.2.9", email="TARGET@example.com", cookie="C" * 32)
    )


def test_the_storefront_scope_caps_one_storefront_server(client_api, rates, subject):
    rates["storefront"] = "4/min"
    shoppers = [SECRET_A, SECRET_B, "C" * 32]
    answers = [
        contact(_with_cookie(client_api, cookie), subject, address=STOREFRONT).status_code
        for cookie in shoppers
    ]
    answers.append(login(client_api, address=STOREFRONT, cookie="D" * 32).status_code)
    assert answers == [200, 200, 200, 400]
    # Reads are not counted; the fifth unsafe request is refused before any view runs.
    assert client_api.get("/users/contact-us-subjects/", REMOTE_ADDR=STOREFRONT).status_code == 200
    refused = contact(_with_cookie(client_api, "E" * 32), subject, address=STOREFRONT)
    assert_throttled(refused)
    assert refused["X-Content-Type-Options"] == "nosniff"
    assert ContactRequest.objects.count() == 3
    # Another storefront server has its own ceiling; elsewhere there is none.
    assert (
        contact(_with_cookie(client_api, "F" * 32), subject, address=OTHER_STOREFRONT).status_code
        == 200
    )
    for _ in range(5):
        assert login(client_api, address=f"192.0.2.{next(_numbers) % 200 + 1}").status_code == 400


def test_the_storefront_ceiling_covers_ipv6_storefront_servers(client_api, rates):
    rates["storefront"] = "2/min"
    for _ in range(2):
        assert login(client_api, address="2001:db8::5", cookie=SECRET_A).status_code == 400
    assert_throttled(login(client_api, address="2001:db8::5", cookie=SECRET_B))


def test_the_storefront_rate_is_overridable_like_every_scope():
    assert _throttle_rates("")["storefront"] == "1200/min"
    assert _throttle_rates("storefront=30/min")["storefront"] == "30/min"


@pytest.mark.parametrize("masked", [False, True])  # ids stable across xdist workers
def test_csrf_token_keeps_an_existing_cookies_secret(client_api, masked):
    cookie = _mask_cipher_secret(SECRET_A) if masked else SECRET_A
    client_api.cookies["csrftoken"] = cookie
    response = client_api.get("/csrf_token/", REMOTE_ADDR=STOREFRONT)
    assert response.status_code == 200
    assert _unmask_cipher_token(response.json()["csrf_token"]) == SECRET_A
    assert response.cookies["csrftoken"].value == SECRET_A
