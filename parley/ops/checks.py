"""What /readyz asks: can this process reach each thing it depends on, quickly?"""

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu import Connection

logger = logging.getLogger(__name__)


def database_ready() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def cache_ready() -> None:
    key = f"parley:readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not return what was just stored")
    cache.delete(key)


def broker_ready() -> None:
    if not settings.CELERY_BROKER_URL:
        return  # embedded default: no broker to reach
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": database_ready,
    "cache": cache_ready,
    "broker": broker_ready,
}


def readiness() -> dict[str, str]:
    """`{"database": "ok", "cache": "ok", "broker": "ok"}`, or the error for each that is not."""
    report = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as error:
            logger.warning("readiness: %s unreachable: %s", name, error)
            report[name] = f"unavailable: {type(error).__name__}"
        else:
            report[name] = "ok"
    return report
