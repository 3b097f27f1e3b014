"""The load benchmark: Parley and the hand-written floor under wrk, against the same data.

    python bench/run.py            # make bench: small and large profiles, full durations
    python bench/run.py --smoke    # make bench-smoke: small profile, short runs
    python bench/run.py --similar  # only similar questions, next to the public list (small)

Loads the profiles (bench/generate.py), starts the production stack of deploy/Procfile on
loopback (drills/stack.py) once for Parley and once for the floor (bench/floor.py, same
gunicorn settings), drives every scenario with wrk (bench/wrk/requests.lua), measures SQL
queries per read request, a worker's memory growth, the mail worker's drain rate against
a bare smtplib loop and the webhook worker's against a bare httpx loop (bench/webhooks.py),
and prints the table and the targets as ratios with pass/fail.

Exits 1 when the suite itself is broken (a server does not start, a scenario sees errors or
no requests, Parley and the floor disagree, the mail is not all delivered); a missed target
is printed, not an exit status.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import SECRET_KEY, database_url  # noqa: E402
from bench.webhooks import webhook_drain  # noqa: E402
from drills.stack import SmtpSink, Stack, free_port, wait_for  # noqa: E402

PYTHON = sys.executable
BIN = Path(PYTHON).parent
QUEUE = "parley-bench"
FLOOR_COMMAND = "gunicorn bench.floor:application --config deploy/gunicorn.conf.py"
THROTTLES = (
    "contact_us=10000000/min,contact_us_daily=10000000/day,login=10000000/min,"
    "conversation_create=10000000/min,seller=10000000/min,similar_questions=10000000/min"
)


# Queries per read request, whatever the page size: what the query-count tests assert
# (parley/conversations/tests/test_read_api.py, parley/sellers/tests/test_seller_api.py).
# A page without order items runs one fewer; the floor has no middleware and no user query.
QUERY_CEILINGS = {
    "list": 6,
    "list (floor)": 7,
    "detail": 6,
    "subjects": 1,
    "seller list": 5,
    "unread": 3,  # session, user, the newest unread (parley/conversations/tests/test_unread_api.py)
    "inbox list": 15,  # parley/sellers/tests/test_inbox_pages.py
}


class BrokenSuite(Exception):
    """The benchmark could not measure what it claims to: exit 1."""


@dataclass
class Mode:
    name: str
    seconds: int  # per wrk scenario
    connections: int
    rss_requests: tuple[int, int]
    emails: int
    large: bool
    webhooks: int = 0  # deliveries over the webhook rounds (bench/webhooks.py)


ROUNDS = 4
WARM_UP = Mode("warm-up", 2, 8, (0, 0), 0, False)
MODES = {
    "full": Mode("full", 20, 8, (1_000, 20_000), 10_000, True, webhooks=4_000),
    "smoke": Mode("smoke", 3, 8, (300, 3_000), 1_000, False, webhooks=400),
}


@dataclass
class Row:
    scenario: str
    server: str
    profile: str
    requests: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    notes: list[str] = field(default_factory=list)


class BenchStack(Stack):
    """drills.stack.Stack on a bench database: the shared secret key of the generated
    sessions, Redis db 13, a queue of its own, throttles raised, deploy's gunicorn defaults
    (workers 2 x cores + 1, 2 threads), and either Parley or the floor as `web`."""

    def __init__(self, *, smtp_port: int, profile: str, app: str = "parley", **env: str) -> None:
        super().__init__(smtp_port=smtp_port, database=f"parley_bench_{profile}")
        self.var = ROOT / "var" / "bench" / f"{app}-{profile}"
        self.var.mkdir(parents=True, exist_ok=True)
        for name in ("GUNICORN_WORKERS", "GUNICORN_THREADS"):
            self.env.pop(name)
        self.env.update(
            PATH=f"{BIN}:{os.environ.get('PATH', '')}",
            SECRET_KEY=SECRET_KEY,
            DATABASE_URL=database_url(profile),
            CACHE_URL="redis://127.0.0.1:6379/13",
            CELERY_TASK_DEFAULT_QUEUE=QUEUE,
            PARLEY_VAR_DIR=str(self.var),
            PARLEY_THROTTLE_RATES=THROTTLES,
            PARLEY_CONVERSATION_MAX_MESSAGES="100000000",
            **env,
        )
        if app == "floor":
            self.commands["web"] = FLOOR_COMMAND

    def web_pids(self) -> list[int]:
        master = self.processes["web"].pid
        found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
        return [int(pid) for pid in found.stdout.split()]


def wrk_ensure() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    print("wrk is missing: apt-get install -y wrk", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    path = shutil.which("wrk")
    if not path:
        raise BrokenSuite("wrk could not be installed")
    return path


def wrk_run(base: str, lines: list[str], mode: Mode, name: str) -> dict[str, Any]:
    requests_file = ROOT / "var" / "bench" / f"{name}.tsv"
    requests_file.write_text("\n".join(lines) + "\n")
    command = [
        wrk_ensure(),
        "-t2",
        f"-c{mode.connections}",
        f"-d{mode.seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "wrk" / "requests.lua"),
        base,
        "--",
        str(requests_file),
    ]
    output = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    for line in output.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[len("WRKJSON ") :])
    raise BrokenSuite(f"wrk gave no figures for {name}: {output.stdout}{output.stderr}")


def tab(*fields: str) -> str:
    return "\t".join(fields)


def scenarios(
    material: dict[str, Any], base: str, etags: dict[int, str] | None = None
) -> dict[str, list[str]]:
    """The request lists of every scenario, rotating over the generated users and sellers,
    and over the products with public questions (`etags`, from `public_questions`)."""
    csrf = material["csrf"]
    users = material["users"]
    inbox = material["inbox"]

    def cookie(user: dict[str, Any], with_csrf: bool = False) -> str:
        value = f"Cookie: osessionid={user['session']}"
        return value + (f"; csrftoken={csrf}" if with_csrf else "")

    json_post = ("Content-Type: application/json", f"X-CSRFToken: {csrf}", f"Referer: {base}/")
    subject = next(s for s in material["subjects"] if not s["is_order_needed"])
    result: dict[str, list[str]] = {
        "list": [tab("GET", "/users/conversations/?limit=20", "", cookie(user)) for user in users],
        "detail": [
            tab("GET", f"/users/conversations/{cid}/", "", cookie(user))
            for user in users
            for cid in user["conversations"]
        ],
        "append": [
            tab(
                "POST",
                "/users/conversations/",
                json.dumps(
                    {
                        "conversation": user["append"]["conversation"],
                        "conversation_type": user["append"]["conversation_type"],
                        "user": user["id"],
                        "user_type": "registered",
                        "message_content": "Kargom ne zaman gelir? Teşekkürler.",
                        "datasource": user["append"]["datasource"],
                        "content_type": "user",
                        "content_id": user["id"],
                    }
                ),
                cookie(user, with_csrf=True),
                *json_post,
            )
            for user in users
        ],
        "contact": [
            tab(
                "POST",
                "/users/contact-us/",
                json.dumps(
                    {
                        "subject": subject["id"],
                        "full_name": f"Bench Customer {n}",
                        "email": f"bench-contact-{n}@example.com",
                        "message": "Siparişim hakkında bilgi almak istiyorum. " * 3,
                    }
                ),
                f"Cookie: csrftoken={csrf}",
                *json_post,
            )
            for n in range(200)
        ],
        "subjects": [tab("GET", "/users/contact-us-subjects/", "")],
        "seller list": [
            tab("GET", "/seller/conversations/?limit=20", "", f"Authorization: Token {s['key']}")
            for s in material["sellers"]
        ],
        # The product page's Q&A, as anonymous shoppers ask for it: the full answer, and the
        # revalidation of a cached copy by its ETag (If-None-Match, 304).
        "questions": [tab("GET", f"/products/{pid}/questions/", "") for pid in etags or {}],
        "questions 304": [
            tab("GET", f"/products/{pid}/questions/", "", f"If-None-Match: {etag}")
            for pid, etag in (etags or {}).items()
        ],
        # The storefront's badge (API.md §7), for the same users as the list.
        "unread": [tab("GET", "/users/conversations/unread/", "", cookie(user)) for user in users],
        # The seller inbox's page for the seller with the most conversations, beside the
        # seller API's list of that seller.
        "inbox list": [
            tab("GET", "/seller/inbox/?tab=all", "", f"Cookie: osessionid={inbox['session']}")
        ],
        # The page a member lands on: Needs reply, oldest waiting first.
        "inbox needs reply": [
            tab("GET", "/seller/inbox/", "", f"Cookie: osessionid={inbox['session']}")
        ],
        "inbox seller list": [
            tab(
                "GET",
                "/seller/conversations/?limit=20",
                "",
                f"Authorization: Token {material['sellers'][0]['key']}",
            )
        ],
    }
    similar = material.get("similar")
    if similar:  # bench/similar.py: one product with 300 public questions
        product = similar["product"]
        result["questions 300"] = [tab("GET", f"/products/{product}/questions/?limit=20", "")]
        result["similar"] = [
            tab("GET", f"/products/{product}/questions/similar/?q={quote(query)}", "")
            for query in similar["queries"]
        ]
    return result


def rounds_merge(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One set of figures from several rounds: counts and durations add up; the latencies
    are the median round's (wrk gives percentiles, not the samples)."""
    return {
        "requests": sum(r["requests"] for r in rounds),
        "duration_us": sum(r["duration_us"] for r in rounds),
        "socket_errors": sum(r["socket_errors"] for r in rounds),
        "http_errors": sum(r["http_errors"] for r in rounds),
        "p50_us": statistics.median(r["p50_us"] for r in rounds),
        "p99_us": statistics.median(r["p99_us"] for r in rounds),
    }


