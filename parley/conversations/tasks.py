"""Celery entry points. They take ids and are safe to run twice; the logic is in services."""

from typing import Any

from celery import shared_task

from parley.conversations import services


@shared_task(
    name="parley.conversations.tasks.question_vector_refresh", acks_late=True, ignore_result=True
)
def question_vector_refresh(conversation_id: int) -> bool:
    return services.question_vector_refresh(conversation_id=conversation_id)


@shared_task(
    name="parley.conversations.tasks.attachment_scan",
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=20,
)
def attachment_scan(self: Any, attachment_id: int) -> str:
    try:
        return services.attachment_scan(attachment_id=attachment_id)
    except services.AttachmentScanUnavailable as error:
        # clamd is down: try again with backoff; the sweep hands on what runs out of retries.
        raise self.retry(exc=error, countdown=min(60 * 2**self.request.retries, 3600)) from error


@shared_task(name="parley.conversations.tasks.attachment_sweep", ignore_result=True)
def attachment_sweep() -> int:
    return services.attachment_sweep()
