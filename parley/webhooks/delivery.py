"""The webhook worker: claims a batch of one endpoint's due deliveries with a lease, signs and
POSTs them one after another over a kept-alive connection, records the answers in one UPDATE.

The machinery is the mail outbox's (parley/mail/services.py): rows written in the transaction
of the change, handed over after the commit, claimed by one conditional UPDATE so two workers
never send one row, retried through `next_attempt_at`, and swept again (`webhook_delivery_sweep`,
every PARLEY_WEBHOOK_SWEEP_INTERVAL_SECONDS) when due or when a worker's lease ran out.

Work is handed over per endpoint, not per delivery: a task (`webhook_endpoint_deliver`) claims
up to PARLEY_WEBHOOK_BATCH_SIZE of the endpoint's oldest due deliveries under one claim token,
sends them in order, and claims the next batch while the endpoint keeps answering. A claim
token is one sender, and at most PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY senders hold tokens of
one endpoint at once, so at most that many requests to it are in flight (docs/webhooks.md).

Isolation (docs/webhooks.md): webhooks have their own Celery queue and worker process, so they
never wait behind e-mail nor e-mail behind them; in the embedded default they have their own
thread pool. Either way a hanging receiver holds at most its concurrency's worth of the
worker's threads, and the others keep delivering.
"""

import functools
import logging
import random
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, router, transaction
from django.db.models import Count, F, Q
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
# A sender stops claiming (and sending) after this long and hands the endpoint to the queue
# again, so that a worker's warm shutdown never waits on a long run.
RUN_SECONDS = 10.0
# Outcomes are recorded at the end of a batch, or sooner once this long has passed since the
# last record, so that a worker killed mid-batch sends again at most this long's worth.
RECORD_EVERY_SECONDS = 1.0


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


def _deliver_in_pool(endpoint_id: int) -> None:
    try:
        webhook_endpoint_deliver(endpoint_id=endpoint_id)
    except Exception:
        logger.exception("webhook endpoint %s: delivery failed in the pool", endpoint_id)
    finally:
        close_old_connections()


def _dispatch_is_inline() -> bool:
    """The tests' mode: a hand-off runs the sender at once, in the caller."""
    return settings.CELERY_TASK_ALWAYS_EAGER and not settings.PARLEY_WEBHOOK_SEND_IN_THREAD


# After a failed hand-off, skip the broker for a few seconds (as the mail outbox does): the
# rows are committed either way and the sweep hands them over later.
BROKER_BACKOFF_SECONDS = 5.0
_broker_down_until = 0.0


def webhook_endpoint_dispatch(*, endpoint_ids: Iterable[int]) -> None:
    """Hand endpoints with due deliveries to the worker, one task each. Never raises: a
    delivery not handed over stays pending and the sweep sends it."""
    global _broker_down_until
    endpoint_ids = list(dict.fromkeys(endpoint_ids))
    if settings.CELERY_TASK_ALWAYS_EAGER:
        if settings.PARLEY_WEBHOOK_SEND_IN_THREAD:
            pool = _embedded_pool()
            for endpoint_id in endpoint_ids:
                pool.submit(_deliver_in_pool, endpoint_id)
        else:  # the tests: inline, right after the commit
            for endpoint_id in endpoint_ids:
                webhook_endpoint_deliver(endpoint_id=endpoint_id)
        return
    from parley.webhooks.tasks import webhook_endpoint_deliver as task

    if time.monotonic() < _broker_down_until:
        return
    try:
        for endpoint_id in endpoint_ids:
            task.apply_async((endpoint_id,), queue=settings.PARLEY_WEBHOOK_QUEUE)
    except Exception:
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.exception("webhook deliveries not handed to the worker; the sweep will send them")


# --- Claim ----------------------------------------------------------------------------------


def _due_q(now: Any) -> Q:
    pending_due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    lease_lost = Q(status=DeliveryStatus.SENDING, lease_expires_at__lt=now)
    return (pending_due | lease_lost) & Q(endpoint__is_active=True)


