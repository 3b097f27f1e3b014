from collections.abc import Iterator
from typing import Any

import pytest

from parley.catalog.tests.factories import DataSourceFactory
from parley.sellers.tests.factories import token_issue
from parley.webhooks import services
from parley.webhooks.models import WebhookEndpoint
from parley.webhooks.sender import webhook_client_close
from parley.webhooks.tests.receiver import Receiver


@pytest.fixture(autouse=True)
def _fresh_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test opens its own connections (receivers come and go on new ports)."""
    monkeypatch.setattr("parley.webhooks.delivery._broker_down_until", 0.0)
    webhook_client_close()
    yield
    webhook_client_close()


@pytest.fixture
def loopback(settings: Any) -> Any:
    """The development setting that lets an endpoint be the loopback receiver."""
    settings.PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    return settings


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def seller(db: Any) -> Any:
    return DataSourceFactory.create()


@pytest.fixture
def seller_key(seller: Any) -> str:
    return token_issue(seller)[1]


@pytest.fixture
def seller_api(client_api: Any, seller_key: str) -> Any:
    client_api.credentials(HTTP_AUTHORIZATION=f"Token {seller_key}")
    return client_api


@pytest.fixture
def endpoint(loopback: Any, seller: Any, receiver: Receiver) -> WebhookEndpoint:
    return services.webhook_endpoint_create(datasource=seller, url=receiver.url)
