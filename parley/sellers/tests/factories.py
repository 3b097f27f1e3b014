from typing import Any

from parley.catalog.tests.factories import DataSourceFactory
from parley.sellers import services
from parley.sellers.models import SellerToken


def token_issue(datasource: Any = None, **kwargs: Any) -> tuple[SellerToken, str]:
    """A token through the real service (the key exists nowhere else) and its key."""
    issued = services.seller_token_create(
        datasource=datasource or DataSourceFactory.create(),
        name=kwargs.pop("name", "test"),
        **kwargs,
    )
    return issued.token, issued.key


def token_header(key: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}
