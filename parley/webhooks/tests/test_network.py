"""Server-side request forgery defence: every address class refused, at registration and at
each delivery, and the connection made to the address that was checked (DNS rebinding)."""

import httpcore
import pytest

from parley.webhooks import network
from parley.webhooks.network import (
    PinnedNetworkBackend,
    UnsafeDestination,
    address_refusal,
    url_check,
)
from parley.webhooks.sender import webhook_client_close, webhook_post

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:4700:4700::1111"


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("100.64.0.1", "non-public"),  # shared address space (carrier NAT)
        ("198.51.100.7", "private"),  # documentation range
    ],
)
def test_every_non_public_address_class_is_refused(address, kind):
    refusal = address_refusal(address)
    assert refusal is not None
    assert kind in refusal


@pytest.mark.parametrize("address", [PUBLIC_V4, PUBLIC_V6, "8.8.8.8", "::ffff:8.8.8.8"])
def test_public_unicast_addresses_pass(address):
    assert address_refusal(address) is None


@pytest.fixture
def answers(monkeypatch):
    """A resolver stub: host -> the list of answers it gives, one list per call in turn."""
    table: dict[str, list[list[str]]] = {}
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        queue = table[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    monkeypatch.setattr(network, "resolver", resolve)
    table["calls"] = calls  # type: ignore[assignment]
    return table


def test_https_is_required(answers):
    answers["hooks.example.com"] = [[PUBLIC_V4]]
    url_check("https://hooks.example.com/x")
    with pytest.raises(UnsafeDestination, match="https"):
        url_check("http://hooks.example.com/x")
    with pytest.raises(UnsafeDestination, match="https"):
        url_check("ftp://hooks.example.com/x")


def test_credentials_in_the_url_are_refused(answers):
    answers["hooks.example.com"] = [[PUBLIC_V4]]
    with pytest.raises(UnsafeDestination, match="user name"):
        url_check("https://user:pw@hooks.example.com/x")


def test_a_host_is_refused_when_any_of_its_addresses_is_not_public(answers):
    answers["mixed.example.com"] = [[PUBLIC_V4, "10.0.0.5"]]
    with pytest.raises(UnsafeDestination, match=r"private address \(10\.0\.0\.5\)"):
        url_check("https://mixed.example.com/x")


def test_literal_addresses_are_checked_without_dns(answers):
    with pytest.raises(UnsafeDestination, match="loopback"):
        url_check("https://127.0.0.1/x")
    with pytest.raises(UnsafeDestination, match="loopback"):
        url_check("https://[::ffff:127.0.0.1]:8443/x")
    url_check(f"https://{PUBLIC_V4}/x")
    assert answers["calls"] == []


def test_an_unresolvable_host_is_refused(monkeypatch):
    def fail(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    monkeypatch.setattr(network, "resolver", fail)
    with pytest.raises(UnsafeDestination, match="cannot be resolved"):
        url_check("https://nowhere.invalid/x")


def test_private_networks_allowed_lifts_the_scheme_and_address_rules(answers, settings):
    settings.PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    answers["intranet.local"] = [["10.0.0.5"]]
    url_check("http://127.0.0.1:8000/x")
    url_check("http://intranet.local/x")


class RecordingBackend:
    """Stands in for httpcore's socket backend: records where it was asked to connect."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []

    def connect_tcp(self, host, port, **kwargs):
        self.connected.append((host, port))
        raise httpcore.ConnectError("recorded, not connected")


def test_the_connection_goes_to_the_address_that_was_checked(answers):
    """DNS rebinding: the first answer is public, every later one is loopback. The backend
    resolves once, checks, and connects to that checked address, never asking again."""
    answers["rebind.example.com"] = [[PUBLIC_V4], ["127.0.0.1"]]
    backend = PinnedNetworkBackend()
    recorder = RecordingBackend()
    backend._inner = recorder  # type: ignore[assignment]
    with pytest.raises(httpcore.ConnectError, match="recorded"):
        backend.connect_tcp("rebind.example.com", 443, timeout=1)
    assert recorder.connected == [(PUBLIC_V4, 443)]
    assert answers["calls"] == ["rebind.example.com"]


def test_a_rebound_name_is_refused_at_delivery_without_connecting(answers):
    """Public when registered, loopback when delivered: the delivery never connects."""
    answers["rebind.example.com"] = [[PUBLIC_V4], ["127.0.0.1"]]
    url_check("https://rebind.example.com/hook")  # registration: public, accepted
    backend = PinnedNetworkBackend()
    recorder = RecordingBackend()
    backend._inner = recorder  # type: ignore[assignment]
    with pytest.raises(httpcore.ConnectError, match="loopback"):
        backend.connect_tcp("rebind.example.com", 443, timeout=1)
    assert recorder.connected == []


def test_the_delivery_client_refuses_a_rebound_name(answers):
    """The same through the real delivery client: no request leaves, the reason is kept."""
    answers["rebind.example.com"] = [["127.0.0.1"]]
    webhook_client_close()
    result = webhook_post(url="https://rebind.example.com/hook", headers={}, body=b"{}")
    assert result.status_code is None
    assert "loopback address (127.0.0.1)" in result.error


def test_the_delivery_client_refuses_http_without_the_development_setting(answers):
    result = webhook_post(url=f"http://{PUBLIC_V4}/hook", headers={}, body=b"{}")
    assert result.status_code is None
    assert result.error == "refused: The URL must use https."
