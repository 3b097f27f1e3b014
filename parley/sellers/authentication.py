"""`Authorization: Token <key>` for the seller API.

A request that names no token gets DRF's `401 Authentication credentials were not provided.`;
one that names a malformed, unknown or revoked token, or a token of an inactive seller, gets
`401 Invalid token.`. Both carry `WWW-Authenticate: Token`. Nothing here reads the session, so
no CSRF token is needed: a browser cannot attach this header cross-site on its own.
"""

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from parley.catalog.models import DataSource
from parley.core.throttles import SellerThrottle
from parley.sellers import selectors, services
from parley.sellers.models import SellerToken

KEYWORD = "Token"


class SellerPrincipal:
    """Who a token-authenticated request acts for: a seller, never a user account."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    pk = None

    def __init__(self, token: SellerToken) -> None:
        self.token = token
        self.datasource: DataSource = token.datasource

    @property
    def idempotency_scope(self) -> str:
        """Idempotency keys are the seller's, whichever of its tokens sends them."""
        return f"seller:{self.datasource.pk}"

    def __str__(self) -> str:
        return f"seller {self.datasource.name} via {self.token}"


class SellerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[SellerPrincipal, SellerToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # no token offered: the permission check answers 401
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed("Invalid token.") from error
        token = selectors.seller_token_get_for_key(key)
        if token is None or token.is_revoked or not token.datasource.is_active:
            raise exceptions.AuthenticationFailed("Invalid token.")
        services.seller_token_touch(token=token)
        return SellerPrincipal(token), token

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class IsSeller(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.user, SellerPrincipal)


class SellerApiMixin:
    """The authentication, permission and throttle every seller endpoint shares."""

    authentication_classes: Any = [SellerTokenAuthentication]
    permission_classes: Any = [IsSeller]
    throttle_classes: Any = [SellerThrottle]


def request_seller(request: Request) -> DataSource:
    """The seller a request of an IsSeller view acts for."""
    principal: object = request.user
    assert isinstance(principal, SellerPrincipal)
    return principal.datasource
