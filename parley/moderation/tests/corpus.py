"""The labelled corpus (corpus.jsonl) and its figures, shared by the test and the docs.

Each line: `{"text", "language": "tr"|"en", "kind": null | "phone" | "email" | "link" | "iban" |
"messaging"}`; `kind` null is an innocent message."""

import json
from dataclasses import dataclass
from pathlib import Path

from parley.moderation.checks import Rules, finding_kinds, text_check

CORPUS = Path(__file__).with_name("corpus.jsonl")


@dataclass(frozen=True)
class Sample:
    text: str
    language: str
    kind: str | None


@dataclass
class Figures:
    contact: int
    innocent: int
    missed: list[Sample]
    false_positives: list[tuple[Sample, list[str]]]
    wrong_kind: list[tuple[Sample, list[str]]]

    @property
    def recall(self) -> float:
        return 1 - len(self.missed) / self.contact

    @property
    def false_positive_rate(self) -> float:
        return len(self.false_positives) / self.innocent


def corpus_load() -> list[Sample]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [Sample(**json.loads(line)) for line in lines if line.strip()]


def corpus_measure(samples: list[Sample], rules: Rules | None = None) -> Figures:
    figures = Figures(contact=0, innocent=0, missed=[], false_positives=[], wrong_kind=[])
    for sample in samples:
        kinds = finding_kinds(text_check(sample.text, rules=rules))
        if sample.kind is None:
            figures.innocent += 1
            if kinds:
                figures.false_positives.append((sample, kinds))
        else:
            figures.contact += 1
            if not kinds:
                figures.missed.append(sample)
            elif sample.kind not in kinds:
                figures.wrong_kind.append((sample, kinds))
    return figures


if __name__ == "__main__":  # python -m parley.moderation.tests.corpus: the figures for the docs
    figures = corpus_measure(corpus_load())
    print(f"contact {figures.contact}, innocent {figures.innocent}")
    print(f"recall {figures.recall:.4f}, false positives {figures.false_positive_rate:.4f}")
    for sample in figures.missed:
        print("missed:", sample)
    for sample, kinds in figures.false_positives:
        print("false positive:", sample, kinds)
    for sample, kinds in figures.wrong_kind:
        print("other kind:", sample, kinds)
