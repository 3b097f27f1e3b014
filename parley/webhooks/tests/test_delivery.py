"""Delivery against a real receiver on loopback: signatures verified with the
`standardwebhooks` library, retries, Retry-After, 410, the last failure, leases, the
per-endpoint limit, timeouts, redirects and the response cap."""

import json
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from parley.mail.models import OutgoingEmail
from parley.webhooks import delivery as worker
from parley.webhooks import services
from parley.webhooks.models import (
    OPERATOR_EVENT_TYPES,
    SELLER_EVENT_TYPES,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from parley.webhooks.tests.scenarios import scenario_run

pytestmark = pytest.mark.django_db


def _emit(capture, event_type, seller, **data):
    with capture(execute=True):
        return services.webhook_event_emit(event_type=event_type, seller=seller, data=data)


def _verify(secret, request):
    return Webhook(secret).verify(request.body, request.headers)


@pytest.mark.parametrize("event_type", SELLER_EVENT_TYPES)
def test_every_seller_event_arrives_signed(
    event_type, endpoint, seller, receiver, django_capture_on_commit_callbacks
):
    event = _emit(django_capture_on_commit_callbacks, event_type, seller, conversation=7, message=9)

    [request] = receiver.requests
    payload = _verify(endpoint.secret, request)
    assert payload["type"] == event_type
    assert payload["data"] == {"conversation": 7, "message": 9, "seller": seller.pk}
    assert payload["timestamp"] == event.created_at.isoformat().replace("+00:00", "Z")
    assert request.headers["webhook-id"] == event.message_id
    assert request.headers["content-length"] == str(len(request.body))
    assert request.headers["content-type"] == "application/json"
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 5
    assert request.body.decode() == event.body
    sent = WebhookDelivery.objects.get(event=event)
    assert (sent.status, sent.attempts, sent.last_status_code) == ("delivered", 1, 200)
    assert sent.delivered_at is not None


@pytest.mark.parametrize("event_type", OPERATOR_EVENT_TYPES)
def test_every_operator_event_arrives_signed_at_the_operator_endpoint(
    event_type, loopback, seller, receiver, django_capture_on_commit_callbacks
):
    operator = services.webhook_endpoint_create(datasource=None, url=receiver.url)
    seller_endpoint = services.webhook_endpoint_create(datasource=seller, url=receiver.url)
    event = _emit(django_capture_on_commit_callbacks, event_type, None, contact_request=3)

    [request] = receiver.requests
    assert _verify(operator.secret, request) == json.loads(event.body)
    assert json.loads(request.body)["data"] == {"contact_request": 3}
    with pytest.raises(WebhookVerificationError):
        _verify(seller_endpoint.secret, request)  # signed for the operator endpoint only
    assert not WebhookDelivery.objects.filter(endpoint=seller_endpoint).exists()


def test_an_event_reaches_only_its_sellers_endpoints_subscribed_to_it(
    loopback, seller, receiver, django_capture_on_commit_callbacks
):
    from parley.catalog.tests.factories import DataSourceFactory

    other = DataSourceFactory.create()
    mine = services.webhook_endpoint_create(datasource=seller, url=receiver.url + "/mine")
    services.webhook_endpoint_create(datasource=other, url=receiver.url + "/other")
    services.webhook_endpoint_create(
        datasource=seller, url=receiver.url + "/reads", event_types=["conversation.read"]
    )
    _emit(django_capture_on_commit_callbacks, "message.created", seller, message=1)

    assert [r.path for r in receiver.requests] == ["/hooks/mine"]
    assert WebhookDelivery.objects.get().endpoint == mine


def test_during_a_rotation_two_signatures_each_verify(
    endpoint, seller, receiver, django_capture_on_commit_callbacks
):
    old = endpoint.secret
    rotated = services.webhook_endpoint_secret_rotate(endpoint=endpoint)
    assert rotated.secret != old
    _emit(django_capture_on_commit_callbacks, "message.created", seller, message=1)

    [request] = receiver.requests
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    _verify(rotated.secret, request)
    _verify(old, request)

    # 24 hours later the old secret no longer signs.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    _emit(django_capture_on_commit_callbacks, "message.created", seller, message=2)
    later = receiver.requests[1]
    assert len(later.headers["webhook-signature"].split(" ")) == 1
    _verify(rotated.secret, later)
    with pytest.raises(WebhookVerificationError):
        _verify(old, later)


def _make_due(delivery_id):
    WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())


