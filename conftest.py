"""Fixtures every app's tests share: an HTTP client that enforces CSRF like a browser's."""

from typing import Any

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from parley.accounts.tests.factories import PASSWORD, UserFactory
from parley.mail.dispatch import broker_breaker

# `browser` and `page`: a real headless Chromium; `migrated_sqlite`: a database for real servers;
# `clamd_url`, `clamd_tcp_url`, `virus_scanning`: a real clamd with our test signature.
pytest_plugins = [
    "parley.core.tests.browser",
    "parley.core.tests.servers",
    "parley.core.tests.clamd",
]


class StorefrontClient(APIClient):
    """An API client that checks CSRF as production does and can fetch a token first."""

    def __init__(self, **defaults: Any) -> None:
        super().__init__(enforce_csrf_checks=True, **defaults)

    def fetch_csrf(self) -> str:
        token = self.get("/csrf_token/").json()["csrf_token"]
        self.cookies["csrftoken"] = token
        self.credentials(HTTP_X_CSRFTOKEN=token)
        return token

    def login_as(self, user: Any, password: str = PASSWORD) -> None:
        self.force_login(user)
        self.fetch_csrf()


@pytest.fixture(autouse=True)
def _clear_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    cache.clear()  # throttles and dynamic settings start fresh in every test
    # and the outbox's broker circuit breaker starts closed
    broker_breaker.reset()
    # and in the default language: LocaleMiddleware leaves a request's language active on
    # its thread, which would leak into the next test run by the same worker
    translation.activate(settings.LANGUAGE_CODE)
    # and no content type ids from rolled-back tests: constance's Config is no model, so its
    # type is created on its first admin save, inside that test's transaction; the process-wide
    # cache would hand its id to the next test's admin LogEntry (a foreign-key error on commit
    # checks, which PostgreSQL runs and SQLite does not)
    ContentType.objects.clear_cache()


@pytest.fixture
def client_api() -> StorefrontClient:
    return StorefrontClient()


@pytest.fixture
def user(db: Any) -> Any:
    return UserFactory()


@pytest.fixture
def logged_in(client_api: StorefrontClient, user: Any) -> StorefrontClient:
    client_api.login_as(user)
    return client_api
