"""How long the contact-detail check takes on a 5,000-character message (the longest a message
may be), in process: the figure behind "the check never shows in a message post's latency".

    python bench/moderation.py [--runs 400] [--json]

Each run checks a different message, built from the labelled corpus's sentences (innocent ones
for most of it; every other message also carries one contact detail), cut to exactly 5,000
characters, so no cache inside the pipeline can answer from a previous run. Prints the
median and the 99th percentile of the wall-clock time (time.perf_counter) and, for context on
a shared machine, of the thread's CPU time (time.thread_time).
"""

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parley.moderation.checks import text_check  # noqa: E402
from parley.moderation.tests.corpus import corpus_load  # noqa: E402

LENGTH = 5_000


def messages(count: int, seed: int = 2026) -> list[str]:
    samples = corpus_load()
    innocent = [s.text for s in samples if s.kind is None]
    contact = [s.text for s in samples if s.kind is not None]
    chooser = random.Random(seed)
    built = []
    for index in range(count):
        detail = chooser.choice(contact) + " " if index % 2 else ""
        text = ""
        while len(text) < LENGTH - len(detail):
            text += chooser.choice(innocent) + " "
        built.append((text[: LENGTH - len(detail)] + detail)[:LENGTH])
    return built


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def moderation_check_timing(runs: int = 400) -> dict[str, float]:
    texts = messages(runs)
    for text in texts[:5]:
        text_check(text)  # the first call loads the tables (confusables, suffix list)
    wall, cpu = [], []
    for text in texts:
        started, started_cpu = time.perf_counter(), time.thread_time()
        text_check(text)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return {
        "characters": LENGTH,
        "runs": runs,
        "p50_ms": statistics.median(wall),
        "p99_ms": percentile(wall, 0.99),
        "cpu_p50_ms": statistics.median(cpu),
        "cpu_p99_ms": percentile(cpu, 0.99),
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
        f"(CPU p50 {figures['cpu_p50_ms']:.2f} ms, p99 {figures['cpu_p99_ms']:.2f} ms)"
    )


if __name__ == "__main__":
    main()
