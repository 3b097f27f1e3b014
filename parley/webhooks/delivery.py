"""The webhook worker: claims a delivery with a lease, signs it, POSTs it, records the answer.

The machinery is the mail outbox's (parley/mail/services.py): rows written in the transaction
of the change, handed over after the commit, claimed by one conditional UPDATE so two workers
never send one row, retried through `next_attempt_at`, and swept again (`webhook_delivery_sweep`,
every PARLEY_WEBHOOK_SWEEP_INTERVAL_SECONDS) when due or when a worker's lease ran out.

Isolation (docs/webhooks.md): webhooks have their own Celery queue and worker process, so they
never wait behind e-mail nor e-mail behind them; in the embedded default they have their own
thread pool. Either way, at most PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY deliveries to one
endpoint are in flight at once (the claim counts them), so a hanging receiver holds at most
that many of the worker's threads, and the others keep delivering.
"""

import functools
import logging
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from parley.webhooks.models import (
    DeliveryStatus,
    DisabledReason,
    WebhookDelivery,
    WebhookEndpoint,
)
from parley.webhooks.sender import AttemptResult, webhook_post
from parley.webhooks.services import secrets_in_force, webhook_endpoint_disable
from parley.webhooks.signing import signature_header

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
RETRY_AFTER_MAX_SECONDS = 3600.0
JITTER = 0.2


# --- Hand-off -------------------------------------------------------------------------------

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _embedded_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.PARLEY_WEBHOOK_WORKER_THREADS,
                thread_name_prefix="parley-webhook",
            )
        return _pool


def _send_in_pool(delivery_id: int) -> None:
    try:
        webhook_delivery_send(delivery_id=delivery_id)
    except Exception:
        logger.exception("webhook delivery %s: send failed in the pool", delivery_id)
    finally:
        close_old_connections()


# After a failed hand-off, skip the broker for a few seconds (as the mail outbox does): the
# rows are committed either way and the sweep hands them over later.
BROKER_BACKOFF_SECONDS = 5.0
_broker_down_until = 0.0


def webhook_delivery_dispatch(*, delivery_ids: list[int]) -> None:
    """Hand deliveries to the worker. Never raises: a delivery not handed over stays pending
    and the sweep sends it."""
    global _broker_down_until
    if settings.CELERY_TASK_ALWAYS_EAGER:
        if settings.PARLEY_WEBHOOK_SEND_IN_THREAD:
            pool = _embedded_pool()
            for delivery_id in delivery_ids:
                pool.submit(_send_in_pool, delivery_id)
        else:  # the tests: inline, right after the commit
            for delivery_id in delivery_ids:
                webhook_delivery_send(delivery_id=delivery_id)
        return
    from parley.webhooks.tasks import webhook_delivery_send as task

    if time.monotonic() < _broker_down_until:
        return
    try:
        for delivery_id in delivery_ids:
            task.apply_async((delivery_id,), queue=settings.PARLEY_WEBHOOK_QUEUE)
    except Exception:
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.exception("webhook deliveries not handed to the worker; the sweep will send them")


# --- Claim and marks ------------------------------------------------------------------------


def _due_q(now: Any) -> Q:
    pending_due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    lease_lost = Q(status=DeliveryStatus.SENDING, lease_expires_at__lt=now)
    return (pending_due | lease_lost) & Q(endpoint__is_active=True)


