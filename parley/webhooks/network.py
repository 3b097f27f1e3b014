"""Server-side request forgery defence for webhook URLs (API.md §10).

A URL must be `https`; its host is resolved and *every* address it resolves to must be a public
unicast address (loopback, private, link-local, multicast, unspecified, reserved, shared and
documentation ranges are refused, also when wrapped in an IPv4-mapped IPv6 address). The check
runs when an endpoint is registered and again for every connection the worker opens, and the
connection is made to the address that was checked (`PinnedNetworkBackend`), so a DNS answer
that changes between the check and the connection (DNS rebinding) cannot redirect it.
`PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS` lifts the scheme and address rules (development, tests).
"""

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeDestination(Exception):
    """A webhook URL that Parley refuses to call; the message says why, for the seller."""


def _resolve_with_getaddrinfo(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# The resolver the checks use: host, port -> addresses. A module attribute so tests can put a
# resolver in its place whose answers change (a DNS rebinding simulation).
resolver: Callable[[str, int], list[str]] = _resolve_with_getaddrinfo


def private_networks_allowed() -> bool:
    return bool(getattr(settings, "PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS", False))


def address_refusal(address: str) -> str | None:
    """Why an address may not be called, or None when it is a public unicast address."""
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            inner = address_refusal(str(embedded))
            return f"{inner} (inside an IPv6 address)" if inner else None
    for kind, flag in (
        ("an unspecified", ip.is_unspecified),
        ("a loopback", ip.is_loopback),
        ("a link-local", ip.is_link_local),
        ("a multicast", ip.is_multicast),
        ("a reserved", ip.is_reserved),
        ("a private", ip.is_private),
    ):
        if flag:
            return f"{kind} address ({ip})"
    if not ip.is_global:  # shared address space (100.64/10), documentation ranges, ...
        return f"a non-public address ({ip})"
    return None


def addresses_check(host: str, addresses: Iterable[str]) -> list[str]:
    """All the addresses if every one is public; UnsafeDestination naming the first that is
    not. With private networks allowed, the addresses as they are."""
    checked = list(addresses)
    if not checked:
        raise UnsafeDestination(f"{host} does not resolve to any address.")
    if private_networks_allowed():
        return checked
    for address in checked:
        refusal = address_refusal(address)
        if refusal:
            raise UnsafeDestination(f"{host} resolves to {refusal}.")
    return checked


def host_resolve_checked(host: str, port: int) -> list[str]:
    """Resolve the host once and check every answer."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:
            answers = resolver(host, port)
        except (OSError, UnicodeError) as error:
            raise UnsafeDestination(f"{host} cannot be resolved ({error}).") from error
    else:
        answers = [str(literal)]
    return addresses_check(host, answers)


def url_check(url: str, *, resolve: bool = True) -> None:
    """Refuse a URL Parley must not call: not https (unless private networks are allowed),
    credentials in it, no host, a bad port, or (with `resolve`) an address that is not
    public. Raises UnsafeDestination."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeDestination("Not a valid URL.") from error
    allowed_schemes = ("https", "http") if private_networks_allowed() else ("https",)
    if parts.scheme not in allowed_schemes:
        raise UnsafeDestination("The URL must use https.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("The URL may not hold a user name or password.")
    host = parts.hostname
    if not host:
        raise UnsafeDestination("The URL has no host.")
    if resolve:
        host_resolve_checked(host, port or (443 if parts.scheme == "https" else 80))


class PinnedNetworkBackend(httpcore.NetworkBackend):
    """Opens each connection to an address it has just resolved and checked.

    httpcore asks for a TCP connection to the URL's host name; this backend resolves the name
    once, refuses it unless every answer is public, and connects to those checked addresses
    (never to a second resolution). TLS then runs over that socket with the host name as SNI
    and as the name the certificate must match, as httpcore does for any connection.
    """

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = host_resolve_checked(host, port)
        except UnsafeDestination as error:
            raise httpcore.ConnectError(str(error)) from error
        last_error: Exception | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last_error = error
        assert last_error is not None
        raise last_error

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("Webhooks never connect to a Unix socket.")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
