"""Reads of webhooks; every seller-facing read is scoped to the seller (another's is 404)."""

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound

from parley.catalog.models import DataSource
from parley.webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list_for_seller(datasource: DataSource) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(datasource=datasource).order_by("-created_date", "-id")


def webhook_endpoint_get_for_seller(datasource: DataSource, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, datasource=datasource).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


def webhook_delivery_list_for_endpoint(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """Newest first, each with its event's type and id, in one query per page."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .only(
            "id",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "endpoint_id",
            "event__event_type",
            "event__message_id",
        )
        .order_by("-created_at", "-id")
    )


def webhook_delivery_get_for_seller(
    datasource: DataSource, endpoint_id: int, delivery_id: int
) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.select_related("event", "endpoint")
        .filter(pk=delivery_id, endpoint_id=endpoint_id, endpoint__datasource=datasource)
        .first()
    )
    if delivery is None:
        raise NotFound()
    return delivery