@functools.cache
def _claim_sql(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    table = quote(WebhookDelivery._meta.db_table)
    endpoints = quote(WebhookEndpoint._meta.db_table)
    # The endpoint must be active and hold fewer than its share of deliveries in flight.
    return (
        f"UPDATE {table} SET status = %s, attempts = attempts + 1, lease_expires_at = %s, "  # noqa: S608
        "claim_token = %s, last_attempt_at = %s WHERE id = %s AND ((status = %s AND "
        "next_attempt_at <= %s) OR (status = %s AND lease_expires_at < %s)) "
        f"AND endpoint_id IN (SELECT id FROM {endpoints} WHERE is_active) "
        f"AND (SELECT COUNT(*) FROM {table} AS inflight WHERE inflight.endpoint_id = "
        f"{table}.endpoint_id AND inflight.status = %s AND inflight.lease_expires_at >= %s) < %s"
    )


def webhook_delivery_claim(*, delivery_id: int) -> WebhookDelivery | None:
    """Take one due delivery for sending, with its event and endpoint; None if it is not due,
    another worker holds it, its endpoint is off, or its endpoint is at its concurrency."""
    now = timezone.now()
    alias = router.db_for_write(WebhookDelivery)
    at = connections[alias].ops.adapt_datetimefield_value
    token = uuid.uuid4().hex
    lease = timedelta(seconds=settings.PARLEY_WEBHOOK_LEASE_SECONDS)
    # The endpoint's row is locked while its deliveries in flight are counted and this one is
    # claimed, so that claims racing for one endpoint take turns and the limit holds (in
    # READ COMMITTED each statement sees the claims committed before it; SQLite's IMMEDIATE
    # transactions take turns anyway).
    with transaction.atomic(using=alias):
        locked = list(
            WebhookEndpoint.objects.using(alias)
            .select_for_update(of=("self",))
            .filter(deliveries__pk=delivery_id)
            .values_list("pk", flat=True)
        )
        if not locked:
            return None
        with connections[alias].cursor() as cursor:
            cursor.execute(
                _claim_sql(alias),
                [
                    DeliveryStatus.SENDING.value,
                    at(now + lease),
                    token,
                    at(now),
                    delivery_id,
                    DeliveryStatus.PENDING.value,
                    at(now),
                    DeliveryStatus.SENDING.value,
                    at(now),
                    DeliveryStatus.SENDING.value,
                    at(now),
                    settings.PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY,
                ],
            )
            if cursor.rowcount != 1:
                return None
    return (
        WebhookDelivery.objects.select_related("event", "endpoint")
        .filter(pk=delivery_id, claim_token=token)
        .first()
    )


def retry_delay_seconds(attempts: int, retry_after: float | None = None) -> float | None:
    """Seconds before the next attempt after `attempts` failed ones, or None after the last:
    the §10 schedule with ±20 % jitter, and never sooner than a `Retry-After` (up to an hour)."""
    schedule = settings.PARLEY_WEBHOOK_RETRY_SCHEDULE_SECONDS
    if attempts > len(schedule):
        return None
    delay = float(schedule[attempts - 1]) * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_MAX_SECONDS))
    return delay


def _finish(delivery: WebhookDelivery, **fields: Any) -> bool:
    return (
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, claim_token=delivery.claim_token
        ).update(lease_expires_at=None, claim_token="", **fields)
        == 1
    )


def _record(delivery: WebhookDelivery, result: AttemptResult) -> str:
    now = timezone.now()
    if result.delivered:
        _finish(
            delivery,
            status=DeliveryStatus.DELIVERED,
            delivered_at=now,
            next_attempt_at=None,
            last_status_code=result.status_code,
            last_error="",
        )
        return "delivered"
    error = result.error[:500]
    if result.status_code == 410:
        _finish(
            delivery,
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            last_status_code=410,
            last_error=error,
        )
        webhook_endpoint_disable(
            endpoint_id=delivery.endpoint_id,
            reason=DisabledReason.GONE,
            detail=f"it answered 410 Gone to event {delivery.event.message_id}.",
        )
        return "gone"
    delay = retry_delay_seconds(delivery.attempts, result.retry_after_seconds)
    if delay is None:
        _finish(
            delivery,
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            last_status_code=result.status_code,
            last_error=error,
        )
        webhook_endpoint_disable(
            endpoint_id=delivery.endpoint_id,
            reason=DisabledReason.FAILING,
            detail=f"event {delivery.event.message_id} failed {delivery.attempts} attempts, "
            f"the last with: {error or 'no answer'}.",
        )
        return "failed"
    _finish(
        delivery,
        status=DeliveryStatus.PENDING,
        next_attempt_at=now + timedelta(seconds=delay),
        last_status_code=result.status_code,
        last_error=error,
    )
    logger.info(
        "webhook delivery %s attempt %s failed (%s), retry in %.0f s",
        delivery.pk,
        delivery.attempts,
        error,
        delay,
    )
    return "retry"


