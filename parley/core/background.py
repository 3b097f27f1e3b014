"""Periodic work for the embedded default, where there is no broker and no beat process."""

import importlib
import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

# Dotted paths of callables run every PARLEY_MAIL_SWEEP_INTERVAL_SECONDS in embedded mode.
EMBEDDED_PERIODIC_JOBS: list[str] = [
    "parley.mail.services.email_sweep",  # retries pending mail with no broker and no beat
    "parley.core.idempotency.idempotency_key_sweep",  # deletes Idempotency-Keys past 24 hours
]


def _run_forever(job: Callable[[], object], interval: float) -> None:
    while True:
        time.sleep(interval)
        try:
            job()
        except Exception:
            logger.exception("embedded periodic job %s failed", job)
        finally:
            close_old_connections()


def start_embedded_workers() -> None:
    if settings.CELERY_BROKER_URL:
        return  # a real worker and beat do this job in production
    for dotted in EMBEDDED_PERIODIC_JOBS:
        module, _, name = dotted.rpartition(".")
        job = getattr(importlib.import_module(module), name)
        threading.Thread(
            target=_run_forever,
            args=(job, settings.PARLEY_MAIL_SWEEP_INTERVAL_SECONDS),
            name=f"parley-{name}",
            daemon=True,
        ).start()
        logger.info("embedded periodic job %s started", dotted)
