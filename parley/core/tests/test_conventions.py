"""The shared conventions of API.md §1, tested once for every route."""

import logging

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from config.settings.base import THROTTLE_RATES_SHIPPED, _throttle_rates
from parley.core.pagination import PageLimitPagination


def _routes(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                continue
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def test_every_api_route_also_answers_without_its_trailing_slash():
    routes = set(_routes())
    with_slash = {route for route in routes if route.endswith("/")}
    assert with_slash, "no routes found"
    missing = sorted(route for route in with_slash if route[:-1] not in routes)
    assert missing == []


@pytest.mark.django_db
def test_no_redirect_for_the_slashless_path(client_api):
    response = client_api.get("/csrf_token")
    assert response.status_code == 200
    assert "csrf_token" in response.json()


def _paginate(query: str, items: int = 250):
    request = Request(RequestFactory().get(f"/items/{query}"))
    paginator = PageLimitPagination()
    page = paginator.paginate_queryset(list(range(items)), request)
    return paginator, page


@pytest.mark.parametrize(
    ("query", "size"),
    [
        ("", 20),
        ("?limit=5", 5),
        ("?limit=100", 100),
        ("?limit=1000", 100),  # clamped to the maximum
        ("?limit=0", 20),  # non-positive means the default
        ("?limit=-3", 20),
        ("?limit=abc", 20),  # non-numeric means the default
        ("?limit=1e3", 20),
    ],
)
def test_limit_is_clamped_or_defaulted(query, size):
    _, page = _paginate(query)
    assert len(page) == size


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99", "1.5", "9" * 30])
def test_bad_page_is_404_invalid_page(page):
    with pytest.raises(NotFound) as caught:
        _paginate(f"?page={page}")
    assert str(caught.value.detail) == "Invalid page."


def test_pagination_links_are_absolute():
    paginator, _ = _paginate("?page=2&limit=10")
    response = paginator.get_paginated_response([])
    assert response.data["count"] == 250
    assert response.data["next"] == "http://testserver/items/?limit=10&page=3"
    assert response.data["previous"] == "http://testserver/items/?limit=10"


def test_throttle_rate_overrides_and_unknown_scopes(caplog):
    with caplog.at_level(logging.WARNING, logger="parley.settings"):
        rates = _throttle_rates(" contact_us=2/min , nonsense=1/sec,login=100/hour,")
    assert rates == {**THROTTLE_RATES_SHIPPED, "contact_us": "2/min", "login": "100/hour"}
    assert "unknown scope 'nonsense' ignored" in caplog.text


def test_shipped_throttle_rates_are_the_contract():
    assert _throttle_rates("") == {
        "contact_us": "5/min",
        "contact_us_daily": "50/day",
        "login": "10/min",
        "conversation_create": "30/min",
        "seller": "600/min",
        "similar_questions": "60/min",
        "storefront": "1200/min",
        "attachment_upload": "60/hour",
    }


@pytest.mark.django_db
def test_openapi_schema_is_valid_and_warning_free(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/users/login/:" in text
    assert "/users/login:" not in text  # one entry per operation, not per slash variant


@pytest.mark.django_db
def test_schema_and_docs_are_served(client_api):
    assert client_api.get("/api/schema/").status_code == 200
    docs = client_api.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


@pytest.mark.django_db
def test_error_messages_follow_accept_language(client_api):
    response = client_api.post(
        "/users/login/", {"password": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="tr-tr"
    )
    assert response.status_code == 400
    assert response.json() == {"email": ["Bu alan zorunlu."]}
    response = client_api.post(
        "/users/login/", {"password": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="xx-yy"
    )
    assert response.json() == {"email": ["This field is required."]}
