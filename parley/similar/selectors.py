"""Reads for similar questions: rank one product's question vectors against a shopper's text.

The ranking is the cosine of the query's vector with each stored vector, in numpy (a product
holds at most a few hundred public questions). On PostgreSQL the same query that reads the
vectors also returns each question's words as the Turkish and English full-text
configurations see them (stemmed, without stop words), and the share of the query's words
that the question contains adds up to LEXICAL_WEIGHT to the score, so exact words still
count. docs/SIMILAR.md explains the figures."""

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from parley.similar import embeddings
from parley.similar.models import QuestionVector

# Below this score a question is not shown: on the labelled set 97% of the right answers
# score above it, while greetings and noise ("Merhaba", "asdf") score under 0.2.
MIN_SCORE = 0.30
# The most a full-text match can add to the cosine (all of the query's words in the question).
LEXICAL_WEIGHT = 0.15
TEXT_SEARCH_CONFIGURATIONS = ("turkish", "english")

_LEXEME = re.compile(r"'((?:[^']|'')+)'")


@dataclass(frozen=True)
class Match:
    conversation_id: int
    score: float


def _lexemes(tsvector_text: str | None) -> set[str]:
    return {m.group(1).replace("''", "'") for m in _LEXEME.finditer(tsvector_text or "")}


def _lexical_overlap(query_lexemes: list[set[str]], question_lexemes: list[set[str]]) -> float:
    """The largest share of the query's words found in the question, over the configurations."""
    best = 0.0
    for query_words, question_words in zip(query_lexemes, question_lexemes, strict=True):
        if query_words:
            best = max(best, len(query_words & question_words) / len(query_words))
    return best


def _tsvector_text(expression: SearchVector) -> Cast:
    return Cast(expression, output_field=TextField())


def similar_rank(*, product_id: int, query: str, limit: int) -> list[Match]:
    """The product's questions most like `query`, best first, at most `limit`, none below
    MIN_SCORE. One SQL query, plus the query's embedding (the model loads on first use)."""
    if not embeddings.is_enabled():
        return []
    rows = QuestionVector.objects.filter(product_id=product_id, model=embeddings.model_name())
    configs = TEXT_SEARCH_CONFIGURATIONS if connection.vendor == "postgresql" else ()
    words: dict[str, Any] = {}
    for config in configs:
        words[f"question_{config}"] = _tsvector_text(SearchVector("text", config=config))
        words[f"query_{config}"] = _tsvector_text(SearchVector(Value(query), config=config))
    fetched: list[tuple[Any, ...]] = list(
        rows.annotate(**words).values_list("conversation_id", "vector", *words)
    )
    if not fetched:
        return []
    import numpy as np  # here, so that a process that never searches never imports it

    query_vector = embeddings.embed([query])[0]
    matrix = np.vstack([np.frombuffer(bytes(row[1]), dtype=np.float32) for row in fetched])
    scores = matrix @ query_vector
    for index, row in enumerate(fetched):
        if configs:
            lexemes = [_lexemes(text) for text in row[2:]]  # question, query; per configuration
            scores[index] += LEXICAL_WEIGHT * _lexical_overlap(lexemes[1::2], lexemes[0::2])
    order = np.argsort(-scores, kind="stable")
    return [
        Match(conversation_id=int(fetched[i][0]), score=round(min(1.0, float(scores[i])), 4))
        for i in order[:limit]
        if scores[i] >= MIN_SCORE
    ]
