"""Celery entry points. They take ids and are safe to run twice; the logic is in the worker
(parley.mail.worker) and the public services."""

from celery import shared_task

from parley.mail import services, worker


@shared_task(name="parley.mail.tasks.email_send", acks_late=True, ignore_result=True)
def email_send(email_id: int) -> str:
    return worker.email_send(email_id=email_id)


@shared_task(name="parley.mail.tasks.email_sweep", ignore_result=True)
def email_sweep() -> int:
    return services.email_sweep()