@functools.cache
def _claim_sql(alias: str, *, one: bool) -> str:
    quote = connections[alias].ops.quote_name
    table = quote(WebhookDelivery._meta.db_table)
    due = "((status = %s AND next_attempt_at <= %s) OR (status = %s AND lease_expires_at < %s))"
    # The endpoint's oldest due deliveries, taken while it holds fewer senders (distinct
    # claim tokens with a live lease) than its concurrency. The due test is repeated outside
    # the subquery so that PostgreSQL checks it again on a row another statement changed.
    return (
        f"UPDATE {table} SET status = %s, attempts = attempts + 1, lease_expires_at = %s, "  # noqa: S608
        f"claim_token = %s WHERE id IN (SELECT id FROM {table} WHERE endpoint_id = %s AND "
        f"{due}{' AND id = %s' if one else ''} ORDER BY next_attempt_at, id LIMIT %s) "
        f"AND {due} AND (SELECT COUNT(DISTINCT claim_token) FROM {table} AS inflight WHERE "
        "inflight.endpoint_id = %s AND inflight.status = %s AND inflight.lease_expires_at >= %s"
        ") < %s"
    )


@dataclass
class Claim:
    """A sender's batch: deliveries of one endpoint taken under one claim token."""

    token: str
    endpoint: WebhookEndpoint
    deliveries: list[WebhookDelivery]
    lease_expires_at: datetime
    limit: int

    @property
    def full(self) -> bool:
        return len(self.deliveries) >= self.limit


def _claim(*, endpoint_id: int | None, delivery_id: int | None, limit: int) -> Claim | None:
    now = timezone.now()
    alias = router.db_for_write(WebhookDelivery)
    at = connections[alias].ops.adapt_datetimefield_value
    token = uuid.uuid4().hex
    lease_expires_at = now + timedelta(seconds=settings.PARLEY_WEBHOOK_LEASE_SECONDS)
    due = [
        DeliveryStatus.PENDING.value,
        at(now),
        DeliveryStatus.SENDING.value,
        at(now),
    ]
    # The endpoint's row is locked while its senders are counted and this one claims, so
    # that claims racing for one endpoint take turns and the limit holds (in READ COMMITTED
    # each statement sees the claims committed before it; SQLite's IMMEDIATE transactions
    # take turns anyway).
    with transaction.atomic(using=alias):
        endpoints = WebhookEndpoint.objects.using(alias).select_for_update(of=("self",))
        endpoints = endpoints.filter(is_active=True).only(
            "url", "secret", "previous_secret", "previous_secret_expires_at"
        )
        if delivery_id is not None:
            endpoints = endpoints.filter(deliveries__pk=delivery_id)
        if endpoint_id is not None:
            endpoints = endpoints.filter(pk=endpoint_id)
        endpoint = endpoints.first()
        if endpoint is None:
            return None
        with connections[alias].cursor() as cursor:
            cursor.execute(
                _claim_sql(alias, one=delivery_id is not None),
                [
                    DeliveryStatus.SENDING.value,
                    at(lease_expires_at),
                    token,
                    endpoint.pk,
                    *due,
                    *([delivery_id] if delivery_id is not None else []),
                    limit,
                    *due,
                    endpoint.pk,
                    DeliveryStatus.SENDING.value,
                    at(now),
                    settings.PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY,
                ],
            )
            if cursor.rowcount < 1:
                return None
    deliveries = list(
        WebhookDelivery.objects.using(alias)
        .select_related("event")
        .filter(endpoint_id=endpoint.pk, status=DeliveryStatus.SENDING, claim_token=token)
        .order_by("next_attempt_at", "id")
    )
    for delivery in deliveries:
        delivery.endpoint = endpoint
    return Claim(token, endpoint, deliveries, lease_expires_at, limit)


def webhook_batch_claim(*, endpoint_id: int, limit: int | None = None) -> Claim | None:
    """Take up to `limit` (PARLEY_WEBHOOK_BATCH_SIZE) of the endpoint's due deliveries,
    oldest first, under one claim token; None when none is due, the endpoint is off or it
    already has its concurrency's worth of senders."""
    return _claim(
        endpoint_id=endpoint_id,
        delivery_id=None,
        limit=limit or settings.PARLEY_WEBHOOK_BATCH_SIZE,
    )


