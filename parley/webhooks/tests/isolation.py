"""The embedded pool under a hanging receiver, with real threads and a real database.

Threads share the database, which SQLite's in-memory test database cannot do for writers: on
SQLite the scenario runs in a child process on a file database (as the conversation races do),
on PostgreSQL in the test itself."""

import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import override_settings


def _scenario() -> dict[str, Any]:
    from parley.catalog.tests.factories import DataSourceFactory
    from parley.webhooks import delivery, services
    from parley.webhooks.models import WebhookDelivery
    from parley.webhooks.tests.receiver import Receiver

    hanging, healthy = Receiver().start(), Receiver().start()
    hanging.hang.set()
    delivery._pool = None  # a pool of this scenario's size
    try:
        slow_seller, fine_seller = DataSourceFactory.create(), DataSourceFactory.create()
        services.webhook_endpoint_create(datasource=slow_seller, url=hanging.url)
        services.webhook_endpoint_create(datasource=fine_seller, url=healthy.url)
        for n in range(10):
            services.webhook_event_emit(
                event_type="message.created", seller=slow_seller, data={"n": n}
            )
        time.sleep(0.3)  # the hanging receiver holds its two threads now
        started = time.monotonic()
        for n in range(5):
            services.webhook_event_emit(
                event_type="message.created", seller=fine_seller, data={"n": n}
            )
        deadline = time.monotonic() + 20
        while len(healthy.requests) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        healthy_seconds = time.monotonic() - started
        # The hanging receiver's two requests were sent first, but on a loaded machine may
        # reach it after the healthy ones: wait for them before counting.
        while len(hanging.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # a third, were the limit broken, would arrive now
        return {
            "healthy_received": len(healthy.requests),
            "healthy_seconds": healthy_seconds,
            "hanging_received": len(hanging.requests),
            "hanging_pending": WebhookDelivery.objects.filter(
                endpoint__datasource=slow_seller, status__in=["pending", "sending"]
            ).count(),
        }
    finally:
        hanging.stop()
        healthy.stop()
        pool, delivery._pool = delivery._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        # The pool's threads kept their database connections open for reuse (CONN_MAX_AGE);
        # gone with their threads, they close when collected, before the test database is
        # dropped rather than in its way.
        gc.collect()


SCENARIO_SETTINGS = {
    "PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS": True,
    "PARLEY_WEBHOOK_SEND_IN_THREAD": True,
    "PARLEY_WEBHOOK_WORKER_THREADS": 4,
    "PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY": 2,
    "PARLEY_WEBHOOK_TIMEOUT_SECONDS": 30,
}


def isolation_run() -> dict[str, Any]:
    if connection.vendor != "sqlite":
        with override_settings(**SCENARIO_SETTINGS):
            return _scenario()
    base_dir = Path(settings.BASE_DIR)
    with tempfile.TemporaryDirectory() as directory:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{directory}/isolation.sqlite3",
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "PYTHONPATH": str(base_dir),
        }
        completed = subprocess.run(
            [sys.executable, "-m", "parley.webhooks.tests.isolation"],
            cwd=base_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if completed.returncode != 0:
        raise AssertionError(f"isolation scenario failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    assert connection.vendor == "sqlite" and "memory" not in str(
        connection.settings_dict["NAME"]
    ), "run on a file database"
    call_command("migrate", verbosity=0)
    with override_settings(**SCENARIO_SETTINGS):
        print(json.dumps(_scenario()))


if __name__ == "__main__":
    main()
