"""The checking pipeline's one entry point: text in, findings out.

    findings = text_check("ara beni sıfır beş yüz otuz iki ...", rules=rules)

Pure: no database, no settings, no request. `Rules` carries what varies (the phone region,
the shop's own domains, the forbidden words); `parley.moderation.services` builds it from
the settings and the admin's word list, and decides what to do with the findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from parley.moderation.detectors import DETECTORS, DetectorSettings, Finding, FindingKind
from parley.moderation.normalize import text_normalize


def forbidden_words_compile(words: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for the whole list, matched in one pass over the normalised text: each word
    (or phrase) normalised like the text, whole words only, longest first."""
    folded = {" ".join(text_normalize(word).split()) for word in words}
    folded.discard("")
    if not folded:
        return None
    alternatives = "|".join(
        r"\s+".join(re.escape(part) for part in word.split())
        for word in sorted(folded, key=len, reverse=True)
    )
    return re.compile(r"(?<![a-z0-9])(?:" + alternatives + r")(?![a-z0-9])")


@dataclass(frozen=True)
class Rules:
    phone_region: str = "TR"
    allowed_domains: tuple[str, ...] = ()
    forbidden_words: re.Pattern[str] | None = field(default=None, compare=False)


def text_check(text: str, *, rules: Rules | None = None) -> list[Finding]:
    """Every contact detail and forbidden word in `text`, in order of position."""
    rules = rules or Rules()
    normalised = text_normalize(text)
    settings = DetectorSettings(
        phone_region=rules.phone_region,
        allowed_domains=tuple(domain.lower().strip(".") for domain in rules.allowed_domains),
    )
    findings: list[Finding] = []
    for detector in DETECTORS:
        findings.extend(detector(normalised, settings))
    if rules.forbidden_words is not None:
        findings.extend(
            Finding(FindingKind.FORBIDDEN_WORD, *match.span())
            for match in rules.forbidden_words.finditer(normalised)
        )
    return _overlaps_merge(findings)


def _overlaps_merge(findings: list[Finding]) -> list[Finding]:
    """One finding per stretch of text and kind (two detectors, or two readings of one
    number, may report the same detail)."""
    merged: list[Finding] = []
    for finding in sorted(findings, key=lambda finding: (finding.kind, finding.start)):
        last = merged[-1] if merged else None
        if last and last.kind == finding.kind and finding.start < last.end:
            merged[-1] = Finding(last.kind, last.start, max(last.end, finding.end))
        else:
            merged.append(finding)
    return sorted(merged, key=lambda finding: (finding.start, finding.kind))


def finding_kinds(findings: Iterable[Finding]) -> list[str]:
    """The kinds found, each once, in FindingKind.ALL's order."""
    present = {finding.kind for finding in findings}
    return [kind for kind in FindingKind.ALL if kind in present]