def webhook_delivery_claim(*, delivery_id: int) -> WebhookDelivery | None:
    """Take one due delivery for sending (a batch of one), with its event and endpoint; None
    if it is not due, another worker holds it, its endpoint is off, or its endpoint is at its
    concurrency."""
    claim = _claim(endpoint_id=None, delivery_id=delivery_id, limit=1)
    return claim.deliveries[0] if claim is not None and claim.deliveries else None


# --- Outcomes -------------------------------------------------------------------------------


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


@dataclass
class Attempt:
    delivery: WebhookDelivery
    result: AttemptResult
    started_at: datetime
    finished_at: datetime
    outcome: str = ""  # delivered, retry, gone, failed (set when recorded)
    fields: dict[str, Any] = field(default_factory=dict)


def _outcome(attempt: Attempt) -> None:
    """What the attempt makes of its delivery: `outcome` and the fields to write."""
    delivery, result = attempt.delivery, attempt.result
    common = {"last_attempt_at": attempt.started_at, "last_status_code": result.status_code}
    if result.delivered:
        attempt.outcome = "delivered"
        attempt.fields = {
            **common,
            "status": DeliveryStatus.DELIVERED,
            "delivered_at": attempt.finished_at,
            "next_attempt_at": None,
            "last_error": "",
        }
        return
    error = result.error[:500]
    delay = (
        None
        if result.status_code == 410
        else retry_delay_seconds(delivery.attempts, result.retry_after_seconds)
    )
    if delay is None:
        attempt.outcome = "gone" if result.status_code == 410 else "failed"
        attempt.fields = {
            **common,
            "status": DeliveryStatus.FAILED,
            "next_attempt_at": None,
            "last_error": error,
        }
        return
    attempt.outcome = "retry"
    attempt.fields = {
        **common,
        "status": DeliveryStatus.PENDING,
        "next_attempt_at": attempt.finished_at + timedelta(seconds=delay),
        "last_error": error,
    }
    logger.info(
        "webhook delivery %s attempt %s failed (%s), retry in %.0f s",
        delivery.pk,
        delivery.attempts,
        error,
        delay,
    )


def _owned(claim: Claim, ids: Iterable[int]) -> Any:
    return WebhookDelivery.objects.filter(
        pk__in=list(ids),
        endpoint_id=claim.endpoint.pk,
        status=DeliveryStatus.SENDING,
        claim_token=claim.token,
    )


@functools.lru_cache(maxsize=256)
def _delivered_sql(alias: str, rows: int, one_code: bool) -> str:
    """The UPDATE that marks `rows` deliveries of one sender delivered, each with its own
    times (and status code, unless `one_code`). Hand-written: the ORM's CASE expressions of
    a batch cost the worker more than the batch's requests (docs/PERFORMANCE.md)."""
    quote = connections[alias].ops.quote_name
    table = quote(WebhookDelivery._meta.db_table)
    each = "CASE id" + " WHEN %s THEN %s" * rows + " END"
    return (
        f"UPDATE {table} SET status = %s, delivered_at = {each}, last_attempt_at = {each}, "  # noqa: S608
        f"last_status_code = {'%s' if one_code else each}, next_attempt_at = NULL, "
        "last_error = '', lease_expires_at = NULL, claim_token = '' WHERE endpoint_id = %s "
        f"AND status = %s AND claim_token = %s AND id IN ({', '.join(['%s'] * rows)})"
    )


def _record_delivered(claim: Claim, attempts: list[Attempt]) -> None:
    alias = router.db_for_write(WebhookDelivery)
    at = connections[alias].ops.adapt_datetimefield_value
    codes = {attempt.result.status_code for attempt in attempts}
    one_code = len(codes) == 1
    params: list[Any] = [DeliveryStatus.DELIVERED.value]
    for moment in ("finished_at", "started_at"):
        for attempt in attempts:
            params += [attempt.delivery.pk, at(getattr(attempt, moment))]
    if one_code:
        params.append(codes.pop())
    else:
        for attempt in attempts:
            params += [attempt.delivery.pk, attempt.result.status_code]
    params += [claim.endpoint.pk, DeliveryStatus.SENDING.value, claim.token]
    params += [attempt.delivery.pk for attempt in attempts]
    with connections[alias].cursor() as cursor:
        cursor.execute(_delivered_sql(alias, len(attempts), one_code), params)