def row_from(scenario: str, server: str, profile: str, figures: dict[str, Any]) -> Row:
    seconds = figures["duration_us"] / 1e6
    return Row(
        scenario=scenario,
        server=server,
        profile=profile,
        requests=figures["requests"],
        rps=figures["requests"] / seconds if seconds else 0.0,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=figures["socket_errors"] + figures["http_errors"],
    )


def fetch(base: str, path: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


def public_products(profile: str, count: int = 100) -> list[int]:
    """The products with the most public questions: the product page's Q&A requests."""
    import psycopg

    with psycopg.connect(database_url(profile)) as connection:
        rows = connection.execute(
            "SELECT item_id FROM conversations_conversation WHERE item_content = 'product' "
            "AND conversation_type = 'question' AND is_public AND is_answered "
            "GROUP BY item_id ORDER BY count(*) DESC, item_id LIMIT %s",
            [count],
        ).fetchall()
    if not rows:
        raise BrokenSuite(f"the {profile} profile has no answered public question")
    return [int(item_id) for (item_id,) in rows]


def public_questions(base: str, products: list[int]) -> dict[int, str]:
    """Each product's questions page, asked once: its ETag, for the 304 scenario. A page
    without an ETag or without a question would measure something else: the suite is broken."""
    etags = {}
    for product in products:
        status, body, headers = fetch(base, f"/products/{product}/questions/", {})
        etag = headers.get("ETag")
        if status != 200 or not etag or not json.loads(body)["count"]:
            raise BrokenSuite(f"product {product}'s questions: {status}, ETag {etag!r}")
        etags[product] = etag
        status, _, _ = fetch(base, f"/products/{product}/questions/", {"If-None-Match": etag})
        if status != 304:
            raise BrokenSuite(f"product {product}'s questions: {status} for its own ETag")
    return etags


# The pages compared: the default, pages past the first, the largest, a limit that means the
# default; then the refusals, which must match too.
SAME_ANSWER_QUERIES = ("limit=20", "", "limit=5&page=2", "limit=20&page=2", "limit=100", "limit=0")
FORGED_SESSION = "osessionid=not-a-session"


def same_answer(parley: str, floor: str, material: dict[str, Any]) -> None:
    """Both servers answer the same status and JSON for users of this profile (the next-page
    link differs by the server's port only), page by page, and refuse a missing or forged
    session alike. The floor is measured against Parley only if this holds; the suite does
    not import the floor (bench/ stays outside the service), so this is where it is checked."""
    cases = [
        (f"osessionid={user['session']}", query)
        for user in material["users"][:5]
        for query in SAME_ANSWER_QUERIES
    ]
    cases += [("", "limit=20"), (FORGED_SESSION, "limit=20")]
    for cookie, query in cases:
        headers = {"Cookie": cookie} if cookie else {}
        answers = []
        for base in (parley, floor):
            status, body, _ = fetch(base, f"/users/conversations/?{query}", headers)
            answers.append((status, json.loads(body.decode().replace(base, "BASE"))))
        if answers[0] != answers[1]:
            raise BrokenSuite(
                f"Parley and the floor disagree on ?{query} with cookie {cookie[:24]!r}: "
                f"{answers[0][0]} against {answers[1][0]}"
            )
        a_users_first_page = query == "limit=20" and cookie not in ("", FORGED_SESSION)
        if a_users_first_page and (answers[0][0] != 200 or not answers[0][1]["results"]):
            raise BrokenSuite(f"the list page answered {answers[0][0]} or was empty")


def query_counts(profile: str, material: dict[str, Any]) -> dict[str, list[int]]:
    """Queries per read request, in a Django process on the same database: for each
    endpoint, the counts of several users or sellers and two page sizes."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url(profile),
        "ALLOWED_HOSTS": "testserver",
        "CACHE_URL": "redis://127.0.0.1:6379/13",
        "DATABASE_PREPARED_STATEMENTS": "true",
        "PARLEY_THROTTLE_RATES": THROTTLES,
        "SESSION_COOKIE_SECURE": "false",
        "LOG_LEVEL": "WARNING",
    }
    material_path = ROOT / "var" / "bench" / f"{profile}.json"
    output = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "queries.py"), str(material_path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode:
        raise BrokenSuite(f"query count failed: {output.stderr[-2000:]}")
    return json.loads(output.stdout.splitlines()[-1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BrokenSuite(f"no RSS for {pid}")


def hammer(base: str, lines: list[str], count: int, threads: int = 4) -> int:
    """Send `count` requests from the lines (GETs only) over keep-alive connections;
    returns how many failed."""
    host, port = base.removeprefix("http://").split(":")
    failures = [0]
    lock = threading.Lock()

    def worker(start: int, total: int) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        for n in range(total):
            method, path, _body, *headers = lines[(start + n) % len(lines)].split("\t")
            header_map = dict(h.split(": ", 1) for h in headers)
            connection.request(method, path, headers=header_map)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                with lock:
                    failures[0] += 1
        connection.close()

    share = [count // threads + (1 if n < count % threads else 0) for n in range(threads)]
    pool = [threading.Thread(target=worker, args=(n * 1009, share[n])) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return failures[0]


def memory_growth(sink: SmtpSink, material: dict[str, Any], mode: Mode) -> tuple[int, int]:
    """One gunicorn worker: its RSS after the first and after the second count of read
    requests (list, detail, subjects, seller list, in turn)."""
    stack = BenchStack(
        smtp_port=sink.port, profile=material["profile"], app="parley", GUNICORN_WORKERS="1"
    )
    requests = scenarios(material, stack.base)
    mix = [
        line
        for group in zip(
            requests["list"],
            requests["detail"],
            requests["subjects"] * len(requests["list"]),
            requests["seller list"] * len(requests["list"]),
            strict=False,
        )
        for line in group
    ]
    try:
        stack.start("web")
        [worker] = stack.web_pids()
        first, second = mode.rss_requests
        if hammer(stack.base, mix, first):
            raise BrokenSuite("read requests failed during the memory run")
        after_first = rss_kib(worker)
        print(f"  worker RSS after {first:,} requests: {after_first // 1024} MiB", flush=True)
        if hammer(stack.base, mix, second - first):
            raise BrokenSuite("read requests failed during the memory run")
        if stack.web_pids() != [worker]:
            raise BrokenSuite("the gunicorn worker was replaced during the memory run")
        after_second = rss_kib(worker)
        print(f"  worker RSS after {second:,} requests: {after_second // 1024} MiB", flush=True)
        return after_first, after_second
    finally:
        stack.stop_all()


def celery(stack: Stack, *args: str) -> None:
    subprocess.run(
        [str(BIN / "celery"), "-A", "config", *args],
        cwd=ROOT,
        env=stack.env,
        check=True,
        capture_output=True,
    )


MAIL_ROUNDS = 5


def mail_queue(stack: Stack, count: int) -> tuple[str, list[tuple[Any, ...]]]:
    """`count` pending outbox rows and their worker tasks (the outbox emptied first), with the
    worker stopped; returns the subject tag and the rows as the bare loop sends them."""
    import psycopg

    output = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "queries.py"), "--queue-mail", str(count)],
        env={**stack.env, "DJANGO_SETTINGS_MODULE": "config.settings.production"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode:
        raise BrokenSuite(f"queueing the e-mails failed: {output.stderr[-2000:]}")
    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as connection:
        rows = connection.execute(
            'SELECT from_email, "to", subject, text_body, html_body, message_id '
            "FROM mail_outgoingemail ORDER BY id"
        ).fetchall()
    return output.stdout.split()[-1], rows


def mail_worker_round(stack: Stack, sink: SmtpSink, tag: str, count: int) -> float:
    """Start the worker on the `count` queued rows, wait until they are sent, stop it; the
    seconds from the first to the last `sent_at` (the worker's start-up is not counted)."""
    import psycopg

    delivered = sum(sink.received(tag).values())
    try:
        stack.start("worker")
        with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as connection:

            def sent() -> int:
                row = connection.execute(
                    "SELECT count(*) FROM mail_outgoingemail WHERE status = 'sent'"
                ).fetchone()
                return int(row[0]) if row else 0

            if not wait_for(lambda: sent() >= count, timeout=600, interval=0.25):
                raise BrokenSuite(f"the worker sent {sent()} of {count} e-mails")
            first, last = connection.execute(
                "SELECT min(sent_at), max(sent_at) FROM mail_outgoingemail"
            ).fetchone()
    finally:
        stack.stop_all()
    if sum(sink.received(tag).values()) - delivered < count:
        raise BrokenSuite("the sink did not receive every e-mail the worker marked sent")
    return max((last - first).total_seconds(), 1e-6)


def mail_bare_round(sink: SmtpSink, rows: list[tuple[Any, ...]]) -> float:
    """Seconds for a bare smtplib loop to build and send `rows` over one connection."""
    import smtplib

    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
        for from_email, to, subject, text_body, html_body, message_id in rows:
            message = EmailMessage()
            message["Subject"] = subject
            message["From"] = from_email
            message["To"] = ", ".join(to)
            message["Message-ID"] = message_id
            message.set_content(text_body)
            if html_body:
                message.add_alternative(html_body, subtype="html")
            smtp.send_message(message)
    return time.perf_counter() - started


def mail_drain(
    sink: SmtpSink, profile: str, count: int, rounds: int = MAIL_ROUNDS
) -> tuple[float, float]:
    """E-mails per second: the Celery worker draining pending outbox rows into the sink, and
    a bare smtplib loop sending the same messages to the same sink. The two take turns in
    `rounds` rounds of count / rounds e-mails, each going first in every other round, so that
    whatever else the shared cores are doing weighs on both alike; each side's rate is its
    e-mails over the sum of its rounds' seconds (the worker's from its first to its last
    `sent_at` in each round, so one e-mail fewer a round)."""
    stack = BenchStack(smtp_port=sink.port, profile=profile)
    celery(stack, "purge", "-f", "-Q", QUEUE)
    worker_emails = bare_emails = 0
    worker_seconds = bare_seconds = 0.0
    for number in range(rounds):
        size = count // rounds + (number < count % rounds)
        tag, rows = mail_queue(stack, size)
        for side in ("worker", "bare") if number % 2 == 0 else ("bare", "worker"):
            if side == "worker":
                seconds = mail_worker_round(stack, sink, tag, size)
                worker_emails, worker_seconds = worker_emails + size - 1, worker_seconds + seconds
                worker_round = (size - 1) / seconds
            else:
                seconds = mail_bare_round(sink, rows)
                bare_emails, bare_seconds = bare_emails + len(rows), bare_seconds + seconds
                bare_round = len(rows) / seconds
        print(
            f"  round {number + 1}/{rounds}: {size:,} e-mails, worker {worker_round:.0f} / "
            f"bare {bare_round:.0f} per second = {worker_round / bare_round:.2f}",
            flush=True,
        )
    worker_rate, bare_rate = worker_emails / worker_seconds, bare_emails / bare_seconds
    print(f"  worker: {count:,} e-mails at {worker_rate:.0f} per second", flush=True)
    print(f"  bare smtplib: {count:,} e-mails at {bare_rate:.0f} per second", flush=True)
    return worker_rate, bare_rate


def load(profiles: list[str], sink: SmtpSink, mode: Mode, rows: list[Row]) -> None:
    """The list page on every profile, Parley and the floor, taking
    turns in short rounds (so that whatever else the shared cores are doing weighs on each
    alike, and large against small is measured at the same moments); then the other
    scenarios on the first profile, reads before writes."""
    servers: list[tuple[str, str, BenchStack]] = []
    materials = {profile: material_load(profile) for profile in profiles}
    for profile in profiles:
        servers.append(("parley", profile, BenchStack(smtp_port=sink.port, profile=profile)))
        servers.append(
            ("floor", profile, BenchStack(smtp_port=sink.port, profile=profile, app="floor"))
        )
    try:
        for _, _, stack in servers:
            stack.start("web")
        for profile in profiles:
            parley, floor = (s for n, p, s in servers if p == profile and n in ("parley", "floor"))
            same_answer(parley.base, floor.base, materials[profile])
        first_base = servers[0][2].base
        etags = public_questions(first_base, public_products(profiles[0]))
        requests = {
            profile: scenarios(materials[profile], first_base, etags if n == 0 else None)
            for n, profile in enumerate(profiles)
        }
        for _, profile, stack in servers:
            # Warm up: every worker imports, connects and fills its caches first.
            wrk_run(stack.base, requests[profile]["list"], WARM_UP, f"{profile}-warm-up")

        def measure(
            scenario: str, compared: list[tuple[str, str, BenchStack]], beside: str = ""
        ) -> None:
            """`scenario` on each server in `compared`, in turns; with `beside`, the floor
            runs that scenario in the turns between (row `<beside> (beside <scenario>)`), so
            the two are measured under the same load."""
            rounds = ROUNDS if len(compared) > 1 else 1
            figures: list[list[dict[str, Any]]] = [[] for _ in compared]
            asked = [beside if beside and name == "floor" else scenario for name, _, _ in compared]
            for _ in range(rounds):
                for n, (_, profile, stack) in enumerate(compared):
                    figures[n].append(
                        wrk_run(
                            stack.base,
                            requests[profile][asked[n]],
                            replace(mode, seconds=max(1, mode.seconds // rounds)),
                            f"{profile}-{asked[n]}",
                        )
                    )
            for (name, profile, _), label, figure in zip(compared, asked, figures, strict=True):
                if label != scenario:
                    label = f"{label} (beside {scenario})"
                row = row_from(label, name, profile, rounds_merge(figure))
                rows.append(row)
                print(
                    f"  {profile:<6} {label:<12} {name:<19} {row.rps:8.1f} req/s  "
                    f"p50 {row.p50_ms:7.2f} ms  p99 {row.p99_ms:7.2f} ms  errors {row.errors}",
                    flush=True,
                )

        measure("list", servers)
        first = [(n, p, s) for n, p, s in servers if (n, p) == ("parley", profiles[0])]
        floor_first = [(n, p, s) for n, p, s in servers if (n, p) == ("floor", profiles[0])]
        for scenario in ("detail", "subjects", "unread"):
            measure(scenario, first)
        # The product page's Q&A in turns with the floor's list page: a ratio to it.
        for scenario in ("questions", "questions 304"):
            measure(scenario, first + floor_first, beside="list")
        similar_warm_up(first[0][2], requests[profiles[0]]["similar"])
        for scenario in ("seller list", "questions 300", "similar", "append", "contact"):
            measure(scenario, first)
        # The inbox page on the largest profile (its busiest seller), beside that seller's API list.
        last = [(n, p, s) for n, p, s in servers if (n, p) == ("parley", profiles[-1])]
        for scenario in ("inbox list", "inbox needs reply", "inbox seller list"):
            measure(scenario, last)
    finally:
        for _, _, stack in servers:
            stack.stop_all()
        # The writes queued e-mails for a worker that is not running: drop the tasks.
        celery(servers[0][2], "purge", "-f", "-Q", QUEUE)


def material_load(profile: str) -> dict[str, Any]:
    """The generator's material, with bench/similar.py's product and queries under "similar"."""
    material = json.loads((ROOT / "var" / "bench" / f"{profile}.json").read_text())
    similar = ROOT / "var" / "bench" / f"{profile}-similar.json"
    if similar.exists():
        material["similar"] = json.loads(similar.read_text())
    return material


def similar_seed(profile: str) -> None:
    """300 answered public questions on one product, with their vectors (bench/similar.py)."""
    command = [PYTHON, str(ROOT / "bench" / "similar.py"), "seed", profile]
    subprocess.run(command, cwd=ROOT, check=True, env={**os.environ, "LOG_LEVEL": "WARNING"})


def similar_warm_up(stack: BenchStack, lines: list[str]) -> None:
    """Every web worker loads the model on its first similar request (a few seconds each,
    all at once on the shared cores): pay that before measuring, until answers come fast."""
    for _ in range(10):
        figures = wrk_run(stack.base, lines, replace(WARM_UP, seconds=5), "similar-warm-up")
        if figures["requests"] and not figures["socket_errors"] and figures["p99_us"] < 1e6:
            return


def similar_rss(profile: str) -> dict[str, float]:
    """A Django web process's RSS before and after the model loads (bench/similar.py rss)."""
    env = {**os.environ, "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    output = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "similar.py"), "rss", profile],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode:
        raise BrokenSuite(f"similar rss failed: {output.stderr[-2000:]}")
    return json.loads(output.stdout.splitlines()[-1])


def similar_only(sink: SmtpSink, mode: Mode) -> int:
    """`run.py --similar`: only the similar-questions rows, next to the public list, and the
    model's memory, on the small profile (generated if missing)."""
    generate("small", force=False)
    similar_seed("small")
    material = material_load("small")
    stack = BenchStack(smtp_port=sink.port, profile="small")
    rows: list[Row] = []
    try:
        stack.start("web")
        lines = scenarios(material, stack.base)
        wrk_run(stack.base, lines["questions 300"], WARM_UP, "small-warm-up")
        similar_warm_up(stack, lines["similar"])
        for scenario in ("questions 300", "similar"):
            figures = wrk_run(stack.base, lines[scenario], mode, f"small-{scenario}")
            rows.append(row_from(scenario, "parley", "small", figures))
    finally:
        stack.stop_all()
    similar_report(rows, similar_rss("small"), mode)
    return 1 if any(r.errors or not r.requests for r in rows) else 0


def similar_report(rows: list[Row], rss: dict[str, float], mode: Mode) -> None:
    print()
    print(
        f"Similar questions ({mode.name}): 300 public questions on one product, small profile, "
        f"wrk -t2 -c{mode.connections} -d{mode.seconds}s"
    )
    print("| scenario | requests/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        if row.scenario in ("questions 300", "similar"):
            print(
                f"| {row.scenario} | {row.rps:.0f} | {row.p50_ms:.1f} | {row.p99_ms:.1f} | "
                f"{row.errors} |"
            )
    print(
        f"A web process's RSS: {rss['before_kib'] / 1024:.0f} MiB before the model, "
        f"{rss['after_kib'] / 1024:.0f} MiB after it loaded ({rss['load_seconds']:.1f} s)"
    )


def generate(profile: str, force: bool) -> None:
    command = [PYTHON, str(ROOT / "bench" / "generate.py"), profile]
    if force:
        command.append("--force")
    subprocess.run(command, cwd=ROOT, check=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def moderation_timing() -> dict[str, float]:
    """The contact-detail check on 5,000-character messages, timed in a process of its own
    (bench/moderation.py): it runs inside every message post, so its cost is the post's."""
    output = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "moderation.py"), "--json"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def report(
    rows: list[Row],
    queries: dict[str, list[int]],
    rss: tuple[int, int],
    mail: tuple[float, float],
    mode: Mode,
    moderation: dict[str, float],
    webhooks: tuple[float, float, float],
) -> None:
    print()
    print(
        f"Parley benchmark ({mode.name}): wrk -t2 -c{mode.connections} -d{mode.seconds}s "
        f"per row, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores"
    )
    print()
    print("| profile | scenario | server | requests/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row.profile} | {row.scenario} | {row.server} | {row.rps:.0f} | "
            f"{row.p50_ms:.1f} | {row.p99_ms:.1f} | {row.errors} |"
        )
    print()
    print("SQL queries per read request (3 users or sellers, limit 1 and 100, each profile):")
    for name, counts in queries.items():
        print(f"  {name:<14} {' '.join(map(str, counts))}")
    print()

    def find(scenario: str, server: str, profile: str) -> Row | None:
        return next(
            (r for r in rows if (r.scenario, r.server, r.profile) == (scenario, server, profile)),
            None,
        )

    def target(name: str, measured: str, bound: str, ok: bool | None) -> None:
        result = "not run (smoke)" if ok is None else verdict(ok)
        print(f"| {name} | {measured} | {bound} | {result} |")

    print("| target | measured | bound | result |")
    print("|---|---:|---:|---|")
    parley_small, floor_small = find("list", "parley", "small"), find("list", "floor", "small")
    assert parley_small and floor_small
    ratio = parley_small.rps / floor_small.rps
    target("list throughput, Parley / floor (small)", f"{ratio:.2f}", ">= 0.50", ratio >= 0.5)
    # The product page's Q&A (issue 12): the full answer and a cached copy's revalidation,
    # each as a ratio to the floor's list page measured in the same turns (context), and the
    # target of the cache: a 304 (one query, no body) costs well under a full answer.
    questions: dict[str, float] = {}
    for scenario in ("questions", "questions 304"):
        answer = find(scenario, "parley", "small")
        beside = find(f"list (beside {scenario})", "floor", "small")
        assert answer and beside
        questions[scenario] = answer.rps
        print(
            f"| (context) {scenario} throughput / list floor | {answer.rps / beside.rps:.2f} | | |"
        )
    ratio = questions["questions 304"] / questions["questions"]
    target("questions throughput, 304 / full answer", f"{ratio:.2f}", ">= 2.00", ratio >= 2)
    parley_large, floor_large = find("list", "parley", "large"), find("list", "floor", "large")
    if parley_large and floor_large:
        ratio = parley_large.rps / floor_large.rps
        target("list throughput, Parley / floor (large)", f"{ratio:.2f}", ">= 0.50", ratio >= 0.5)
        ratio = parley_large.p50_ms / parley_small.p50_ms
        target("list p50, large / small (Parley)", f"{ratio:.2f}", "<= 1.20", ratio <= 1.2)
        # Context, not a target: the same ratio for the floor says how much of it is the
        # pages themselves (the drawn users' pages hold more or fewer messages).
        print(
            f"| (context) list p50, large / small (floor) | "
            f"{floor_large.p50_ms / floor_small.p50_ms:.2f} | | |"
        )
    else:
        target("list p50, large / small (Parley)", "n/a", "<= 1.20", None)
    subjects, unread = find("subjects", "parley", "small"), find("unread", "parley", "small")
    if subjects and unread:
        ratio = unread.rps / subjects.rps
        target(
            "unread badge throughput / subjects (small)", f"{ratio:.2f}", ">= 0.80", ratio >= 0.8
        )
    api_list = next((r for r in rows if r.scenario == "inbox seller list"), None)
    for scenario, tab_name in (("inbox list", "All"), ("inbox needs reply", "Needs reply")):
        inbox_page = next((r for r in rows if r.scenario == scenario), None)
        if inbox_page and api_list:
            # Context, not a target: the inbox page against the API list of the same seller.
            print(
                f"| (context) inbox page ({tab_name}) p50 / seller API list p50 "
                f"({inbox_page.profile}, {inbox_page.p50_ms:.1f} / {api_list.p50_ms:.1f} ms) | "
                f"{inbox_page.p50_ms / api_list.p50_ms:.2f} | | |"
            )
    for name, counts in queries.items():
        ceiling = QUERY_CEILINGS[name]
        spread = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"
        target(f"SQL queries per request: {name}", spread, f"<= {ceiling}", max(counts) <= ceiling)
    first, second = mode.rss_requests
    ratio = rss[1] / rss[0]
    target(
        f"worker RSS after {second:,} / after {first:,} requests",
        f"{ratio:.3f} ({rss[0] // 1024} -> {rss[1] // 1024} MiB)",
        "<= 1.10",
        ratio <= 1.1,
    )
    ratio = mail[0] / mail[1]
    target(
        f"mail drain, worker / bare smtplib ({mode.emails:,} e-mails)",
        f"{ratio:.2f} ({mail[0]:.0f} vs {mail[1]:.0f} per s)",
        ">= 0.50",
        ratio >= 0.5,
    )
    target(
        "moderation check of a 5,000-character message, p50 (in process)",
        f"{moderation['p50_ms']:.2f} ms (p99 {moderation['p99_ms']:.2f}, "
        f"CPU p50 {moderation['cpu_p50_ms']:.2f}, load {moderation['load_average']:.1f})",
        "< 5 ms",
        moderation["p50_ms"] < 5,
    )
    # Context, not a target: the same run's posts of an innocent 5,000-character message in
    # process (in-memory SQLite, so the post is cheaper than a real one and the ratios higher).
    print(
        f"| (context) 5,000-character message post, checked / unchecked, p50 (in process) | "
        f"{moderation['post_ratio']:.2f} (check / checked post "
        f"{moderation['check_share']:.2f}) | | |"
    )
    ratio = webhooks[0] / webhooks[1]
    target(
        f"webhook deliveries, worker / bare httpx ({mode.webhooks:,})",
        f"{ratio:.2f} ({webhooks[0]:.0f} vs {webhooks[1]:.0f} per s, load {webhooks[2]:.1f})",
        ">= 0.50",
        ratio >= 0.5,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small profile, short runs")
    parser.add_argument(
        "--similar", action="store_true", help="only the similar-questions rows and memory"
    )
    options = parser.parse_args()
    mode = MODES["smoke" if options.smoke else "full"]
    if options.similar:
        wrk_ensure()
        sink = SmtpSink(free_port())
        sink.start()
        try:
            return similar_only(sink, mode)
        except (BrokenSuite, subprocess.CalledProcessError, RuntimeError) as error:
            print(f"BROKEN: {error}", file=sys.stderr)
            return 1
        finally:
            sink.stop()
    started = time.monotonic()
    wrk_ensure()
    sink = SmtpSink(free_port())
    sink.start()
    rows: list[Row] = []
    try:
        print("== data", flush=True)
        generate("small", force=True)  # the write scenarios change it: start clean
        similar_seed("small")
        if mode.large:
            generate("large", force=False)
        profiles = ["small", "large"] if mode.large else ["small"]
        print(f"== load ({', '.join(profiles)})", flush=True)
        load(profiles, sink, mode, rows)
        material = json.loads((ROOT / "var/bench/small.json").read_text())
        queries = query_counts("small", material)
        if mode.large:
            large_queries = query_counts(
                "large", json.loads((ROOT / "var/bench/large.json").read_text())
            )
            for name, counts in large_queries.items():
                queries[name] = queries[name] + counts
        print("== memory", flush=True)
        rss = memory_growth(sink, material, mode)
        print("== mail", flush=True)
        mail = mail_drain(sink, "small", mode.emails)
        similar_memory = similar_rss("small")
        print("== moderation", flush=True)
        moderation = moderation_timing()
        print("== webhooks", flush=True)
        webhooks = (*webhook_drain(mode.webhooks), os.getloadavg()[0])
    except (BrokenSuite, subprocess.CalledProcessError, RuntimeError) as error:
        print(f"BROKEN: {error}", file=sys.stderr)
        return 1
    finally:
        sink.stop()
    report(rows, queries, rss, mail, mode, moderation, webhooks)
    similar_report(rows, similar_memory, mode)
    broken = [r for r in rows if r.errors or not r.requests]
    print(f"\n(suite ran in {time.monotonic() - started:.0f} s)")
    if broken:
        for row in broken:
            print(
                f"BROKEN: {row.profile} {row.scenario} {row.server}: {row.errors} errors, "
                f"{row.requests} requests",
                file=sys.stderr,
            )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
