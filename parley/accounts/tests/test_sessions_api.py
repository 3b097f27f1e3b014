import re

import pytest
from django.contrib.sessions.models import Session

from parley.accounts.models import User
from parley.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STOREFRONT_HEADERS = {
    "HTTP_X_REQUESTED_WITH": "XMLHttpRequest",
    "HTTP_ACCEPT_LANGUAGE": "tr-tr",
    "HTTP_X_CURRENCY": "try",
}


def test_csrf_token_is_returned_and_set_as_cookie(client_api):
    response = client_api.get("/csrf_token/")
    assert response.status_code == 200
    token = response.json()["csrf_token"]
    assert re.fullmatch(r"[A-Za-z0-9]{64}", token)
    assert response.cookies["csrftoken"].value


def test_token_from_endpoint_works_as_cookie_and_header_together(client_api, user):
    # The storefront fetches the token server-side with no cookies, then sets the browser's
    # cookie to that same value and sends it back as the header.
    token = client_api.get("/csrf_token/").json()["csrf_token"]
    client_api.cookies.clear()
    client_api.cookies["csrftoken"] = token
    client_api.force_login(user)
    response = client_api.post("/users/logout/", {}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response.json() == {}


def test_registration_creates_a_user_and_logs_in_without_csrf(client_api):
    response = client_api.post(
        "/users/registration",
        {
            "email": "New.Customer@Example.com",
            "password": "a-long-unusual-passphrase",
            "first_name": "Gülşen",
            "phone": "",
            "formType": "register",
            "locale": "tr",
            "captchaValidated": True,
            "kvkk_confirm": True,
        },
        format="json",
        **STOREFRONT_HEADERS,
    )
    assert response.status_code == 201, response.content
    key = response.json()["key"]
    assert re.fullmatch(r"\w+", key)
    assert response.cookies["osessionid"].value == key
    user = User.objects.get()
    assert (user.email, user.first_name, user.phone) == ("new.customer@example.com", "Gülşen", None)
    assert Session.objects.filter(session_key=key).exists()


def test_registration_refuses_a_duplicate_email_case_insensitively(client_api, user):
    response = client_api.post(
        "/users/registration/",
        {"email": user.email.upper(), "password": "a-long-unusual-passphrase"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert User.objects.count() == 1


def test_registration_refuses_a_weak_password(client_api):
    response = client_api.post(
        "/users/registration/", {"email": "a@example.com", "password": "123"}, format="json"
    )
    assert response.status_code == 400
    assert "password" in response.json()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": "a-long-unusual-passphrase"}, "email"),
        ({"email": "a@example.com"}, "password"),
        (
            {
                "email": "a@example.com",
                "password": "a-long-unusual-passphrase",
                "first_name": "x" * 151,
            },
            "first_name",
        ),
        (
            {
                "email": "a@example.com",
                "password": "a-long-unusual-passphrase",
                "first_name": "A\r\nBcc: x",
            },
            "first_name",
        ),
        ({"email": "a" * 250 + "@example.com", "password": "a-long-unusual-passphrase"}, "email"),
    ],
)
def test_registration_bad_fields_are_400_naming_the_field(client_api, body, field):
    response = client_api.post("/users/registration/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not User.objects.exists()


def test_login_returns_the_session_key_and_sets_osessionid(client_api, user):
    response = client_api.post(
        "/users/login",
        {"email": user.email.upper(), "password": PASSWORD, "formType": "login"},
        format="json",
        **STOREFRONT_HEADERS,
    )
    assert response.status_code == 200
    key = response.json()["key"]
    assert re.search(
        r"osessionid=\w+",
        response.headers["Set-Cookie"]
        if "Set-Cookie" in response.headers
        else str(response.cookies),
    )
    assert response.cookies["osessionid"].value == key


@pytest.mark.parametrize("email", ["customer@nowhere.example", None])
def test_login_wrong_credentials_are_non_field_errors(client_api, user, email):
    response = client_api.post(
        "/users/login/", {"email": email or user.email, "password": "wrong-password"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Unable to log in with the provided credentials."]
    }
    assert "osessionid" not in response.cookies


def test_guest_accounts_cannot_log_in(client_api):
    guest = UserFactory(user_type="guest")
    response = client_api.post(
        "/users/login/", {"email": guest.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400


def test_login_is_throttled_per_client_address(client_api, user):
    for _ in range(10):
        client_api.post(
            "/users/login/", {"email": "x@example.com", "password": "nope"}, format="json"
        )
    response = client_api.post(
        "/users/login/", {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert "detail" in response.json()


def test_login_is_throttled_per_account_across_addresses(client_api, user):
    for n in range(10):
        client_api.post(
            "/users/login/",
            {"email": user.email, "password": "nope"},
            format="json",
            REMOTE_ADDR=f"10.0.0.{n}",
        )
    response = client_api.post(
        "/users/login/",
        {"email": user.email, "password": PASSWORD},
        format="json",
        REMOTE_ADDR="10.0.1.1",
    )
    assert response.status_code == 429


def test_login_throttle_ignores_forged_forwarded_for(client_api):
    for n in range(10):
        client_api.post(
            "/users/login/",
            {"email": f"x{n}@example.com", "password": "nope"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    response = client_api.post(
        "/users/login/",
        {"email": "y@example.com", "password": "nope"},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert response.status_code == 429


def test_current_user_shape(client_api, user):
    client_api.force_login(user)
    response = client_api.get("/current_user")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "pk",
        "first_name",
        "last_name",
        "email",
        "phone",
        "gender",
        "date_joined",
        "last_login",
        "date_of_birth",
        "email_allowed",
        "sms_allowed",
        "hashed_email",
    }
    assert body["pk"] == user.pk
    import hashlib

    assert body["hashed_email"] == hashlib.sha256(user.email.encode()).hexdigest()


def test_current_user_needs_a_session(client_api):
    response = client_api.get("/current_user/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_logout_step_one_without_token_returns_form_and_changes_nothing(client_api, user):
    client_api.force_login(user)
    session_key = client_api.cookies["osessionid"].value
    response = client_api.post("/users/logout", {"csrfmiddlewaretoken": "in-json"}, format="json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    match = re.search(
        r"name=['\"]csrfmiddlewaretoken['\"] value=['\"](\w+)", response.content.decode()
    )
    assert match
    assert Session.objects.filter(session_key=session_key).exists()


def test_logout_two_steps_as_the_storefront_does(client_api, user):
    client_api.force_login(user)
    session_key = client_api.cookies["osessionid"].value
    page = client_api.post("/users/logout", "", content_type="application/json").content.decode()
    match = re.search(r"name=['\"]csrfmiddlewaretoken['\"] value=['\"](\w+)", page)
    assert match
    token = match.group(1)
    client_api.cookies["csrftoken"] = token
    response = client_api.post("/users/logout", {"csrfmiddlewaretoken": token}, format="multipart")
    assert response.status_code == 200
    assert response.json() == {}
    assert not Session.objects.filter(session_key=session_key).exists()


def test_logout_with_a_wrong_token_is_403_and_keeps_the_session(client_api, user):
    client_api.cookies["csrftoken"] = client_api.get("/csrf_token/").json()["csrf_token"]
    client_api.force_login(user)
    session_key = client_api.cookies["osessionid"].value
    response = client_api.post("/users/logout/", {}, format="json", HTTP_X_CSRFTOKEN="x" * 64)
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")
    assert Session.objects.filter(session_key=session_key).exists()


def test_malformed_json_is_400(client_api):
    response = client_api.post("/users/login/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_wrong_content_type_is_415(client_api):
    response = client_api.post("/users/login/", "email=x", content_type="text/plain")
    assert response.status_code == 415


def test_huge_json_body_is_413_and_not_read(client_api):
    body = '{"email": "' + "a" * (1024 * 1024 + 10) + '"}'
    response = client_api.post("/users/login/", body, content_type="application/json")
    assert response.status_code == 413
    assert "detail" in response.json()
    assert not User.objects.exists()