def _record(claim: Claim, attempts: list[Attempt], *, release: list[WebhookDelivery]) -> None:
    """Write the attempts' outcomes, conditional on the claim token (a row another sender
    took over after a lost lease is not overwritten): the delivered ones in one UPDATE, a
    failed one (the last: a failure ends a batch) in another; and give back the deliveries
    of the batch that were not attempted, pending again as they were, with the attempt the
    claim counted taken back. One transaction when there is more than one statement."""
    for attempt in attempts:
        _outcome(attempt)
    delivered = [attempt for attempt in attempts if attempt.outcome == "delivered"]
    failed = [attempt for attempt in attempts if attempt.outcome != "delivered"]
    statements: list[Any] = []
    if delivered:
        statements.append(functools.partial(_record_delivered, claim, delivered))
    for attempt in failed:
        statements.append(
            functools.partial(
                _owned(claim, [attempt.delivery.pk]).update,
                lease_expires_at=None,
                claim_token="",
                **attempt.fields,
            )
        )
    if release:
        statements.append(
            functools.partial(
                _owned(claim, (delivery.pk for delivery in release)).update,
                status=DeliveryStatus.PENDING,
                attempts=F("attempts") - 1,
                lease_expires_at=None,
                claim_token="",
            )
        )
    if len(statements) == 1:
        statements[0]()
    elif statements:
        with transaction.atomic():
            for statement in statements:
                statement()
    for attempt in failed:
        if attempt.outcome == "gone":
            webhook_endpoint_disable(
                endpoint_id=claim.endpoint.pk,
                reason=DisabledReason.GONE,
                detail=f"it answered 410 Gone to event {attempt.delivery.event.message_id}.",
            )
        elif attempt.outcome == "failed":
            webhook_endpoint_disable(
                endpoint_id=claim.endpoint.pk,
                reason=DisabledReason.FAILING,
                detail=f"event {attempt.delivery.event.message_id} failed "
                f"{attempt.delivery.attempts} attempts, the last with: "
                f"{attempt.result.error[:500] or 'no answer'}.",
            )


def _lease_renew(claim: Claim, unsent: list[WebhookDelivery]) -> bool:
    """Extend the lease of the batch's unsent deliveries; False if another sender took any
    of them (this one was too slow: it must not send them)."""
    lease_expires_at = timezone.now() + timedelta(seconds=settings.PARLEY_WEBHOOK_LEASE_SECONDS)
    renewed = _owned(claim, (d.pk for d in unsent)).update(lease_expires_at=lease_expires_at)
    claim.lease_expires_at = lease_expires_at
    return renewed == len(unsent)


# --- Sending --------------------------------------------------------------------------------


def _post(claim: Claim, delivery: WebhookDelivery) -> Attempt:
    event = delivery.event
    started_at = timezone.now()
    headers = {
        "content-type": "application/json",
        "webhook-id": event.message_id,
        "webhook-timestamp": str(int(started_at.timestamp())),
        "webhook-signature": signature_header(
            secrets_in_force=secrets_in_force(claim.endpoint, now=started_at),
            message_id=event.message_id,
            timestamp=started_at,
            body=event.body,
        ),
    }
    result = webhook_post(url=claim.endpoint.url, headers=headers, body=event.body.encode())
    return Attempt(delivery, result, started_at, timezone.now())


def webhook_batch_send(claim: Claim, *, deadline: float = float("inf")) -> list[Attempt]:
    """Send the batch in order until one is not delivered or the run's time is up; record as
    it goes (at the end, or every RECORD_EVERY_SECONDS). Answers every attempt made."""
    made: list[Attempt] = []
    unrecorded: list[Attempt] = []
    recorded_at = time.monotonic()
    # The lease is renewed when less than a request's timeout remains (or less than half
    # the lease, should the lease be the shorter: it cannot cover every request then).
    renew_below = timedelta(
        seconds=min(
            settings.PARLEY_WEBHOOK_TIMEOUT_SECONDS, settings.PARLEY_WEBHOOK_LEASE_SECONDS / 2
        )
    )
    deliveries = claim.deliveries
    for position, delivery in enumerate(deliveries):
        rest = deliveries[position:]
        if position and time.monotonic() > deadline:
            _record(claim, unrecorded, release=rest)
            return made
        # Never start a request that could outlive the lease: another sender could take the
        # delivery meanwhile and send it too.
        if claim.lease_expires_at - timezone.now() < renew_below and not _lease_renew(claim, rest):
            _record(claim, unrecorded, release=rest)
            return made
        attempt = _post(claim, delivery)
        made.append(attempt)
        unrecorded.append(attempt)
        if not attempt.result.delivered:  # a failure ends the run; the rest wait
            _record(claim, unrecorded, release=deliveries[position + 1 :])
            return made
        if time.monotonic() - recorded_at > RECORD_EVERY_SECONDS and position + 1 < len(deliveries):
            _record(claim, unrecorded, release=[])
            unrecorded, recorded_at = [], time.monotonic()
    _record(claim, unrecorded, release=[])
    return made


