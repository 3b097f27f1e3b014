"""Fault drills against the production stack on loopback. Each prints its figures and fails
(exit 1) if the promise it checks is broken.

    .venv/bin/python -m drills.run                 # all of them
    .venv/bin/python -m drills.run broker          # one or more by name: broker smtp worker
                                                   # database logs webhook_down webhook_gone
                                                   # webhook_hang webhook_worker

`DRILL_NAME=...` gives a run its own database, var folder and queues (drills/stack.py), so
that two runs on one machine keep apart; `database` stops the shared PostgreSQL server, so
never run it beside anything else.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from drills import webhooks
from drills.stack import SmtpSink, Stack, Storefront, contact_body, free_port, wait_for

PG_VERSION = subprocess.run(
    ["bash", "-c", "ls /etc/postgresql | head -1"], capture_output=True, text=True
).stdout.strip()


def _submit_many(stack: Stack, demo: dict[str, Any], tag: str, count: int) -> list[int]:
    client = Storefront(stack.base)
    client.fetch_csrf()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: client.contact(contact_body(demo, tag, n)), range(count)))
    return [status for status, _ in results]


def _figure(name: str, value: object) -> None:
    print(f"  {name:<44} {value}")


def drill_broker(stack: Stack, sink: SmtpSink, demo: dict[str, Any]) -> bool:
    """RabbitMQ stopped while 200 submissions arrive: all answered 200, all delivered later."""
    tag = "DrillBroker"
    subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True)
    try:
        started = time.monotonic()
        statuses = _submit_many(stack, demo, tag, 200)
        took = time.monotonic() - started
    finally:
        subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True)
    back = time.monotonic()
    delivered = wait_for(lambda: len(sink.received(tag)) >= 200, timeout=180)
    received = sink.received(tag)
    _figure("submissions answered 200 (broker down)", f"{statuses.count(200)}/200")
    _figure("time to answer all 200", f"{took:.1f} s")
    _figure("mails delivered after the broker returned", f"{len(received)}/200")
    _figure("seconds from broker back to last delivery", f"{time.monotonic() - back:.1f}")
    _figure("duplicates", sum(received.values()) - len(received))
    return statuses.count(200) == 200 and delivered and len(received) == 200


def drill_smtp(stack: Stack, sink: SmtpSink, demo: dict[str, Any]) -> bool:
    """The SMTP sink down for a minute: every mail delivered after it returns, none twice."""
    tag = "DrillSmtp"
    sink.stop()
    statuses = _submit_many(stack, demo, tag, 100)
    time.sleep(60)
    sink.start()
    back = time.monotonic()
    delivered = wait_for(lambda: len(sink.received(tag)) >= 100, timeout=120)
    time.sleep(5)  # anything sent twice would arrive now
    received = sink.received(tag)
    duplicates = sum(received.values()) - len(received)
    _figure("submissions answered 200 (sink down)", f"{statuses.count(200)}/100")
    _figure("mails delivered after the sink returned", f"{len(received)}/100")
    _figure("seconds from sink back to last delivery", f"{time.monotonic() - back - 5:.1f}")
    _figure("duplicates", duplicates)
    return statuses.count(200) == 100 and delivered and duplicates == 0


def drill_worker(stack: Stack, sink: SmtpSink, demo: dict[str, Any]) -> bool:
    """The worker SIGKILLed in the middle of 500 mails: all delivered, duplicates <= 1%."""
    tag = "DrillWorker"
    stack.kill("worker")
    statuses = _submit_many(stack, demo, tag, 500)  # queued while no worker runs
    sink.recorder.delay = 0.02  # a slow mail server, so the kill lands mid-batch
    stack.start("worker")
    wait_for(lambda: len(sink.received(tag)) >= 150, timeout=120, interval=0.05)
    at_kill = len(sink.received(tag))
    stack.kill("worker", signal.SIGKILL)
    stack.start("worker")
    delivered = wait_for(lambda: len(sink.received(tag)) >= 500, timeout=240)
    time.sleep(5)
    sink.recorder.delay = 0.0
    received = sink.received(tag)
    duplicates = sum(received.values()) - len(received)
    _figure("submissions answered 200", f"{statuses.count(200)}/500")
    _figure("mails delivered when the worker was killed", at_kill)
    _figure("mails delivered in the end", f"{len(received)}/500")
    _figure("duplicates", f"{duplicates} ({duplicates / 5:.1f}%)")
    return statuses.count(200) == 500 and delivered and duplicates <= 5


def drill_database(stack: Stack, sink: SmtpSink, demo: dict[str, Any]) -> bool:
    """PostgreSQL restarted under load: fast 503s during the outage, recovery without a
    restart, no accepted submission lost."""
    tag = "DrillDatabase"
    client = Storefront(stack.base)
    client.fetch_csrf()
    results: list[tuple[float, int, float]] = []  # (when, status, seconds)
    stop = threading.Event()

    def load(worker: int) -> None:
        n = worker * 100000
        while not stop.is_set():
            status, seconds = client.contact(contact_body(demo, tag, n), timeout=30)
            results.append((time.monotonic(), status, seconds))
            n += 1
            time.sleep(0.02)

    threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(5)
    cluster = ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main"]
    try:
        subprocess.run([*cluster, "stop", "-m", "fast"], check=True)
        down_at = time.monotonic()  # the server is down from here ...
        time.sleep(8)
    finally:
        restart_at = time.monotonic()  # ... to here
        subprocess.run([*cluster, "start"], check=True)
    up_at = time.monotonic()
    time.sleep(10)
    stop.set()
    for thread in threads:
        thread.join()

    during = [r for r in results if down_at <= r[0] - r[2] and r[0] <= restart_at]
    after = [r for r in results if r[0] - r[2] >= up_at + 5]
    accepted = sum(1 for r in results if r[1] == 200)
    unavailable = [r for r in during if r[1] == 503]
    slowest = max((r[2] for r in during), default=0.0)
    delivered = wait_for(lambda: len(sink.received(tag)) >= accepted, timeout=180)
    received = sink.received(tag)
    _figure("requests in all", len(results))
    _figure("requests during the outage", len(during))
    _figure("  answered 503", len(unavailable))
    _figure("  other answers", sorted({r[1] for r in during} - {503}))
    _figure("  slowest answer during the outage", f"{slowest:.2f} s")
    _figure(
        "requests after recovery answered 200", f"{sum(r[1] == 200 for r in after)}/{len(after)}"
    )
    _figure("accepted submissions (200)", accepted)
    _figure("their mails delivered", f"{len(received)}/{accepted}")
    return (
        bool(during)
        and len(unavailable) == len(during)
        and slowest < 10
        and bool(after)
        and all(r[1] == 200 for r in after)
        and delivered
        and len(received) == accepted
    )


def drill_logs(stack: Stack, sink: SmtpSink, demo: dict[str, Any]) -> bool:
    """A request's id is in the JSON log lines of the worker that delivers its mail."""
    tag = "DrillLogs"
    request_id = uuid.uuid4().hex
    client = Storefront(stack.base)
    client.fetch_csrf()
    status, _ = client.contact(contact_body(demo, tag, 1), headers={"X-Request-ID": request_id})
    delivered = wait_for(lambda: len(sink.received(tag)) == 1, timeout=60)
    time.sleep(1)
    lines = [
        json.loads(line)
        for line in (stack.var / "worker.log").read_text(errors="replace").splitlines()
        if line.startswith("{")
    ]
    tagged = [line for line in lines if line.get("request_id") == request_id]
    _figure("contact form answered", status)
    _figure("worker log lines with the request id", len(tagged))
    for line in tagged[:3]:
        _figure("  ", json.dumps({k: line.get(k) for k in ("level", "name", "message")}))
    return status == 200 and delivered and any("sent" in line["message"] for line in tagged)


DRILLS: dict[str, Callable[[Stack, SmtpSink, dict[str, Any]], bool]] = {
    "broker": drill_broker,
    "smtp": drill_smtp,
    "worker": drill_worker,
    "database": drill_database,
    "logs": drill_logs,
    **webhooks.DRILLS,
}


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(DRILLS))
    if unknown:
        print(f"unknown drills: {', '.join(unknown)}; choose from {', '.join(DRILLS)}")
        return 2
    sink = SmtpSink(free_port())
    sink.start()
    stack = Stack(smtp_port=sink.port)
    demo = stack.prepare()
    for process in ("web", "worker", "webhooks", "beat"):
        stack.start(process)
    failed = []
    try:
        for name in names or list(DRILLS):
            print(f"== drill: {name} — {' '.join((DRILLS[name].__doc__ or '').split())}")
            started = time.monotonic()
            ok = DRILLS[name](stack, sink, demo)
            print(f"  {'PASS' if ok else 'FAIL'} in {time.monotonic() - started:.0f} s")
            if not ok:
                failed.append(name)
    finally:
        stack.stop_all()
        sink.stop()
    total = len(names or DRILLS)
    print(f"FAILED drills: {', '.join(failed)}" if failed else f"all {total} drills passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
