"""Writes of webhooks: endpoints (the seller API and the admin), events, retries.

`webhook_event_emit` is the one way a feature tells integrators about a change: call it inside
the transaction of the change. It writes one delivery row per subscribed endpoint in that
transaction and hands the rows to the worker after the commit (`parley.webhooks.delivery`);
a rolled-back change sends nothing, and a committed one is delivered even if the process dies
right after the commit (the sweep finds the row).
"""

import logging
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, timedelta
from typing import Any

import orjson
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.catalog.models import DataSource
from parley.core.exceptions import ApplicationError
from parley.mail.services import email_queue, email_render
from parley.webhooks.models import (
    OPERATOR_EVENT_TYPES,
    SELLER_EVENT_TYPES,
    DeliveryStatus,
    DisabledReason,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from parley.webhooks.network import UnsafeDestination, url_check
from parley.webhooks.signing import secret_generate

logger = logging.getLogger(__name__)

MAX_ENDPOINTS_PER_SELLER = 5
SECRET_OVERLAP = timedelta(hours=24)
KIND_ENDPOINT_DISABLED = "webhook_endpoint_disabled"


# --- Endpoints ------------------------------------------------------------------------------


def event_types_validate(event_types: Iterable[Any], *, operator: bool) -> list[str]:
    """The distinct event types, in the order given; each must be one this kind of endpoint
    can receive (a seller's or an operator's)."""
    allowed = OPERATOR_EVENT_TYPES if operator else SELLER_EVENT_TYPES
    chosen: list[str] = []
    for event_type in event_types:
        if not isinstance(event_type, str) or event_type not in allowed:
            raise ApplicationError(
                _("Unknown event type %(type)r; choose from %(allowed)s.")
                % {"type": event_type, "allowed": ", ".join(allowed)},
                field="event_types",
            )
        if event_type not in chosen:
            chosen.append(event_type)
    if not chosen:
        raise ApplicationError(_("Subscribe to at least one event type."), field="event_types")
    return chosen


def webhook_url_validate(url: str) -> str:
    try:
        url_check(url)
    except UnsafeDestination as error:
        raise ApplicationError(str(error), field="url") from error
    return url


@transaction.atomic
def webhook_endpoint_create(
    *,
    datasource: DataSource | None,
    url: str,
    event_types: Iterable[str] | None = None,
    description: str = "",
) -> WebhookEndpoint:
    """Register an endpoint for a seller (or, with no seller, an operator endpoint). Its
    secret is on the returned instance, to be shown once. At most five per seller: the
    seller's row is locked while they are counted, so two requests cannot pass together."""
    operator = datasource is None
    types = event_types_validate(
        OPERATOR_EVENT_TYPES
        if event_types is None and operator
        else SELLER_EVENT_TYPES
        if event_types is None
        else event_types,
        operator=operator,
    )
    webhook_url_validate(url)
    if datasource is not None:
        DataSource.objects.select_for_update().filter(pk=datasource.pk).first()
        if (
            WebhookEndpoint.objects.filter(datasource=datasource).count()
            >= MAX_ENDPOINTS_PER_SELLER
        ):
            raise ApplicationError(
                _("A seller may register at most %(limit)d webhook endpoints.")
                % {"limit": MAX_ENDPOINTS_PER_SELLER}
            )
    return WebhookEndpoint.objects.create(
        datasource=datasource,
        url=url,
        event_types=types,
        description=description,
        secret=secret_generate(),
    )


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    event_types: Iterable[str] | None = None,
    is_active: bool | None = None,
    description: str | None = None,
) -> WebhookEndpoint:
    """Change what was given. Switching an endpoint off records that its owner did; switching
    it on clears whatever reason it was off for (its pending deliveries resume)."""
    changed = ["modified_date"]
    if url is not None:
        endpoint.url = webhook_url_validate(url)
        changed.append("url")
    if event_types is not None:
        endpoint.event_types = event_types_validate(event_types, operator=endpoint.is_operator)
        changed.append("event_types")
    if description is not None:
        endpoint.description = description
        changed.append("description")
    if is_active is not None and is_active != endpoint.is_active:
        endpoint.is_active = is_active
        endpoint.disabled_reason = "" if is_active else DisabledReason.OWNER
        changed += ["is_active", "disabled_reason"]
    endpoint.save(update_fields=changed)
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Gone with its deliveries; a delivery being sent right now finishes unrecorded."""
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_secret_rotate(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret signs from now on; the one it replaces signs too for 24 hours (two
    signatures), so the receiver can switch without losing a delivery. A secret older than
    the one replaced stops signing at once."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + SECRET_OVERLAP
    endpoint.secret = secret_generate()
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "modified_date"]
    )
    return endpoint


def webhook_endpoint_disable(*, endpoint_id: int, reason: str, detail: str) -> bool:
    """Switch an endpoint off because deliveries to it fail (410, or a last attempt), and
    e-mail its seller, in one transaction. Only the first caller does either: True if it did."""
    with transaction.atomic():
        switched = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).update(
            is_active=False, disabled_reason=reason, modified_date=timezone.now()
        )
        if not switched:
            return False
        endpoint = WebhookEndpoint.objects.select_related("datasource").get(pk=endpoint_id)
        logger.warning("webhook endpoint %s disabled (%s): %s", endpoint_id, reason, detail)
        _endpoint_disabled_notify(endpoint, detail)
    return True


def _endpoint_disabled_notify(endpoint: WebhookEndpoint, detail: str) -> None:
    seller = endpoint.datasource
    recipient = (seller.email or "").strip() if seller is not None else ""
    if not recipient:
        logger.error(
            "webhook endpoint %s (%s) disabled; no seller address to tell", endpoint.pk, endpoint
        )
        return
    context = {"endpoint": endpoint, "seller": seller, "detail": detail}
    text_body, html_body = email_render("webhooks/email/endpoint_disabled", context)
    try:
        email_queue(
            to=[recipient],
            subject=f"Your webhook endpoint #{endpoint.pk} was disabled",
            text_body=text_body,
            html_body=html_body,
            kind=KIND_ENDPOINT_DISABLED,
        )
    except ValidationError:
        logger.error("webhook endpoint %s disabled; %r is not an address", endpoint.pk, recipient)


def secrets_in_force(endpoint: WebhookEndpoint, *, now: Any = None) -> list[str]:
    """The secrets that sign now: the current one, and the replaced one during its overlap."""
    now = now or timezone.now()
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


# --- Events ---------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def webhook_event_emit(
    *,
    event_type: str,
    seller: DataSource | int | None = None,
    data: Mapping[str, Any],
) -> WebhookEvent | None:
    """Tell the endpoints subscribed to `event_type` about a change, in the caller's
    transaction: one event row and one delivery row per endpoint, sent after the commit.

    Seller events (conversation.created, message.created, message.hidden, conversation.read)
    go to that seller's active endpoints and need `seller`; operator events
    (contact_request.created, message.held) go to the operator endpoints staff registered.
    `data` holds ids only (thin payloads); `seller`'s id is added to it. Returns None when no
    endpoint listens: one query, nothing written.
    """
    seller_id = seller.pk if isinstance(seller, DataSource) else seller
    if event_type in SELLER_EVENT_TYPES:
        if seller_id is None:
            raise ValueError(f"{event_type} is a seller event: name the seller")
        owners = WebhookEndpoint.objects.filter(datasource_id=seller_id)
    elif event_type in OPERATOR_EVENT_TYPES:
        owners = WebhookEndpoint.objects.filter(datasource__isnull=True)
    else:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    endpoint_ids = [
        pk
        for pk, types in owners.filter(is_active=True).values_list("pk", "event_types")
        if event_type in types
    ]
    if not endpoint_ids:
        return None
    now = timezone.now()
    payload_data = dict(data)
    if seller_id is not None:
        payload_data["seller"] = seller_id
    body = orjson.dumps(
        {
            "type": event_type,
            "timestamp": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "data": payload_data,
        },
        default=_json_default,
    ).decode()
    with transaction.atomic():
        event = WebhookEvent.objects.create(
            message_id=f"msg_{uuid.uuid4().hex}",
            event_type=event_type,
            datasource_id=seller_id,
            body=body,
            created_at=now,
        )
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(event=event, endpoint_id=pk, created_at=now, next_attempt_at=now)
            for pk in endpoint_ids
        )
        _dispatch_on_commit([delivery.endpoint_id for delivery in deliveries])
    return event


class _EndpointsDispatch:
    """The commit callback that hands a transaction's endpoints to the worker: one per
    transaction however many events it emits, so a burst of events written together becomes
    one task per endpoint rather than one per event."""

    def __init__(self) -> None:
        self.endpoint_ids: dict[int, None] = {}
        self.ran = False

    def __call__(self) -> None:
        from parley.webhooks.delivery import webhook_endpoint_dispatch

        self.ran = True
        webhook_endpoint_dispatch(endpoint_ids=list(self.endpoint_ids))


def _dispatch_on_commit(endpoint_ids: list[int]) -> None:
    """Hand the endpoints over after the commit, joining the callback this transaction
    already registered if it is still to run. A callback still in the connection's list
    is safe to join: if a savepoint's rollback drops it, that rollback undoes the rows being
    handed over now too (Django drops the callbacks of every savepoint rolled back, and
    every savepoint open when it was registered is still open or released)."""
    connection = transaction.get_connection()
    pending: _EndpointsDispatch | None = getattr(connection, "_parley_webhook_dispatch", None)
    if (
        pending is None
        or pending.ran
        or not any(callback is pending for _, callback, _ in connection.run_on_commit)
    ):
        pending = _EndpointsDispatch()
        connection._parley_webhook_dispatch = pending
        transaction.on_commit(pending, robust=True)
    pending.endpoint_ids.update(dict.fromkeys(endpoint_ids))


@transaction.atomic
def webhook_delivery_retry(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now, with the same webhook-id and body, and a fresh round of
    attempts. Not while it is being sent, nor to a disabled endpoint (switch it on first)."""
    locked = (
        WebhookDelivery.objects.select_for_update()
        .select_related("endpoint", "event")
        .get(pk=delivery.pk)
    )
    if not locked.endpoint.is_active:
        raise ApplicationError(
            _("The endpoint is disabled; switch it on (is_active) before retrying.")
        )
    if locked.status == DeliveryStatus.SENDING and (
        locked.lease_expires_at is not None and locked.lease_expires_at > timezone.now()
    ):
        raise ApplicationError(_("This delivery is being sent right now."))
    locked.status = DeliveryStatus.PENDING
    locked.attempts = 0
    locked.next_attempt_at = timezone.now()
    locked.lease_expires_at = None
    locked.claim_token = ""
    locked.save(
        update_fields=["status", "attempts", "next_attempt_at", "lease_expires_at", "claim_token"]
    )
    _dispatch_on_commit([locked.endpoint_id])
    return locked
