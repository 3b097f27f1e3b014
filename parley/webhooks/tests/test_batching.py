"""Batched delivery (docs/webhooks.md, "Delivery machinery"): a sender claims a batch of one
endpoint's due deliveries under one token, sends them in order and records them together;
the queries do not grow with the batch, two senders never send one delivery, a failure in
the middle records what was done and gives the rest back, and the events of one transaction
are handed over as one task per endpoint."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from parley.mail.models import OutgoingEmail
from parley.webhooks import delivery as worker
from parley.webhooks import services
from parley.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from parley.webhooks.tests.scenarios import scenario_run

pytestmark = pytest.mark.django_db


def _pending(seller, count):
    """`count` due deliveries, not handed over (the test's transaction never commits)."""
    return [
        services.webhook_event_emit(event_type="message.created", seller=seller, data={"n": n})
        for n in range(count)
    ]


def _rows(endpoint):
    return list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id"))


# Three batches: each a claim (savepoint, the endpoint's row locked, the UPDATE, release) and
# the claimed rows read with their events, then one UPDATE recording them; then a last claim
# that finds nothing due.
QUERIES_FOR_THREE_BATCHES = 3 * (4 + 1 + 1) + 4


@pytest.mark.parametrize("batch_size", [10, 40])
def test_the_queries_of_a_batch_do_not_grow_with_its_size(
    batch_size, endpoint, seller, receiver, settings, monkeypatch, django_assert_max_num_queries
):
    settings.PARLEY_WEBHOOK_BATCH_SIZE = batch_size
    # recording mid-batch (a batch slower than this) would add an UPDATE on a loaded machine
    monkeypatch.setattr(worker, "RECORD_EVERY_SECONDS", 3600.0)
    events = _pending(seller, 3 * batch_size)

    with django_assert_max_num_queries(QUERIES_FOR_THREE_BATCHES):
        delivered = worker.webhook_endpoint_deliver(endpoint_id=endpoint.pk)

    assert delivered == 3 * batch_size
    assert [r.headers["webhook-id"] for r in receiver.requests] == [
        e.message_id for e in events if e is not None
    ]  # oldest first
    rows = _rows(endpoint)
    assert {(row.status, row.attempts, row.last_status_code) for row in rows} == {
        ("delivered", 1, 200)
    }
    assert all(row.claim_token == "" and row.lease_expires_at is None for row in rows)
    # each row has its own times, not the batch's
    assert all(row.last_attempt_at and row.delivered_at for row in rows)
    assert all(row.last_attempt_at <= row.delivered_at for row in rows)
    assert len({row.delivered_at for row in rows}) > 1


def test_a_failure_in_the_middle_of_a_batch_records_the_ones_done_and_retries_the_rest(
    endpoint, seller, receiver
):
    receiver.status = lambda request: 500 if len(receiver.requests) == 3 else 200
    events = _pending(seller, 5)
    started = timezone.now()

    assert worker.webhook_endpoint_deliver(endpoint_id=endpoint.pk) == 2

    first, second, failed, *rest = _rows(endpoint)
    assert [(r.status, r.attempts, r.last_status_code) for r in (first, second)] == [
        ("delivered", 1, 200),
        ("delivered", 1, 200),
    ]
    assert (failed.status, failed.attempts, failed.last_status_code) == ("pending", 1, 500)
    assert failed.next_attempt_at is not None
    assert 4.0 <= (failed.next_attempt_at - started).total_seconds() <= 6.5  # its schedule
    # the rest were not attempted: given back as they were, due now, the attempt uncounted
    for row in rest:
        assert (row.status, row.attempts, row.last_status_code) == ("pending", 0, None)
        assert (row.claim_token, row.lease_expires_at, row.last_attempt_at) == ("", None, None)
        assert row.next_attempt_at is not None and row.next_attempt_at <= timezone.now()
    assert len(receiver.requests) == 3

    # The next run sends the rest; the failed one waits for its time, then goes too.
    receiver.status = 200
    assert worker.webhook_endpoint_deliver(endpoint_id=endpoint.pk) == 2
    WebhookDelivery.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
    assert worker.webhook_endpoint_deliver(endpoint_id=endpoint.pk) == 1
    assert {(r.status, r.attempts) for r in _rows(endpoint)} == {
        ("delivered", 1),
        ("delivered", 2),
    }
    assert sorted(receiver.accepted.items()) == sorted(
        (e.message_id, 1) for e in events if e is not None
    )  # every webhook-id accepted once


def test_a_410_in_the_middle_of_a_batch_disables_the_endpoint_and_keeps_the_rest(
    endpoint, seller, receiver
):
    receiver.status = lambda request: 410 if len(receiver.requests) == 2 else 200
    _pending(seller, 4)

    assert worker.webhook_endpoint_deliver(endpoint_id=endpoint.pk) == 1

    assert [(r.status, r.attempts) for r in _rows(endpoint)] == [
        ("delivered", 1),
        ("failed", 1),
        ("pending", 0),
        ("pending", 0),
    ]
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.disabled_reason) == (False, "endpoint_gone")
    assert OutgoingEmail.objects.filter(kind="webhook_endpoint_disabled").count() == 1
    assert worker.webhook_endpoint_deliver(endpoint_id=endpoint.pk) == 0  # off: nothing sent
    assert len(receiver.requests) == 2


