"""What webhooks hold about a customer (API.md §10, §11): nothing but ids, since payloads are
thin; and the retention of the delivery logs. See parley/core/privacy.py."""

from datetime import datetime

from parley.core.privacy import RetentionRule, no_personal_data, retention_register
from parley.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent


def _delivery_logs_expire(cutoff: datetime, files: list[str]) -> int:
    """Finished deliveries (delivered, or failed for good) older than
    RETENTION_WEBHOOK_DELIVERY_DAYS are deleted, then the events no delivery refers to any
    more; a delivery still being retried stays."""
    finished = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)
    deleted, _ = WebhookDelivery.objects.filter(created_at__lt=cutoff, status__in=finished).delete()
    WebhookEvent.objects.filter(created_at__lt=cutoff, deliveries__isnull=True).delete()
    return deleted


no_personal_data(
    WebhookEndpoint,
    "a seller's or staff's receiver: its URL, description and event types name no customer",
)
no_personal_data(
    WebhookEvent,
    "thin payloads: ids of conversations, messages, sellers and contact requests, never their "
    "text or a customer's name (API.md §10); expired with the delivery logs",
)
retention_register(
    RetentionRule(
        name="webhook_delivery_logs",
        setting="RETENTION_WEBHOOK_DELIVERY_DAYS",
        apply=_delivery_logs_expire,
    )
)
