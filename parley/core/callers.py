"""Who is calling: the client address, whether it is one of the storefront's servers, and the
shopper behind it (API.md §6). Throttles and idempotency keys are counted per caller."""

import hashlib
import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import (  # type: ignore[attr-defined]  # private helpers, no stubs
    CSRF_TOKEN_LENGTH,
    InvalidTokenFormat,
    _check_token_format,
    _unmask_cipher_token,
)
from rest_framework.throttling import BaseThrottle

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request: Any) -> str:
    """REMOTE_ADDR, or X-Forwarded-For as far as PARLEY_TRUSTED_PROXY_COUNT trusts it (DRF's
    rule). Works on a Django request as well as on a DRF one."""
    return BaseThrottle().get_ident(request)


@lru_cache(maxsize=8)
def _networks(raw: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in raw)


def storefront_networks() -> tuple[Network, ...]:
    return _networks(tuple(settings.PARLEY_STOREFRONT_NETWORKS))


def is_from_storefront(request: Any) -> bool:
    """Whether the request comes from one of PARLEY_STOREFRONT_NETWORKS."""
    networks = storefront_networks()
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(client_address(request).strip())
    except ValueError:
        return False
    return any(address in network for network in networks)


def csrf_cookie_secret(request: HttpRequest) -> str | None:
    """The 32-character CSRF secret of the request's `csrftoken` cookie, unmasked if the
    cookie holds the 64-character masked form (as the storefront stores it), or None if there
    is no well-formed cookie. Read from the cookie itself: for a malformed one Django's CSRF
    middleware invents a fresh secret per request, which must not count as a shopper."""
    cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if not cookie:
        return None
    try:
        _check_token_format(cookie)
    except InvalidTokenFormat:
        return None
    return _unmask_cipher_token(cookie) if len(cookie) == CSRF_TOKEN_LENGTH else cookie


def digest(value: str) -> str:
    """A stable, fixed-length stand-in for a secret or an address in a cache key or a row."""
    return hashlib.sha256(value.encode()).hexdigest()


def shopper_ident(request: Any) -> str:
    """The shopper behind a storefront request: the logged-in user, else the CSRF cookie's
    secret, else (neither present) the address. Elsewhere: the address."""
    address = client_address(request)
    if not is_from_storefront(request):
        return address
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    django_request = getattr(request, "_request", request)
    secret = csrf_cookie_secret(django_request)
    if secret is not None:
        return f"csrf:{digest(secret)}"
    return address
