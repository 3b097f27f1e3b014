"""Celery entry points, on their own queue (PARLEY_WEBHOOK_QUEUE). They take ids and are safe
to run twice; the logic is in parley.webhooks.delivery."""

from celery import shared_task

from parley.webhooks import delivery


@shared_task(
    name="parley.webhooks.tasks.webhook_endpoint_deliver", acks_late=True, ignore_result=True
)
def webhook_endpoint_deliver(endpoint_id: int) -> int:
    return delivery.webhook_endpoint_deliver(endpoint_id=endpoint_id)


# Tasks of one delivery each, as queued before deliveries were handed over per endpoint: a
# worker upgraded with some still in its queue sends them (with their endpoint's others).
@shared_task(name="parley.webhooks.tasks.webhook_delivery_send", acks_late=True, ignore_result=True)
def webhook_delivery_send(delivery_id: int) -> str:
    return delivery.webhook_delivery_send(delivery_id=delivery_id)


@shared_task(name="parley.webhooks.tasks.webhook_delivery_sweep", ignore_result=True)
def webhook_delivery_sweep() -> int:
    return delivery.webhook_delivery_sweep()
