"""The chosen model on the labelled set: the bars the issue sets, measured, not assumed."""

from collections import Counter

import numpy as np
import pytest

from parley.similar import embeddings
from parley.similar.evaluation import accuracy_measure, labelled_set_load


def test_the_labelled_set_is_what_the_docs_say() -> None:
    data = labelled_set_load()
    queries = data["queries"]
    languages = Counter(query["lang"] for query in queries)
    cross_language = [q for q in queries if q["lang"] != q["expected"].split("-")[0]]
    assert len(queries) >= 60
    assert languages["tr"] >= 2 * len(queries) // 3 - 1
    assert languages["en"] >= len(queries) // 3 - 1
    assert len(cross_language) >= 10
    for query in queries:
        questions = data["products"][query["product"]]["questions"]
        assert query["expected"] in questions
        assert len(questions) >= 6  # the others are the distractors
        assert query["q"] not in questions.values()  # a paraphrase, never the question itself


@pytest.mark.parametrize("model", sorted(embeddings.MODELS))
def test_each_shipped_model_reaches_the_bars(model: str, settings: object) -> None:
    settings.PARLEY_SIMILAR_MODEL = model  # type: ignore[attr-defined]
    accuracy = accuracy_measure(embeddings.embed)
    assert accuracy.queries == len(labelled_set_load()["queries"])
    assert accuracy.top3_ratio >= 0.9, accuracy.misses
    assert accuracy.top1_ratio >= 0.7, accuracy.misses


def test_vectors_are_unit_length_float32_rows_and_stable(settings: object) -> None:
    settings.PARLEY_SIMILAR_MODEL = embeddings.USE_MULTILINGUAL  # type: ignore[attr-defined]
    texts = ["Kargo ne zaman gelir?", "How long is the warranty?"]
    first = embeddings.embed(texts)
    assert first.dtype == np.float32
    assert first.shape == (2, embeddings.embedder().dimensions)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), [1.0, 1.0], rtol=1e-5)
    np.testing.assert_allclose(embeddings.embed(texts[:1])[0], first[0], rtol=1e-5, atol=1e-6)
    assert embeddings.embed([]).shape == (0, embeddings.embedder().dimensions)


def test_the_model_loads_once_per_process(settings: object) -> None:
    settings.PARLEY_SIMILAR_MODEL = embeddings.USE_MULTILINGUAL  # type: ignore[attr-defined]
    assert embeddings.embedder() is embeddings.embedder()
    assert embeddings.is_loaded()


def test_none_turns_the_model_off(settings: object) -> None:
    settings.PARLEY_SIMILAR_MODEL = embeddings.MODEL_NONE  # type: ignore[attr-defined]
    assert not embeddings.is_enabled()
    with pytest.raises(embeddings.SimilarDisabled):
        embeddings.embed(["Kargo ne zaman gelir?"])
