"""Celery entry points of core; the logic is in the modules they name."""

from celery import shared_task

from parley.core.idempotency import idempotency_key_sweep as sweep


@shared_task(name="parley.core.tasks.idempotency_key_sweep", ignore_result=True)
def idempotency_key_sweep() -> int:
    return sweep()
