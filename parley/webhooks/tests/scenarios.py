"""Delivery scenarios with real threads and a real database: the embedded pool under a
hanging receiver, and senders racing for one endpoint's deliveries.

Threads share the database, which SQLite's in-memory test database cannot do for writers: on
SQLite a scenario runs in a child process on a file database (as the conversation races do),
on PostgreSQL in the test itself: `python -m parley.webhooks.tests.scenarios <name> '<json
arguments>'` prints the result."""

import gc
import time
from collections.abc import Callable
from typing import Any

from django.test import override_settings

from parley.conversations.tests.races import main, race, run_together


def hanging_receiver() -> dict[str, Any]:
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


def senders_race(*, senders: int, deliveries: int, batch_size: int) -> dict[str, Any]:
    """`senders` workers drain one endpoint's `deliveries` at the same moment, in batches."""
    from unittest import mock

    from parley.catalog.tests.factories import DataSourceFactory
    from parley.webhooks import delivery, services
    from parley.webhooks.models import WebhookDelivery
    from parley.webhooks.tests.receiver import Receiver

    receiver = Receiver().start()
    receiver.delay = 0.002  # each request takes a moment, so the senders' batches overlap
    try:
        with override_settings(
            PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS=True,
            PARLEY_WEBHOOK_BATCH_SIZE=batch_size,
            PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY=senders,
        ):
            endpoint = services.webhook_endpoint_create(
                datasource=DataSourceFactory.create(), url=receiver.url
            )
            with mock.patch.object(delivery, "webhook_endpoint_dispatch"):  # pending, unsent
                for n in range(deliveries):
                    services.webhook_event_emit(
                        event_type="message.created", seller=endpoint.datasource, data={"n": n}
                    )
            sent = run_together(
                senders, lambda _: delivery.webhook_endpoint_deliver(endpoint_id=endpoint.pk)
            )
            # A sender's exception goes into the answer as text (it crosses a process as JSON).
            sent = [each if isinstance(each, int) else repr(each) for each in sent]
        rows = WebhookDelivery.objects.filter(endpoint=endpoint)
        return {
            "delivered_by_each": sent,
            "requests": len(receiver.requests),
            "distinct_webhook_ids": len(receiver.accepted),
            "most_accepted_of_one_id": max(receiver.accepted.values(), default=0),
            "rows": [list(row) for row in sorted(set(rows.values_list("status", "attempts")))],
        }
    finally:
        receiver.stop()


HANGING_RECEIVER_SETTINGS = {
    "PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS": True,
    "PARLEY_WEBHOOK_SEND_IN_THREAD": True,
    "PARLEY_WEBHOOK_WORKER_THREADS": 4,
    "PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY": 2,
    "PARLEY_WEBHOOK_TIMEOUT_SECONDS": 30,
}


def _hanging_receiver_scenario() -> dict[str, Any]:
    with override_settings(**HANGING_RECEIVER_SETTINGS):
        return hanging_receiver()


SCENARIOS: dict[str, Callable[..., dict[str, Any]]] = {
    "hanging_receiver": _hanging_receiver_scenario,
    "senders_race": senders_race,
}


def scenario_run(name: str, **arguments: Any) -> dict[str, Any]:
    """Here on PostgreSQL; on SQLite in a child process on a file database (`race`)."""
    return race(name, module=__name__, **arguments)


# The name `race` looks up in this module.
RACES = SCENARIOS


if __name__ == "__main__":
    main(RACES)