def test_a_failure_is_retried_with_the_same_webhook_id_and_body(
    endpoint, seller, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    started = timezone.now()
    event = _emit(django_capture_on_commit_callbacks, "message.created", seller, message=1)
    pending = WebhookDelivery.objects.get(event=event)
    assert (pending.status, pending.attempts, pending.last_status_code) == ("pending", 1, 500)
    assert pending.last_error == "HTTP 500"
    assert pending.next_attempt_at is not None
    wait = (pending.next_attempt_at - started).total_seconds()
    assert 4.0 <= wait <= 6.5  # 5 s, jitter ±20 %

    assert worker.webhook_delivery_send(delivery_id=pending.pk) == "skipped"  # not due yet
    _make_due(pending.pk)
    assert worker.webhook_delivery_send(delivery_id=pending.pk) == "retry"
    receiver.status = 200
    _make_due(pending.pk)
    assert worker.webhook_delivery_send(delivery_id=pending.pk) == "delivered"

    assert len(receiver.requests) == 3
    assert {r.headers["webhook-id"] for r in receiver.requests} == {event.message_id}
    assert {r.body for r in receiver.requests} == {event.body.encode()}
    for request in receiver.requests:
        _verify(endpoint.secret, request)
    done = WebhookDelivery.objects.get(pk=pending.pk)
    assert (done.status, done.attempts, done.last_error) == ("delivered", 3, "")


def test_the_retry_schedule_is_the_contracts_with_twenty_percent_jitter():
    schedule = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    for attempts, base in enumerate(schedule, start=1):
        delays = [worker.retry_delay_seconds(attempts) or 0.0 for _ in range(200)]
        assert all(base * 0.8 <= d <= base * 1.2 for d in delays)
        assert max(delays) - min(delays) > base * 0.2
    assert worker.retry_delay_seconds(len(schedule) + 1) is None


@pytest.mark.parametrize(("header", "low", "high"), [("120", 120, 121), ("99999", 3600, 3601)])
def test_retry_after_is_honoured_up_to_an_hour(
    header, low, high, endpoint, seller, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 503
    receiver.response_headers = {"Retry-After": header}
    started = timezone.now()
    event = _emit(django_capture_on_commit_callbacks, "message.created", seller, message=1)
    pending = WebhookDelivery.objects.get(event=event)
    assert pending.status == "pending"
    assert pending.next_attempt_at is not None
    assert low <= (pending.next_attempt_at - started).total_seconds() <= high


def test_410_disables_the_endpoint_at_once_and_emails_the_seller(
    endpoint, seller, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 410
    event = _emit(django_capture_on_commit_callbacks, "message.created", seller, message=1)

    gone = WebhookDelivery.objects.get(event=event)
    assert (gone.status, gone.attempts, gone.last_status_code) == ("failed", 1, 410)
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.disabled_reason) == (False, "endpoint_gone")
    [email] = OutgoingEmail.objects.filter(kind="webhook_endpoint_disabled")
    assert email.to == [seller.email]
    assert f"#{endpoint.pk}" in email.subject
    assert "410" in email.text_body and endpoint.url in email.text_body
    # Nothing more is sent to it, and no new deliveries are written for it.
    assert _emit(django_capture_on_commit_callbacks, "message.created", seller, message=2) is None
    assert len(receiver.requests) == 1


def test_after_the_last_attempt_the_endpoint_is_disabled_and_the_seller_emailed(
    endpoint, seller, receiver, django_capture_on_commit_callbacks, settings
):
    receiver.status = 502
    event = _emit(django_capture_on_commit_callbacks, "message.created", seller, message=1)
    delivery = WebhookDelivery.objects.get(event=event)
    for _ in range(len(settings.PARLEY_WEBHOOK_RETRY_SCHEDULE_SECONDS) - 1):
        _make_due(delivery.pk)
        assert worker.webhook_delivery_send(delivery_id=delivery.pk) == "retry"
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert not OutgoingEmail.objects.exists()
    _make_due(delivery.pk)
    assert worker.webhook_delivery_send(delivery_id=delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 10, None)
    assert len(receiver.requests) == 10
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.disabled_reason) == (False, "attempts_exhausted")
    [email] = OutgoingEmail.objects.filter(kind="webhook_endpoint_disabled")
    assert email.to == [seller.email]
    assert "10 attempts" in email.text_body


def test_redirects_are_not_followed(endpoint, seller, receiver, django_capture_on_commit_callbacks):
    receiver.status = 302
    receiver.response_headers = {"Location": "http://127.0.0.1:1/elsewhere"}
    event = _emit(django_capture_on_commit_callbacks, "message.created", seller, message=1)
    [request] = receiver.requests
    assert request.path == "/hooks"
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)


def test_no_answer_within_the_timeout_is_a_failed_attempt(
    endpoint, seller, receiver, django_capture_on_commit_callbacks, settings
):
    settings.PARLEY_WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver.hang.set()  # for 120 s
    started = time.monotonic()
    event = _emit(django_capture_on_commit_callbacks, "message.created", seller, message=1)
    # Far from the receiver's 120 s, and loose enough for a loaded machine's slow steps.
    assert time.monotonic() - started < 10
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.status, delivery.last_status_code) == ("pending", None)
    assert delivery.last_error.startswith("timeout")


def test_the_answer_is_read_only_up_to_a_small_cap(
    endpoint, seller, receiver, django_capture_on_commit_callbacks, settings
):
    """The receiver promises 10 MB, sends 8 KiB and stalls: reading to the cap and no
    further, the worker records the 200 at once instead of waiting for the rest (which
    would take the 30 s timeout; the bound leaves a loaded machine room below that)."""
    settings.PARLEY_WEBHOOK_TIMEOUT_SECONDS = 30
    receiver.response_headers = {"Content-Length": str(10_000_000)}
    receiver.response_body = b"x" * 8192
    started = time.monotonic()
    event = _emit(django_capture_on_commit_callbacks, "message.created", seller, message=1)
    assert time.monotonic() - started < 10
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.status, delivery.last_status_code) == ("delivered", 200)


