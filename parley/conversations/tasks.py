"""Celery entry points. They take ids and are safe to run twice; the logic is in services."""

from celery import shared_task

from parley.conversations import services


@shared_task(
    name="parley.conversations.tasks.question_vector_refresh", acks_late=True, ignore_result=True
)
def question_vector_refresh(conversation_id: int) -> bool:
    return services.question_vector_refresh(conversation_id=conversation_id)