def _send_claimed(delivery: WebhookDelivery) -> str:
    event, endpoint = delivery.event, delivery.endpoint
    now = timezone.now()
    headers = {
        "content-type": "application/json",
        "webhook-id": event.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature_header(
            secrets_in_force=secrets_in_force(endpoint, now=now),
            message_id=event.message_id,
            timestamp=now,
            body=event.body,
        ),
    }
    result = webhook_post(url=endpoint.url, headers=headers, body=event.body.encode())
    return _record(delivery, result)


# A sender goes on with its endpoint's next due delivery, up to this many in one task; then it
# hands the next one to the queue, so that a worker's warm shutdown never waits on a long run.
CHAIN_LIMIT = 50


def _endpoint_next_claim(endpoint_id: int) -> WebhookDelivery | None:
    """Claim the endpoint's oldest due delivery that no other sender takes first; None when
    none is due or the endpoint is at its concurrency."""
    candidates = (
        WebhookDelivery.objects.filter(_due_q(timezone.now()), endpoint_id=endpoint_id)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[: 2 * settings.PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY]
    )
    for candidate in list(candidates):
        claimed = webhook_delivery_claim(delivery_id=candidate)
        if claimed is not None:
            return claimed
    return None


def webhook_delivery_send(*, delivery_id: int) -> str:
    """Send one delivery if it is due and, while the endpoint answers, its other due ones.
    Idempotent: a delivered, failed, not-due or claimed row is left alone; every try carries
    the same webhook-id and body. Answers what became of the delivery asked for.

    Going on with the endpoint's next delivery is what makes the per-endpoint limit cheap: a
    burst of events to one endpoint finds its slots taken and its tasks skip; the senders that
    hold the slots drain it at once instead of leaving it to the sweep, a few per interval. A
    failed attempt ends the run: a failing endpoint gets its deliveries from the sweep, at most
    its concurrency at a time, as their schedules come due."""
    delivery = webhook_delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return "skipped"
    endpoint_id = delivery.endpoint_id
    outcome = asked = _send_claimed(delivery)
    for _ in range(CHAIN_LIMIT):
        if outcome != "delivered":
            return asked
        following = _endpoint_next_claim(endpoint_id)
        if following is None:
            return asked
        outcome = _send_claimed(following)
    if outcome == "delivered":  # more may be due: the queue takes them on
        due = (
            WebhookDelivery.objects.filter(_due_q(timezone.now()), endpoint_id=endpoint_id)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:1]
        )
        webhook_delivery_dispatch(delivery_ids=list(due))
    return asked


def webhook_delivery_sweep() -> int:
    """Hand over every due delivery (pending past its time, or sending past its lease) of an
    active endpoint; no endpoint gets more than its concurrency's worth per sweep."""
    now = timezone.now()
    due = list(
        WebhookDelivery.objects.filter(_due_q(now))
        .order_by("next_attempt_at", "id")
        .values_list("pk", "endpoint_id")[:SWEEP_BATCH]
    )
    if not due:
        return 0
    in_flight = Counter(
        WebhookDelivery.objects.filter(
            endpoint_id__in={endpoint_id for _, endpoint_id in due},
            status=DeliveryStatus.SENDING,
            lease_expires_at__gte=now,
        ).values_list("endpoint_id", flat=True)
    )
    cap = settings.PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY
    chosen = []
    for delivery_id, endpoint_id in due:
        if in_flight[endpoint_id] < cap:
            in_flight[endpoint_id] += 1
            chosen.append(delivery_id)
    if settings.CELERY_TASK_ALWAYS_EAGER and not settings.PARLEY_WEBHOOK_SEND_IN_THREAD:
        for delivery_id in chosen:
            webhook_delivery_send(delivery_id=delivery_id)
    else:
        webhook_delivery_dispatch(delivery_ids=chosen)
    return len(chosen)