def test_a_rolled_back_change_writes_and_sends_nothing(endpoint, seller, receiver):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.webhook_event_emit(event_type="message.created", seller=seller, data={})
        raise RuntimeError("the change failed")
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_emitting_with_no_endpoint_listening_costs_one_query(seller, django_assert_num_queries):
    with django_assert_num_queries(1):
        emitted = services.webhook_event_emit(event_type="message.created", seller=seller, data={})
    assert emitted is None


def test_a_claim_is_exclusive_and_a_lost_lease_is_swept_again(endpoint, seller, receiver, settings):
    """A worker claims, then dies without a word: nobody else may take the delivery until
    its lease runs out; then the sweep sends it, once."""
    event = services.webhook_event_emit(event_type="message.created", seller=seller, data={})
    delivery = WebhookDelivery.objects.get(event=event)
    assert worker.webhook_delivery_claim(delivery_id=delivery.pk) is not None
    assert worker.webhook_delivery_claim(delivery_id=delivery.pk) is None
    assert worker.webhook_delivery_sweep() == 0
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert worker.webhook_delivery_sweep() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert len(receiver.requests) == 1


def test_at_most_the_endpoint_concurrency_is_in_flight_per_endpoint(
    loopback, seller, receiver, settings
):
    from parley.catalog.tests.factories import DataSourceFactory

    settings.PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY = 2
    other_seller = DataSourceFactory.create()
    services.webhook_endpoint_create(datasource=seller, url=receiver.url)
    services.webhook_endpoint_create(datasource=other_seller, url=receiver.url)
    for n in range(3):
        services.webhook_event_emit(event_type="message.created", seller=seller, data={"n": n})
    services.webhook_event_emit(event_type="message.created", seller=other_seller, data={})
    mine = list(
        WebhookDelivery.objects.filter(endpoint__datasource=seller)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    assert worker.webhook_delivery_claim(delivery_id=mine[0]) is not None
    assert worker.webhook_delivery_claim(delivery_id=mine[1]) is not None
    assert worker.webhook_delivery_claim(delivery_id=mine[2]) is None  # two in flight already
    theirs = WebhookDelivery.objects.get(endpoint__datasource=other_seller)
    assert worker.webhook_delivery_claim(delivery_id=theirs.pk) is not None
    assert WebhookDelivery.objects.get(pk=mine[2]).status == DeliveryStatus.PENDING


def test_the_sender_holding_an_endpoints_slot_drains_its_burst(
    endpoint, seller, receiver, settings
):
    """A burst to one endpoint: the tasks beyond its concurrency skip, so the sender that
    holds a slot goes on with the endpoint's due deliveries, oldest first, instead of leaving
    them to the sweep a few at a time."""
    settings.PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY = 1
    events = [
        services.webhook_event_emit(event_type="message.created", seller=seller, data={"n": n})
        for n in range(5)
    ]  # not dispatched: no commit callbacks run
    first = WebhookDelivery.objects.get(event=events[0])
    assert worker.webhook_delivery_send(delivery_id=first.pk) == "delivered"
    assert [r.headers["webhook-id"] for r in receiver.requests] == [
        e.message_id for e in events if e is not None
    ]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_failed_attempt_ends_the_run_and_leaves_the_rest_to_the_sweep(endpoint, seller, receiver):
    receiver.status = 503
    for n in range(3):
        services.webhook_event_emit(event_type="message.created", seller=seller, data={"n": n})
    first = WebhookDelivery.objects.order_by("id").first()
    assert first is not None
    assert worker.webhook_delivery_send(delivery_id=first.pk) == "retry"
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.filter(status="pending", attempts=0).count() == 2


def test_a_disabled_endpoint_is_not_sent_to(endpoint, seller, receiver):
    services.webhook_event_emit(event_type="message.created", seller=seller, data={})
    services.webhook_endpoint_update(endpoint=endpoint, is_active=False)
    delivery = WebhookDelivery.objects.get()
    assert worker.webhook_delivery_send(delivery_id=delivery.pk) == "skipped"
    assert worker.webhook_delivery_sweep() == 0
    services.webhook_endpoint_update(endpoint=endpoint, is_active=True)
    assert worker.webhook_delivery_sweep() == 1
    assert len(receiver.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_hanging_receiver_does_not_hold_up_another_endpoints_deliveries():
    """The embedded pool: 4 threads, at most 2 per endpoint. Ten deliveries to a receiver that
    never answers; the other seller's five arrive at once all the same (scenarios.py): held
    behind the hanging ones, they would wait out the 30 s timeout; the bound leaves a loaded
    machine room below that."""
    figures = scenario_run("hanging_receiver")
    assert figures["healthy_received"] == 5
    assert figures["healthy_seconds"] < 10
    assert figures["hanging_received"] == 2  # its share of the threads, no more
    assert figures["hanging_pending"] == 10