def _endpoint_deliver(endpoint_id: int) -> dict[int, str]:
    inline = _dispatch_is_inline()
    deadline = float("inf") if inline else time.monotonic() + RUN_SECONDS
    outcomes: dict[int, str] = {}
    helped = inline
    while True:
        claim = webhook_batch_claim(endpoint_id=endpoint_id)
        if claim is None:
            return outcomes
        if claim.full and not helped:
            # More may be due: another sender can take the next batch beside this one, up
            # to the endpoint's concurrency (it finds the endpoint full otherwise, and ends).
            # Once a run: a sender that ends hands over again if more is due.
            webhook_endpoint_dispatch(endpoint_ids=[endpoint_id])
            helped = True
        made = webhook_batch_send(claim, deadline=deadline)
        outcomes.update((attempt.delivery.pk, attempt.outcome) for attempt in made)
        if not made or made[-1].outcome != "delivered":
            return outcomes  # a failure ends the run; its lease lost: another sender has it
        if len(made) < len(claim.deliveries) or (claim.full and time.monotonic() > deadline):
            webhook_endpoint_dispatch(endpoint_ids=[endpoint_id])  # time is up: go on later
            return outcomes
        if not claim.full:
            return outcomes


def webhook_endpoint_deliver(*, endpoint_id: int) -> int:
    """Send the endpoint's due deliveries, oldest first, batch after batch while it answers
    2xx; answers how many were delivered. Safe to run twice and beside other senders: each
    batch is claimed under its own token, and a delivered, failed, not-due or claimed row is
    left alone. A failed attempt ends the run: a failing endpoint is tried again only as its
    deliveries' schedules come due (the sweep)."""
    outcomes = _endpoint_deliver(endpoint_id)
    return sum(1 for outcome in outcomes.values() if outcome == "delivered")


def webhook_delivery_send(*, delivery_id: int) -> str:
    """Send a delivery's endpoint its due deliveries and answer what became of this one:
    delivered, retry, gone, failed, or skipped (not sent: not due, claimed by another
    sender, its endpoint off or at its concurrency)."""
    endpoint_id = (
        WebhookDelivery.objects.filter(pk=delivery_id).values_list("endpoint_id", flat=True).first()
    )
    if endpoint_id is None:
        return "skipped"
    return _endpoint_deliver(endpoint_id).get(delivery_id, "skipped")


def webhook_delivery_sweep() -> int:
    """Hand over every active endpoint with due deliveries (pending past their time, or
    sending past their lease) and a free sender's slot; answers how many endpoints."""
    now = timezone.now()
    due = list(
        WebhookDelivery.objects.filter(_due_q(now))
        .order_by()
        .values_list("endpoint_id", flat=True)
        .distinct()[:SWEEP_BATCH]
    )
    if not due:
        return 0
    senders = dict(
        WebhookDelivery.objects.filter(
            endpoint_id__in=due, status=DeliveryStatus.SENDING, lease_expires_at__gte=now
        )
        .order_by()
        .values("endpoint_id")
        .annotate(senders=Count("claim_token", distinct=True))
        .values_list("endpoint_id", "senders")
    )
    cap = settings.PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY
    chosen = [endpoint_id for endpoint_id in due if senders.get(endpoint_id, 0) < cap]
    webhook_endpoint_dispatch(endpoint_ids=chosen)
    return len(chosen)
