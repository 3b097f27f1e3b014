"""The hand-off of a committed e-mail to the worker: a Celery task, or in the embedded mode a
thread beside the request, behind a small circuit breaker for a broker that is down."""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, transaction

from parley.mail.connection import kept_connection
from parley.mail.worker import email_send

logger = logging.getLogger("parley.mail.services")  # the outbox's one logger (docs/OPERATIONS.md)


class BrokerBreaker:
    """After a failed hand-off, requests skip the broker for a few seconds: the rows are
    committed either way and the sweep hands them over later, so nothing is lost, and no
    request pays a connection timeout while the broker is down. One per process
    (`broker_breaker`); the tests reset it between tests."""

    backoff_seconds = 5.0

    def __init__(self) -> None:
        self.down_until = 0.0

    def trip(self) -> None:
        self.down_until = time.monotonic() + self.backoff_seconds

    def is_open(self) -> bool:
        return time.monotonic() < self.down_until

    def reset(self) -> None:
        self.down_until = 0.0


broker_breaker = BrokerBreaker()


def email_dispatch_on_commit(*, email_id: int) -> None:
    """Hand the e-mail over once the transaction commits; a failure there is logged, never
    raised into the request that committed (API.md §6). The callback is a function, not a
    functools.partial: Django names a failing robust callback by its `__qualname__`, and a
    partial has none, so its failure would escape as an AttributeError after the commit."""

    def hand_off() -> None:
        email_dispatch(email_id=email_id)

    transaction.on_commit(hand_off, robust=True)


def email_dispatch(*, email_id: int) -> None:
    """Hand one e-mail to the worker. Never raises: if the broker is down the row stays
    pending and the sweep sends it later."""
    if settings.CELERY_TASK_ALWAYS_EAGER and getattr(settings, "PARLEY_MAIL_SEND_IN_THREAD", False):
        # Embedded mode: no broker, so send beside the request rather than inside it, so that
        # a slow mail server never makes the client wait.
        threading.Thread(
            target=_send_in_thread, args=(email_id,), name=f"parley-mail-{email_id}", daemon=True
        ).start()
        return
    from parley.mail.tasks import email_send as email_send_task

    if broker_breaker.is_open():
        return  # the broker just refused a hand-off: do not make this request wait on it too
    try:
        email_send_task.delay(email_id)
    except Exception:
        broker_breaker.trip()
        logger.exception("e-mail %s not handed to the worker; the sweep will send it", email_id)


def _send_in_thread(email_id: int) -> None:
    try:
        email_send(email_id=email_id)
    except Exception:
        logger.exception("e-mail %s: send failed in the background thread", email_id)
    finally:
        kept_connection.close()  # the thread ends here: nothing to keep the connection for
        close_old_connections()
