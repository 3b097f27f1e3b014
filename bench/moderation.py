"""How long the contact-detail check takes on a 5,000-character message (the longest a message
may be), in process, and what it adds to a message post: the figures behind "the check never
shows in a message post's latency".

    python bench/moderation.py [--runs 400] [--json]

Each run checks a different message, built from the labelled corpus's sentences (innocent ones
for most of it; every other message also carries one contact detail), cut to exactly 5,000
characters, so no cache inside the pipeline can answer from a previous run. In the same loop,
interleaved so that the machine's load falls on all of them alike, a customer posts an
innocent 5,000-character message through the whole Django stack (the test client, the test
settings' in-memory SQLite) twice: once with the conversation type's policy `off` and once with
`block` (checked, and stored since it is innocent). Prints the medians and 99th percentiles
of the wall-clock time (time.perf_counter), the check's thread CPU time (time.thread_time), the
ratios (post checked / post unchecked, check / post checked) and the load average.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import THROTTLES  # noqa: E402
from parley.moderation.checks import text_check  # noqa: E402
from parley.moderation.tests.corpus import corpus_load  # noqa: E402

LENGTH = 5_000


def messages(count: int, seed: int = 2026, with_contact: bool = True) -> list[str]:
    samples = corpus_load()
    innocent = [s.text for s in samples if s.kind is None]
    contact = [s.text for s in samples if s.kind is not None]
    chooser = random.Random(seed)
    built = []
    for index in range(count):
        detail = chooser.choice(contact) + " " if with_contact and index % 2 else ""
        text = ""
        while len(text) < LENGTH - len(detail):
            text += chooser.choice(innocent) + " "
        built.append((text[: LENGTH - len(detail)] + detail)[:LENGTH])
    return built


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _posting() -> Any:
    """A migrated in-memory database, a customer and a seller, and a function that posts one
    message through the customer API under a given policy and returns its wall-clock time."""
    os.environ.pop("DATABASE_URL", None)  # the test settings' in-memory SQLite
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["PARLEY_THROTTLE_RATES"] = THROTTLES  # the benchmark's: no throttle in the way
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from constance import config
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from parley.accounts.tests.factories import UserFactory
    from parley.catalog.tests.factories import DataSourceFactory

    call_command("migrate", verbosity=0)
    user = UserFactory.create()
    client = APIClient()
    client.force_login(user)
    body = {
        "conversation_type": "message",
        "user": user.pk,
        "user_type": "registered",
        "content_type": "user",
        "content_id": user.pk,
    }
    conversation, seller, appended = 0, 0, 0

    def post(text: str, policy: str) -> float:
        nonlocal conversation, seller, appended
        if appended % 900 == 0:  # a conversation holds 1,000 messages at most: a new seller's
            config.MODERATION_POLICY_MESSAGE = "off"
            seller = DataSourceFactory.create().pk
            opening = {**body, "datasource": seller, "message_content": "Merhaba"}
            conversation = client.post("/users/conversations/", opening, format="json").json()["id"]
        config.MODERATION_POLICY_MESSAGE = policy
        message = {**body, "datasource": seller, "conversation": conversation}
        message["message_content"] = text
        started = time.perf_counter()
        response = client.post("/users/conversations/", message, format="json")
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 201:
            raise RuntimeError(f"message post: {response.status_code} {response.content!r}")
        appended += 1
        return elapsed

    return post


def moderation_check_timing(runs: int = 400) -> dict[str, float]:
    texts = messages(runs)
    innocent = messages(runs, seed=2027, with_contact=False)
    post = _posting()
    for text in texts[:5]:
        text_check(text)  # the first call loads the tables (confusables, suffix list)
    for text in innocent[:5]:
        post(text, "off"), post(text, "block")  # and the first posts, Django's
    wall, cpu, unchecked, checked = [], [], [], []
    for index, (text, plain) in enumerate(zip(texts, innocent, strict=True)):
        started, started_cpu = time.perf_counter(), time.thread_time()
        text_check(text)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        for policy in ("off", "block") if index % 2 else ("block", "off"):
            (unchecked if policy == "off" else checked).append(post(plain, policy))
    p50, checked_p50 = statistics.median(wall), statistics.median(checked)
    return {
        "characters": LENGTH,
        "runs": runs,
        "p50_ms": p50,
        "p99_ms": percentile(wall, 0.99),
        "cpu_p50_ms": statistics.median(cpu),
        "cpu_p99_ms": percentile(cpu, 0.99),
        "post_unchecked_p50_ms": statistics.median(unchecked),
        "post_checked_p50_ms": checked_p50,
        "post_checked_p99_ms": percentile(checked, 0.99),
        "post_ratio": checked_p50 / statistics.median(unchecked),
        "check_share": p50 / checked_p50,
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--json", action="store_true", help="one JSON object, for bench/run.py")
    options = parser.parse_args()
    figures = moderation_check_timing(options.runs)
    if options.json:
        print(json.dumps(figures))
        return
    print(
        f"moderation check, {LENGTH:,} characters, {options.runs} messages: "
        f"p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms "
        f"(CPU p50 {figures['cpu_p50_ms']:.2f} ms, p99 {figures['cpu_p99_ms']:.2f} ms)\n"
        f"message post of {LENGTH:,} innocent characters, in process: p50 "
        f"{figures['post_unchecked_p50_ms']:.2f} ms unchecked, "
        f"{figures['post_checked_p50_ms']:.2f} ms checked "
        f"(p99 {figures['post_checked_p99_ms']:.2f} ms)\n"
        f"ratios: post checked / unchecked {figures['post_ratio']:.2f}, "
        f"check / post checked {figures['check_share']:.2f} "
        f"(load average {figures['load_average']:.2f}, {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
