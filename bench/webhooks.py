"""Webhook deliveries per second: the production webhook worker (deploy/Procfile `webhooks`,
Celery threads) against a receiver on loopback, as a ratio to a bare httpx loop posting the
same signed payloads to the same receiver with as many threads.

    python bench/webhooks.py              # the row make bench prints (docs/PERFORMANCE.md)
    python bench/webhooks.py --count 600  # a quicker run

The receiver runs in a process of its own (this file with --receiver), so that it competes
with neither side for a Python interpreter. The two sides take turns over several rounds,
each going first in every other round; a side's rate is its deliveries over the sum of its
rounds' seconds (the worker's from the first to the last delivery of a round, so one
delivery fewer a round: its start-up is not counted).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drills.stack import Stack, free_port, wait_for  # noqa: E402

PYTHON = sys.executable
BIN = Path(PYTHON).parent
ROUNDS = 4
THREADS = 8
ENDPOINTS = 4  # THREADS / the per-endpoint limit (2): every worker thread can be busy


def receiver_serve(port: int) -> None:
    """A receiver that answers 204 at once and counts what it got (GET /count)."""
    lock = threading.Lock()
    received = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                received[0] += 1
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            body = str(received[0]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


def queue_deliveries(count: int, base_url: str) -> None:
    """(In the stack's environment.) `count` pending deliveries over ENDPOINTS endpoints of
    the demo sellers, the old ones deleted first; their tasks go to the broker."""
    import django

    django.setup()
    from django.db import transaction

    from parley.catalog.models import DataSource
    from parley.webhooks import services
    from parley.webhooks.models import WebhookEndpoint, WebhookEvent

    WebhookEndpoint.objects.all().delete()
    WebhookEvent.objects.all().delete()
    sellers = list(DataSource.objects.order_by("id")[:ENDPOINTS])
    while len(sellers) < ENDPOINTS:
        sellers.append(DataSource.objects.create(name=f"bench-{len(sellers)}", title="Bench"))
    for n, seller in enumerate(sellers):
        services.webhook_endpoint_create(
            datasource=seller, url=f"{base_url}/{n}", event_types=["message.created"]
        )
    for start in range(0, count, 500):
        with transaction.atomic():
            for n in range(start, min(count, start + 500)):
                services.webhook_event_emit(
                    event_type="message.created",
                    seller=sellers[n % ENDPOINTS],
                    data={"conversation": n, "message": n},
                )


def signed_payloads(database_url: str) -> list[tuple[str, dict[str, str], bytes]]:
    """Every pending delivery as the worker would send it: URL, headers, body, signed now."""
    from datetime import UTC, datetime

    import psycopg

    from parley.webhooks.signing import signature_header

    now = datetime.now(UTC)
    with psycopg.connect(database_url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT p.url, p.secret, e.message_id, e.body FROM webhooks_webhookdelivery d "
            "JOIN webhooks_webhookevent e ON e.id = d.event_id "
            "JOIN webhooks_webhookendpoint p ON p.id = d.endpoint_id ORDER BY d.id"
        ).fetchall()
    return [
        (
            url,
            {
                "content-type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": signature_header(
                    secrets_in_force=[secret], message_id=message_id, timestamp=now, body=body
                ),
            },
            body.encode(),
        )
        for url, secret, message_id, body in rows
    ]


def bare_round(payloads: list[tuple[str, dict[str, str], bytes]]) -> float:
    """Seconds for THREADS threads sharing one httpx client to post every payload."""
    import httpx

    client = httpx.Client(timeout=15, follow_redirects=False, trust_env=False)
    items = iter(payloads)
    lock = threading.Lock()
    failures: list[int] = []

    def post_all() -> None:
        while True:
            with lock:
                item = next(items, None)
            if item is None:
                return
            url, headers, body = item
            response = client.post(url, headers=headers, content=body)
            if not response.is_success:
                failures.append(response.status_code)

    started = time.perf_counter()
    threads = [threading.Thread(target=post_all) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    client.close()
    if failures:
        raise RuntimeError(f"the bare loop got {len(failures)} failures")
    return seconds


def worker_round(stack: Stack, count: int) -> float:
    import psycopg

    try:
        stack.start("webhooks")
        with psycopg.connect(stack.database_url, autocommit=True) as connection:

            def delivered() -> int:
                row = connection.execute(
                    "SELECT count(*) FROM webhooks_webhookdelivery WHERE status = 'delivered'"
                ).fetchone()
                return int(row[0]) if row else 0

            if not wait_for(lambda: delivered() >= count, timeout=600, interval=0.25):
                raise RuntimeError(f"the worker delivered {delivered()} of {count}")
            first, last = connection.execute(
                "SELECT min(delivered_at), max(delivered_at) FROM webhooks_webhookdelivery"
            ).fetchone()
    finally:
        stack.kill("webhooks")
    return max((last - first).total_seconds(), 1e-6)


def bench_stack(receiver_port: int) -> Stack:
    stack = Stack(smtp_port=free_port(), database="parley_bench_webhooks", name="bench-webhooks")
    stack.env.update(
        PARLEY_WEBHOOK_WORKER_THREADS=str(THREADS),
        PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY=str(THREADS // ENDPOINTS),
        LOG_LEVEL="WARNING",
    )
    return stack


def webhook_drain(count: int, rounds: int = ROUNDS) -> tuple[float, float]:
    """Deliveries per second: (the worker, the bare httpx loop)."""
    receiver_port = free_port()
    receiver = subprocess.Popen(
        [PYTHON, str(Path(__file__).resolve()), "--receiver", str(receiver_port)], cwd=ROOT
    )
    stack = bench_stack(receiver_port)
    try:
        if not wait_for(lambda: _count(receiver_port) is not None, timeout=20, interval=0.1):
            raise RuntimeError("the receiver did not start")
        stack.prepare()
        base_url = f"http://127.0.0.1:{receiver_port}/hooks"
        worker_done = bare_done = 0
        worker_seconds = bare_seconds = 0.0
        for number in range(rounds):
            size = count // rounds
            stack.kill("webhooks") if "webhooks" in stack.processes else None
            subprocess.run(
                [PYTHON, str(Path(__file__).resolve()), "--queue", str(size), base_url],
                cwd=ROOT,
                env=stack.env,
                check=True,
            )
            payloads = signed_payloads(stack.database_url)
            for side in ("worker", "bare") if number % 2 == 0 else ("bare", "worker"):
                if side == "worker":
                    seconds = worker_round(stack, size)
                    worker_done, worker_seconds = worker_done + size - 1, worker_seconds + seconds
                    worker_rate = (size - 1) / seconds
                else:
                    seconds = bare_round(payloads)
                    bare_done, bare_seconds = bare_done + len(payloads), bare_seconds + seconds
                    bare_rate = len(payloads) / seconds
            print(
                f"  round {number + 1}/{rounds}: {size:,} deliveries, worker {worker_rate:.0f} / "
                f"bare {bare_rate:.0f} per second = {worker_rate / bare_rate:.2f}",
                flush=True,
            )
    finally:
        stack.stop_all()
        receiver.terminate()
        receiver.wait()
    worker, bare = worker_done / worker_seconds, bare_done / bare_seconds
    print(f"  worker: {worker:.0f} deliveries per second", flush=True)
    print(f"  bare httpx: {bare:.0f} deliveries per second", flush=True)
    return worker, bare


def _count(port: int) -> int | None:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/count", timeout=2) as response:
            return int(response.read())
    except OSError:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=4000, help="deliveries over all rounds")
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--queue", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.receiver:
        receiver_serve(options.receiver)
        return 0
    if options.queue:
        queue_deliveries(int(options.queue[0]), options.queue[1])
        return 0
    worker, bare = webhook_drain(options.count)
    ratio = worker / bare
    print(
        f"| webhook deliveries, worker / bare httpx ({options.count:,}) | "
        f"{ratio:.2f} ({worker:.0f} vs {bare:.0f} per s) | >= 0.50 | "
        f"{'PASS' if ratio >= 0.5 else 'FAIL'} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
