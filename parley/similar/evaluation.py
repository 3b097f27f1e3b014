"""The labelled set (labelled_set.json) and the accuracy of a model on it.

Each query is searched among the questions of its own product, the way the endpoint
searches; the other questions of that product are the distractors. docs/SIMILAR.md holds the
figures for each candidate model and the misses."""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

LABELLED_SET = Path(__file__).with_name("labelled_set.json")


@dataclass(frozen=True)
class Miss:
    query: str
    expected: str
    found: str
    rank: int  # 1-based rank of the expected question


@dataclass
class Accuracy:
    queries: int = 0
    top1: int = 0
    top3: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def top1_ratio(self) -> float:
        return self.top1 / self.queries

    @property
    def top3_ratio(self) -> float:
        return self.top3 / self.queries


def labelled_set_load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(LABELLED_SET.read_text(encoding="utf-8"))
    return data


def accuracy_measure(
    embed: Callable[[Sequence[str]], np.ndarray], data: dict[str, Any] | None = None
) -> Accuracy:
    """Top-1 and top-3 accuracy of `embed` (unit-length rows) on the labelled set."""
    data = data or labelled_set_load()
    products: dict[str, tuple[list[str], np.ndarray]] = {}
    for key, product in data["products"].items():
        ids = list(product["questions"])
        products[key] = (ids, embed([product["questions"][i] for i in ids]))
    queries = data["queries"]
    query_vectors = embed([query["q"] for query in queries])
    result = Accuracy()
    for query, vector in zip(queries, query_vectors, strict=True):
        ids, matrix = products[query["product"]]
        ranked = [ids[i] for i in np.argsort(-(matrix @ vector), kind="stable")]
        rank = ranked.index(query["expected"]) + 1
        result.queries += 1
        result.top1 += rank == 1
        result.top3 += rank <= 3
        if rank > 1:
            result.misses.append(Miss(query["q"], query["expected"], ranked[0], rank))
    return result
