"""The HTTP side of a delivery: one POST through a client that cannot be pointed at the
inside (network.PinnedNetworkBackend), follows no redirect, gives up after 15 seconds and
reads at most a few KiB of the answer."""

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpcore
import httpx
from django.conf import settings

from parley.webhooks.network import PinnedNetworkBackend, UnsafeDestination, url_check

RESPONSE_BODY_CAP = 4096  # bytes of an answer read, at most; the rest is never received
USER_AGENT = "Parley-Webhooks/1.0"


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None  # None: no answer (refused, timed out, unsafe)
    error: str = ""
    retry_after_seconds: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__(trust_env=False)
        # httpx gives no way to name the network backend of the httpcore pool it builds;
        # this is the same pool, with the backend that resolves, checks and pins.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=None,
            max_keepalive_connections=64,
            keepalive_expiry=5.0,
            network_backend=PinnedNetworkBackend(),
        )


_client_lock = threading.Lock()
_client: httpx.Client | None = None


def webhook_client() -> httpx.Client:
    """One client per process, shared by the worker's threads (httpx.Client is thread-safe):
    it keeps connections to the receivers alive between deliveries."""
    global _client
    with _client_lock:
        if _client is None:
            timeout = settings.PARLEY_WEBHOOK_TIMEOUT_SECONDS
            _client = httpx.Client(
                transport=_PinnedTransport(),
                timeout=httpx.Timeout(timeout),
                follow_redirects=False,
                trust_env=False,  # no proxy from the environment: it would bypass the pinning
                headers={"User-Agent": USER_AGENT},
            )
        return _client


def webhook_client_close() -> None:
    global _client
    with _client_lock:
        if _client is not None:
            _client.close()
            _client = None


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds (a number of seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def webhook_post(*, url: str, headers: dict[str, str], body: bytes) -> AttemptResult:
    """POST the body; never raises. The URL is checked again first (scheme, and the address
    through the pinned backend when the connection is opened)."""
    try:
        url_check(url, resolve=False)
    except UnsafeDestination as error:
        return AttemptResult(None, f"refused: {error}")
    deadline = time.monotonic() + settings.PARLEY_WEBHOOK_TIMEOUT_SECONDS
    try:
        with webhook_client().stream("POST", url, headers=headers, content=body) as response:
            received = 0
            for chunk in response.iter_raw():
                received += len(chunk)
                if received >= RESPONSE_BODY_CAP or time.monotonic() > deadline:
                    break  # the connection is closed rather than drained
            return AttemptResult(
                response.status_code,
                "" if response.is_success else f"HTTP {response.status_code}",
                retry_after_seconds(response.headers.get("retry-after")),
            )
    except httpx.TimeoutException as error:
        return AttemptResult(None, f"timeout: {type(error).__name__}")
    except httpx.HTTPError as error:
        return AttemptResult(None, f"{type(error).__name__}: {error}"[:500])
