"""Background work for the embedded default, where there is no broker, no worker and no beat
process: periodic jobs, and one-off jobs handed over after a commit."""

import importlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

# Dotted paths of callables run in embedded mode, each with the setting naming its interval.
EMBEDDED_PERIODIC_JOBS: dict[str, str] = {
    # retries pending mail with no broker and no beat
    "parley.mail.services.email_sweep": "PARLEY_MAIL_SWEEP_INTERVAL_SECONDS",
    # deletes Idempotency-Keys past 24 hours
    "parley.core.idempotency.idempotency_key_sweep": "PARLEY_MAIL_SWEEP_INTERVAL_SECONDS",
    # retries webhook deliveries, and sends those a restart left behind
    "parley.webhooks.delivery.webhook_delivery_sweep": "PARLEY_WEBHOOK_SWEEP_INTERVAL_SECONDS",
    # deletes message attachments never linked to a message (API.md §8), hands lost scans on
    "parley.conversations.services.attachment_sweep": "PARLEY_ATTACHMENT_SWEEP_INTERVAL_SECONDS",
}
# Jobs that run less often: (dotted path, seconds between two calls). The daily privacy job
# is called hourly and runs when its last run is old enough (so a restart does not skip it).
EMBEDDED_SLOW_JOBS: list[tuple[str, float]] = [
    ("parley.privacy.services.retention_apply_if_due", 3600),
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
    jobs = [
        (dotted, getattr(settings, setting)) for dotted, setting in EMBEDDED_PERIODIC_JOBS.items()
    ]
    for dotted, interval in [*jobs, *EMBEDDED_SLOW_JOBS]:
        module, _, name = dotted.rpartition(".")
        job = getattr(importlib.import_module(module), name)
        threading.Thread(
            target=_run_forever,
            args=(job, interval),
            name=f"parley-{name}",
            daemon=True,
        ).start()
        logger.info("embedded periodic job %s started", dotted)


# --- One-off jobs after a commit --------------------------------------------------------------

_jobs: "queue.SimpleQueue[tuple[Callable[..., object], dict[str, Any]]]" = queue.SimpleQueue()
_jobs_thread: threading.Thread | None = None
_jobs_thread_lock = threading.Lock()


def _run_jobs() -> None:
    while True:
        job, kwargs = _jobs.get()
        try:
            job(**kwargs)
        except Exception:
            logger.exception("background job %s(%s) failed", job, kwargs)
        finally:
            close_old_connections()


def job_run(job: Callable[..., object], **kwargs: Any) -> None:
    """Run `job(**kwargs)` in the embedded default's background: one daemon thread runs the
    jobs in order, beside the requests, so a slow job (loading a model) never makes a
    client wait. With PARLEY_BACKGROUND_IN_THREAD false (the tests) the job runs here, inline.
    In production a Celery task is the background instead; see `task_dispatch`."""
    global _jobs_thread
    if not settings.PARLEY_BACKGROUND_IN_THREAD:
        job(**kwargs)
        return
    with _jobs_thread_lock:
        if _jobs_thread is None or not _jobs_thread.is_alive():
            _jobs_thread = threading.Thread(
                target=_run_jobs, name="parley-background-jobs", daemon=True
            )
            _jobs_thread.start()
    _jobs.put((job, kwargs))


def task_dispatch(task: Any, job: Callable[..., object], **kwargs: Any) -> None:
    """Hand one job to the worker: the Celery `task` with a broker, else `job` in-process
    (`job_run`). Never raises: a job that could not be handed over is logged, and its
    management command (docs) catches up."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        job_run(job, **kwargs)
        return
    try:
        task.delay(**kwargs)
    except Exception:
        logger.exception("%s(%s) not handed to the worker", job, kwargs)
