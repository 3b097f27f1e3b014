"""Webhook fault drills (docs/webhooks.md, figures in docs/OPERATIONS.md): a real receiver on
loopback (parley/webhooks/tests/receiver.py) that verifies every signature with the
`standardwebhooks` library, events caused through the seller API, and the production stack's
own webhook worker (deploy/Procfile `webhooks`)."""

from __future__ import annotations

import json
import signal
import statistics
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from drills.stack import SmtpSink, Stack, Storefront, contact_body, wait_for
from parley.webhooks.tests.receiver import Receiver


def _figure(name: str, value: object) -> None:
    print(f"  {name:<52} {value}")


class SellerApi:
    """The seller API with one seller's token."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.base + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def register(self, url: str) -> dict[str, Any]:
        status, body = self.call(
            "POST", "/seller/webhooks/", {"url": url, "event_types": ["message.created"]}
        )
        assert status == 201, (status, body)
        return body

    def answer(self, conversation: int, text: str) -> int:
        return self.call(
            "POST", f"/seller/conversations/{conversation}/messages/", {"message_content": text}
        )[0]


def _seller(stack: Stack, demo: dict[str, Any], index: int) -> tuple[SellerApi, int]:
    seller = demo["sellers"][index]
    conversation = next(c["id"] for c in demo["conversations"] if c["datasource"] == seller["id"])
    return SellerApi(stack.base, seller["token"]), conversation


def _answer_many(api: SellerApi, conversation: int, tag: str, count: int) -> list[int]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda n: api.answer(conversation, f"{tag} answer {n}"), range(count)))


def _verified(receiver: Receiver, secret: str) -> tuple[int, int]:
    """(requests whose signature verifies, requests that do not)."""
    webhook = Webhook(secret)
    good = bad = 0
    with receiver.lock:
        requests = list(receiver.requests)
    for request in requests:
        try:
            webhook.verify(request.body, request.headers)
            good += 1
        except WebhookVerificationError:
            bad += 1
    return good, bad


def _distinct_accepted(receiver: Receiver) -> int:
    with receiver.lock:
        return len(receiver.accepted)


def drill_webhook_down(stack: Stack, sink: SmtpSink, demo: dict[str, Any]) -> bool:
    """A receiver down for 60 s while 200 events happen: all delivered after it returns,
    each webhook-id accepted once by a receiver that deduplicates, none lost."""
    api, conversation = _seller(stack, demo, 0)
    receiver = Receiver().start()
    port = receiver.port
    endpoint = api.register(receiver.url)
    receiver.stop()  # down: connections refused
    down_at = time.monotonic()
    statuses = _answer_many(api, conversation, "DrillWebhookDown", 200)
    time.sleep(max(0.0, 60 - (time.monotonic() - down_at)))
    receiver.start(port)
    back = time.monotonic()
    delivered = wait_for(lambda: _distinct_accepted(receiver) >= 200, timeout=240)
    took = time.monotonic() - back
    time.sleep(5)  # anything sent twice would arrive now
    accepted = _distinct_accepted(receiver)
    good, bad = _verified(receiver, endpoint["secret"])
    with receiver.lock:
        duplicates = sum(receiver.accepted.values()) - len(receiver.accepted)
    _, page = api.call("GET", f"/seller/webhooks/{endpoint['id']}/deliveries/?limit=100")
    receiver.stop()
    api.call("DELETE", f"/seller/webhooks/{endpoint['id']}/")
    _figure(
        "seller answers accepted (201) while the receiver was down", f"{statuses.count(201)}/200"
    )
    _figure("distinct webhook-ids accepted after it returned", f"{accepted}/200")
    _figure("seconds from receiver back to the last delivery", f"{took:.1f}")
    _figure("requests received in all (signatures verified / not)", f"{good} / {bad}")
    _figure("webhook-ids accepted more than once (dedup'd by id)", duplicates)
    _figure(
        "deliveries listed by the API (first page) delivered",
        sum(1 for d in page["results"] if d["status"] == "delivered")
        if isinstance(page, dict)
        else page,
    )
    return statuses.count(201) == 200 and delivered and accepted == 200 and bad == 0


def drill_webhook_gone(stack: Stack, sink: SmtpSink, demo: dict[str, Any]) -> bool:
    """A receiver answering 410: the endpoint disabled at once, the seller e-mailed, nothing
    more sent to it."""
    api, conversation = _seller(stack, demo, 1)
    receiver = Receiver(status=410).start()
    endpoint = api.register(receiver.url)
    started = time.monotonic()
    assert api.answer(conversation, "DrillWebhookGone first") == 201
    disabled = wait_for(
        lambda: api.call("GET", f"/seller/webhooks/{endpoint['id']}/")[1]["is_active"] is False,
        timeout=60,
        interval=0.1,
    )
    disabled_after = time.monotonic() - started
    tag = f"webhook endpoint #{endpoint['id']} was disabled"
    mailed = wait_for(lambda: len(sink.received(tag)) == 1, timeout=60, interval=0.1)
    mailed_after = time.monotonic() - started
    for n in range(5):
        api.answer(conversation, f"DrillWebhookGone after {n}")
    time.sleep(8)  # past a sweep or two: nothing may go to a disabled endpoint
    _, shown = api.call("GET", f"/seller/webhooks/{endpoint['id']}/")
    requests = len(receiver.requests)
    receiver.stop()
    api.call("DELETE", f"/seller/webhooks/{endpoint['id']}/")
    _figure("seconds from the event to the endpoint disabled", f"{disabled_after:.2f}")
    _figure(
        "endpoint as the API shows it",
        f"is_active={shown['is_active']}, disabled_reason={shown['disabled_reason']}",
    )
    _figure("seconds from the event to the seller's e-mail", f"{mailed_after:.2f}")
    _figure("e-mails to the seller about it", len(sink.received(tag)))
    _figure("requests the receiver got (5 more events after)", requests)
    return (
        disabled
        and mailed
        and shown["disabled_reason"] == "endpoint_gone"
        and len(sink.received(tag)) == 1
        and requests == 1
    )


def drill_webhook_hang(stack: Stack, sink: SmtpSink, demo: dict[str, Any]) -> bool:
    """A receiver that never answers: another seller's deliveries and the e-mails keep
    flowing while it hangs."""
    slow_api, slow_conversation = _seller(stack, demo, 0)
    fast_api, fast_conversation = _seller(stack, demo, 1)
    hanging, healthy = Receiver().start(), Receiver().start()
    hanging.hang.set()
    slow = slow_api.register(hanging.url)
    fast = fast_api.register(healthy.url)
    tag = "DrillWebhookHang"
    slow_statuses = _answer_many(slow_api, slow_conversation, tag, 50)
    time.sleep(1)  # the hanging receiver holds its share of the worker's threads now
    started = time.monotonic()
    sent_at: dict[str, float] = {}
    storefront = Storefront(stack.base)
    storefront.fetch_csrf()
    for n in range(50):
        fast_api.answer(fast_conversation, f"{tag} fast {n}")
        storefront.contact(contact_body(demo, tag, n))
        sent_at[str(n)] = time.monotonic()
    done_at: dict[str, float] = {}

    def both_done() -> bool:
        # each side's time is taken when it is done, whichever finishes first
        for side, count in (
            ("fast", _distinct_accepted(healthy)),
            ("mail", len(sink.received(tag))),
        ):
            if count >= 50:
                done_at.setdefault(side, time.monotonic() - started)
        return len(done_at) == 2

    wait_for(both_done, timeout=60, interval=0.05)
    fast_done, mails_done = "fast" in done_at, "mail" in done_at
    fast_seconds = done_at.get("fast", time.monotonic() - started)
    mail_seconds = done_at.get("mail", time.monotonic() - started)
    latencies = sorted(r.at - started for r in healthy.requests)
    with hanging.lock:
        held = sorted(r.at for r in hanging.requests)
    # The worker holds each request to the hanging receiver for its whole timeout, so requests
    # that arrived less than a timeout apart were held at the same time.
    window = float(stack.env.get("PARLEY_WEBHOOK_TIMEOUT_SECONDS", "15")) - 0.5
    in_flight = max((sum(1 for b in held if a <= b < a + window) for a in held), default=0)
    hanging.stop()
    healthy.stop()
    slow_api.call("DELETE", f"/seller/webhooks/{slow['id']}/")
    fast_api.call("DELETE", f"/seller/webhooks/{fast['id']}/")
    _figure("events for the hanging receiver (answers 201)", f"{slow_statuses.count(201)}/50")
    _figure("requests the hanging receiver held at once (limit 2)", in_flight)
    _figure("  requests it got in all (one per timeout and slot)", len(held))
    _figure(
        "seconds to send the 50 answers and 50 contact forms",
        f"{max(sent_at.values()) - started:.1f}",
    )
    _figure("other seller's deliveries received", f"{_distinct_accepted(healthy)}/50")
    _figure("  seconds for all 50 (sent over the same time)", f"{fast_seconds:.1f}")
    _figure(
        "  arrival after start, median / last",
        f"{statistics.median(latencies):.2f} / {latencies[-1]:.2f} s" if latencies else "-",
    )
    _figure("contact e-mails delivered meanwhile", f"{len(sink.received(tag))}/50")
    _figure("  seconds for all 50", f"{mail_seconds:.1f}")
    return fast_done and mails_done and in_flight <= 2


def drill_webhook_worker(stack: Stack, sink: SmtpSink, demo: dict[str, Any]) -> bool:
    """The webhook worker SIGKILLed in the middle of 300 deliveries: all delivered in the end."""
    api, conversation = _seller(stack, demo, 0)
    receiver = Receiver().start()
    receiver.delay = 0.02  # a slow receiver, so the kill lands mid-batch
    endpoint = api.register(receiver.url)
    stack.kill("webhooks")
    statuses = _answer_many(api, conversation, "DrillWebhookWorker", 300)  # queued, no worker
    stack.start("webhooks")
    wait_for(lambda: _distinct_accepted(receiver) >= 100, timeout=120, interval=0.05)
    at_kill = _distinct_accepted(receiver)
    stack.kill("webhooks", signal.SIGKILL)
    stack.start("webhooks")
    delivered = wait_for(lambda: _distinct_accepted(receiver) >= 300, timeout=240)
    time.sleep(5)
    accepted = _distinct_accepted(receiver)
    with receiver.lock:
        duplicates = sum(receiver.accepted.values()) - len(receiver.accepted)
    good, bad = _verified(receiver, endpoint["secret"])
    receiver.stop()
    api.call("DELETE", f"/seller/webhooks/{endpoint['id']}/")
    _figure("seller answers accepted (201)", f"{statuses.count(201)}/300")
    _figure("distinct webhook-ids delivered when the worker was killed", at_kill)
    _figure("distinct webhook-ids delivered in the end", f"{accepted}/300")
    _figure("sent twice (same webhook-id; a deduplicating receiver drops them)", duplicates)
    _figure("signatures verified / not", f"{good} / {bad}")
    return statuses.count(201) == 300 and delivered and accepted == 300 and bad == 0


DRILLS = {
    "webhook_down": drill_webhook_down,
    "webhook_gone": drill_webhook_gone,
    "webhook_hang": drill_webhook_hang,
    "webhook_worker": drill_webhook_worker,
}
