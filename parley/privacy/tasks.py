"""Celery entry points of privacy; the logic is in services."""

from celery import shared_task

from parley.privacy import services


@shared_task(name="parley.privacy.tasks.retention_apply", ignore_result=True)
def retention_apply() -> int:
    """The daily job (Celery beat): retention rules and expired privacy records."""
    return services.retention_apply().pk
