"""Seller API tokens: their keys, how requests authenticate with them, and their throttle."""

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.urls import path
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from parley.catalog.models import DataSource
from parley.catalog.tests.factories import DataSourceFactory
from parley.core.exceptions import ApplicationError
from parley.core.throttles import SellerThrottle
from parley.sellers import keys, services
from parley.sellers.authentication import SellerApiMixin, request_seller
from parley.sellers.models import SellerToken
from parley.sellers.tests.factories import token_header, token_issue

pytestmark = pytest.mark.django_db


def _seller(**fields: Any) -> DataSource:
    return DataSourceFactory.create(**fields)


class ProbeApi(SellerApiMixin, APIView):
    """A seller endpoint that only reports who called it."""

    def get(self, request: Request) -> Response:
        return Response({"seller": request_seller(request).pk, "token": request.auth.pk})

    def post(self, request: Request) -> Response:
        return self.get(request)


urlpatterns = [path("probe/", ProbeApi.as_view())]
probe_urls = override_settings(ROOT_URLCONF=__name__)


def test_key_has_the_documented_form_and_is_stored_only_as_its_sha256():
    issued = services.seller_token_create(datasource=_seller(), name="ERP sync")
    assert keys.KEY_PATTERN.fullmatch(issued.key)
    token = SellerToken.objects.get()
    assert token.key_hash == hashlib.sha256(issued.key.encode()).hexdigest()
    assert token.prefix == issued.key[4:12]
    assert token.name == "ERP sync"
    stored = [str(getattr(token, f.attname)) for f in SellerToken._meta.concrete_fields]
    assert not any(issued.key in value or issued.key[4:] in value for value in stored)


def test_two_keys_differ_and_derived_keys_are_stable():
    assert keys.key_generate() != keys.key_generate()
    first = keys.key_derive(secret="s", label="a")
    assert first == keys.key_derive(secret="s", label="a")
    assert keys.KEY_PATTERN.fullmatch(first)
    assert first != keys.key_derive(secret="s", label="b")
    assert first != keys.key_derive(secret="t", label="a")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_name_of_at_most_100_characters(name):
    with pytest.raises(ApplicationError):
        services.seller_token_create(datasource=_seller(), name=name)
    assert not SellerToken.objects.exists()


def test_a_seller_may_hold_several_tokens():
    seller = _seller()
    token_issue(seller, name="old")
    token_issue(seller, name="new")
    assert SellerToken.objects.filter(datasource=seller).count() == 2


def test_revoking_is_idempotent_and_keeps_the_first_time():
    token, _ = token_issue()
    first = services.seller_token_revoke(token=token).revoked_at
    assert first is not None
    assert services.seller_token_revoke(token=token).revoked_at == first


@probe_urls
def test_a_valid_token_authenticates_as_its_seller_and_records_its_use():
    token, key = token_issue()
    response = APIClient().get("/probe/", **token_header(key))
    assert response.status_code == 200
    assert response.json() == {"seller": token.datasource_id, "token": token.pk}
    token.refresh_from_db()
    assert token.last_used is not None
    assert token.last_used is not None
    assert timezone.now() - token.last_used < timedelta(seconds=5)


@probe_urls
def test_the_keyword_is_case_insensitive():
    _, key = token_issue()
    assert APIClient().get("/probe/", HTTP_AUTHORIZATION=f"token {key}").status_code == 200


@probe_urls
def test_a_post_needs_no_csrf_token_even_with_a_session(user):
    token, key = token_issue()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/probe/", {}, format="json", **token_header(key))
    assert response.status_code == 200
    assert response.json()["seller"] == token.datasource_id


@probe_urls
def test_a_session_alone_is_not_a_seller(user):
    client = APIClient()
    client.force_login(user)
    response = client.get("/probe/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@probe_urls
@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("Bearer psk_" + "a" * 40, "Authentication credentials were not provided."),
        ("Token", "Invalid token header."),
        ("Token a b", "Invalid token header."),
        ("Token not-a-key", "Invalid token."),
        ("Token psk_" + "a" * 39, "Invalid token."),
        ("Token psk_" + "a" * 40, "Invalid token."),  # well formed, unknown
        ("Token psk_" + "ç" * 40, "Invalid token."),
    ],
)
def test_missing_malformed_and_unknown_tokens_are_401(header, detail):
    token_issue()
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = APIClient().get("/probe/", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": detail}


@probe_urls
def test_a_revoked_token_is_401_and_another_token_of_the_seller_still_works():
    seller = DataSourceFactory()
    old, old_key = token_issue(seller)
    _, new_key = token_issue(seller)
    services.seller_token_revoke(token=old)
    response = APIClient().get("/probe/", **token_header(old_key))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Invalid token."}
    assert APIClient().get("/probe/", **token_header(new_key)).status_code == 200


@probe_urls
def test_a_token_of_an_inactive_seller_is_401():
    token, key = token_issue(DataSourceFactory(is_active=False))
    response = APIClient().get("/probe/", **token_header(key))
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    token.refresh_from_db()
    assert token.last_used is None


def test_last_used_is_written_at_most_once_a_minute(django_assert_num_queries):
    token, _ = token_issue()
    recently = timezone.now() - timedelta(seconds=30)
    SellerToken.objects.filter(pk=token.pk).update(last_used=recently)
    token.refresh_from_db()
    with django_assert_num_queries(0):
        services.seller_token_touch(token=token)
    SellerToken.objects.filter(pk=token.pk).update(last_used=recently - timedelta(minutes=1))
    token.refresh_from_db()
    with django_assert_num_queries(1):
        services.seller_token_touch(token=token)
    token.refresh_from_db()
    assert token.last_used is not None
    assert token.last_used > recently


@probe_urls
def test_the_seller_throttle_counts_per_token(monkeypatch):
    monkeypatch.setattr(SellerThrottle, "THROTTLE_RATES", {"seller": "2/min"})
    seller = DataSourceFactory()
    _, first_key = token_issue(seller)
    _, second_key = token_issue(seller)
    client = APIClient()
    assert [client.get("/probe/", **token_header(first_key)).status_code for _ in range(2)] == [
        200,
        200,
    ]
    refused = client.get("/probe/", **token_header(first_key))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "detail" in refused.json()
    assert client.get("/probe/", **token_header(second_key)).status_code == 200


def test_the_shipped_seller_rate_is_600_a_minute():
    assert SellerThrottle().get_rate() == "600/min"