def test_batches_are_the_oldest_due_and_each_sender_holds_one_slot(
    loopback, seller, receiver, settings
):
    from parley.catalog.tests.factories import DataSourceFactory

    settings.PARLEY_WEBHOOK_BATCH_SIZE = 3
    settings.PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY = 2
    endpoint = services.webhook_endpoint_create(datasource=seller, url=receiver.url)
    other = services.webhook_endpoint_create(
        datasource=DataSourceFactory.create(), url=receiver.url
    )
    _pending(seller, 8)
    _pending(other.datasource, 1)
    ids = [row.pk for row in _rows(endpoint)]

    first = worker.webhook_batch_claim(endpoint_id=endpoint.pk)
    second = worker.webhook_batch_claim(endpoint_id=endpoint.pk)
    assert first is not None and second is not None
    assert [d.pk for d in first.deliveries] == ids[:3]
    assert [d.pk for d in second.deliveries] == ids[3:6]
    assert first.token != second.token
    # two senders hold the endpoint's two slots: a third is refused, two due rows wait
    assert worker.webhook_batch_claim(endpoint_id=endpoint.pk) is None
    assert WebhookDelivery.objects.filter(pk__in=ids[6:], status="pending").count() == 2
    # another endpoint is not held up
    assert worker.webhook_batch_claim(endpoint_id=other.pk) is not None
    # a sender that finishes frees its slot
    assert len(worker.webhook_batch_send(first)) == 3
    third = worker.webhook_batch_claim(endpoint_id=endpoint.pk)
    assert third is not None and [d.pk for d in third.deliveries] == ids[6:]


def test_a_sender_whose_lease_ran_out_sends_nothing_another_took(
    endpoint, seller, receiver, settings
):
    """A sender paused past its lease (the lease is renewed before a request could outlive
    it): another took the batch over, and the renewal tells the first to stand down."""
    settings.PARLEY_WEBHOOK_BATCH_SIZE = 4
    _pending(seller, 4)
    late = worker.webhook_batch_claim(endpoint_id=endpoint.pk)
    assert late is not None
    past = timezone.now() - timedelta(seconds=1)
    WebhookDelivery.objects.update(lease_expires_at=past)
    late.lease_expires_at = past
    taker = worker.webhook_batch_claim(endpoint_id=endpoint.pk)
    assert taker is not None
    assert [d.pk for d in taker.deliveries] == [d.pk for d in late.deliveries]

    assert worker.webhook_batch_send(late) == []
    assert receiver.requests == []
    assert [a.outcome for a in worker.webhook_batch_send(taker)] == ["delivered"] * 4
    assert set(receiver.accepted.values()) == {1}
    assert {(r.status, r.attempts) for r in _rows(endpoint)} == {("delivered", 2)}


def test_a_full_batch_calls_one_helper_and_a_run_out_of_time_hands_over_the_rest(
    endpoint, seller, receiver, settings, monkeypatch
):
    settings.PARLEY_WEBHOOK_SEND_IN_THREAD = True  # handed over, not inline as in the tests
    settings.PARLEY_WEBHOOK_BATCH_SIZE = 2
    handed_over = mock.Mock()
    monkeypatch.setattr(worker, "webhook_endpoint_dispatch", handed_over)
    _pending(seller, 5)

    assert worker.webhook_endpoint_deliver(endpoint_id=endpoint.pk) == 5
    # the first full batch called a helper for the endpoint's second slot, once a run
    assert handed_over.call_args_list == [mock.call(endpoint_ids=[endpoint.pk])]

    handed_over.reset_mock()
    monkeypatch.setattr(worker, "RUN_SECONDS", 0.0)
    _pending(seller, 5)
    assert worker.webhook_endpoint_deliver(endpoint_id=endpoint.pk) == 1
    # one sent, the batch's other given back, and the endpoint handed over to go on
    assert handed_over.call_args_list == [mock.call(endpoint_ids=[endpoint.pk])] * 2
    assert WebhookDelivery.objects.filter(status="pending", attempts=0).count() == 4


def test_the_events_of_one_transaction_are_one_hand_over_per_endpoint(
    endpoint, seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        _pending(seller, 5)
        services.webhook_event_emit(event_type="conversation.created", seller=seller, data={})
    [hand_over] = callbacks
    with mock.patch.object(worker, "webhook_endpoint_dispatch") as dispatch:
        hand_over()
    dispatch.assert_called_once_with(endpoint_ids=[endpoint.pk])


def test_a_hand_over_dropped_with_a_savepoint_is_not_counted_on(
    endpoint, seller, django_capture_on_commit_callbacks
):
    """The events after a rolled-back savepoint register their own hand-over: the one that
    went with the savepoint never runs."""
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            _pending(seller, 1)
            raise RuntimeError("the inner change failed")
        _pending(seller, 1)
    [hand_over] = callbacks
    with mock.patch.object(worker, "webhook_endpoint_dispatch") as dispatch:
        hand_over()
    dispatch.assert_called_once_with(endpoint_ids=[endpoint.pk])
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 1


def test_a_hand_over_of_an_endpoint_deleted_meanwhile_sends_nothing(endpoint, seller, receiver):
    _pending(seller, 2)
    endpoint_id = endpoint.pk
    WebhookEndpoint.objects.filter(pk=endpoint_id).delete()
    assert worker.webhook_endpoint_deliver(endpoint_id=endpoint_id) == 0
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_senders_racing_for_one_endpoint_never_send_a_delivery_twice():
    """Four workers drain one endpoint's 120 deliveries at the same moment, in batches of 10:
    each delivery is claimed by one of them and sent once (PostgreSQL in this process; SQLite
    in a child process on a file database, scenarios.py)."""
    figures = scenario_run("senders_race", senders=4, deliveries=120, batch_size=10)
    assert sum(figures["delivered_by_each"]) == 120
    assert sum(1 for sent in figures["delivered_by_each"] if sent) >= 2  # they did race
    assert figures["requests"] == 120
    assert figures["distinct_webhook_ids"] == 120
    assert figures["most_accepted_of_one_id"] == 1
    assert figures["rows"] == [["delivered", 1]]
