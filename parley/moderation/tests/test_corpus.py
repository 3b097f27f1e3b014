"""Recall and false positives of the whole pipeline on the labelled corpus (docs/MODERATION.md)."""

from collections import Counter

from parley.moderation.detectors import FindingKind
from parley.moderation.tests.corpus import corpus_load, corpus_measure


def test_the_corpus_is_large_bilingual_and_balanced():
    samples = corpus_load()
    assert len(samples) >= 300
    by_language_and_label = Counter((s.language, s.kind is None) for s in samples)
    assert set(by_language_and_label) == {("tr", True), ("tr", False), ("en", True), ("en", False)}
    contact = sum(1 for s in samples if s.kind is not None)
    assert 0.45 <= contact / len(samples) <= 0.55
    kinds = {s.kind for s in samples if s.kind is not None}
    assert kinds == set(FindingKind.ALL) - {FindingKind.FORBIDDEN_WORD}
    assert len({s.text for s in samples}) == len(samples), "no message twice"


def test_recall_is_at_least_097_and_false_positives_at_most_one_percent():
    figures = corpus_measure(corpus_load())
    missed = [s.text for s in figures.missed]
    flagged = [(s.text, kinds) for s, kinds in figures.false_positives]
    assert figures.recall >= 0.97, missed
    assert figures.false_positive_rate <= 0.01, flagged
