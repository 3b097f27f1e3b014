"""Detectors: each reads the normalised text (normalize.py) and returns its findings.

Each is built on a kept library where one exists: phone numbers on `phonenumbers` (validity
for the region, not digit counting), domains on the Public Suffix List bundled with
`publicsuffixlist` (read from the package, never fetched), IBANs on `python-stdnum`'s
checksum. What looks like a contact detail but is not (order numbers, EAN-13 barcodes, cargo
tracking numbers, prices, dates, sizes, model codes) is told apart here, next to the rule it
is an exception to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import phonenumbers
from phonenumbers import Leniency, PhoneMetadata, PhoneNumberMatcher
from publicsuffixlist import PublicSuffixList
from stdnum import ean, iban


class FindingKind:
    PHONE = "phone"
    EMAIL = "email"
    LINK = "link"
    IBAN = "iban"
    MESSAGING = "messaging"
    FORBIDDEN_WORD = "forbidden_word"

    ALL = (PHONE, EMAIL, LINK, IBAN, MESSAGING, FORBIDDEN_WORD)


@dataclass(frozen=True)
class Finding:
    """One contact detail or forbidden word. `start`/`end` index the normalised text and are
    meant for logs; the matched text itself is never kept, logged or echoed."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class DetectorSettings:
    phone_region: str = "TR"
    allowed_domains: tuple[str, ...] = ()


# --- phone numbers ---------------------------------------------------------------------------

# A number right after one of these labels is an order, tracking, barcode or product number,
# unless it is written the way only phone numbers are (international, or a Turkish mobile with
# its trunk prefix).
_NUMBER_LABELS = frozenset(
    re.findall(
        r"\S+",
        """siparis order takip tracking track kargo cargo gonderi shipment waybill barkod
        barcode ean gtin fatura invoice irsaliye seri serial imei sku stok stock urun product
        model ref referans reference fis receipt iade return kupon coupon paket parcel ilan
        listing vergi tax vat parti batch lot""",
    )
)
_LABEL_NOUNS = frozenset(["no", "numarasi", "number", "nr", "kodu", "code", "id", "#", "num"])
_PHONE_SHAPED = re.compile(r"^(?:\+|00|05\d{9}$)")
_DIGIT_GROUPS = re.compile(r"[+\d]\d*(?:[^a-z0-9\n]{1,3}\d+)*")
_GROUP = re.compile(r"\d+")
_WORDS = re.compile(r"[a-z]+")


def _labelled(text: str, start: int) -> bool:
    """Whether the number at `start` follows a label (`sipariş no:`, `tracking number`)."""
    words = _WORDS.findall(text, max(0, start - 32), start)[-2:]
    if not words:
        return False
    if words[-1] in _LABEL_NOUNS:
        return len(words) == 2 and words[0] in _NUMBER_LABELS
    return words[-1] in _NUMBER_LABELS


def _valid_phone(number: str, region: str) -> bool:
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed)


@lru_cache(maxsize=16)
def _region_numbers(region: str) -> tuple[re.Pattern[str], str]:
    """The region's valid national numbers as one pattern (the union of the library's patterns
    per number type) and its national prefix. A cheap sieve: a candidate that fails it cannot
    be valid, so the library's full (and much slower) validation runs only on the few that
    pass."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        raise ValueError(f"no phone number metadata for region {region!r}")
    descriptions = (
        metadata.fixed_line, metadata.mobile, metadata.toll_free, metadata.premium_rate,
        metadata.shared_cost, metadata.personal_number, metadata.voip, metadata.pager,
        metadata.uan, metadata.voicemail,
    )  # fmt: skip
    patterns = [d.national_number_pattern for d in descriptions if d and d.national_number_pattern]
    return re.compile("|".join(f"(?:{p})" for p in patterns)), metadata.national_prefix or ""


def _phone_digits_valid(digits: str, region: str) -> bool:
    """Whether a string of digits (maybe with a leading `+`) is a valid phone number, dialled
    from `region`: international (`+`, `00`) or national (with or without the trunk prefix)."""
    # No country calling code starts with 0.
    if digits.startswith("+"):
        return len(digits) > 8 and digits[1] != "0" and _valid_phone(digits, region)
    if digits.startswith("00"):
        return len(digits) > 9 and digits[2] != "0" and _valid_phone("+" + digits[2:], region)
    national_numbers, prefix = _region_numbers(region)
    national = digits[len(prefix) :] if prefix and digits.startswith(prefix) else digits
    return bool(national_numbers.fullmatch(national)) and _valid_phone(digits, region)


@dataclass(frozen=True)
class _DigitRun:
    """Digits and the separators between them (`0532 441-22 98`), as the spans of its groups."""

    start: int
    plus: bool
    groups: tuple[tuple[int, int], ...]

    @property
    def digits(self) -> int:
        return sum(end - start for start, end in self.groups)


@lru_cache(maxsize=2)
def _digit_runs(text: str) -> tuple[_DigitRun, ...]:
    """The runs of at least 7 digits (fewer hold no phone number and no IBAN), computed once
    per text for the phone and IBAN detectors."""
    runs = []
    for run in _DIGIT_GROUPS.finditer(text):
        if run.end() - run.start() < 7:
            continue  # the usual case: a short number
        groups = tuple(m.span() for m in _GROUP.finditer(text, run.start(), run.end()))
        found = _DigitRun(run.start(), run.group(0).startswith("+"), groups)
        if found.digits >= 7:
            runs.append(found)
    return tuple(runs)


def _phones_in_groups(text: str, region: str) -> Iterator[tuple[int, int]]:
    """Phone numbers spelled with any separators between the digits (`0-5-3-2 ...`,
    `0532*123*45*67`, `05 32 12 34 567`): every run of whole digit groups whose joined digits
    are a valid number."""
    for run in _digit_runs(text):
        groups, plus = run.groups, run.plus
        # After an order, tracking or barcode label only phone-shaped numbers count (below);
        # deciding that first spares the slow validation of every labelled number.
        labelled = _labelled(text, run.start)
        for first in range(len(groups)):
            digits = "+" if plus and first == 0 else ""
            for last in range(first, len(groups)):
                start, end = groups[last]
                digits += text[start:end]
                if len(digits) > 16:
                    break
                if len(digits) < 7 or (labelled and not _PHONE_SHAPED.match(digits)):
                    continue
                if _phone_digits_valid(digits, region):
                    yield groups[first][0] - (1 if plus and first == 0 else 0), end


# Where a number is written the international way, the library's matcher reads it (it knows
# every country's formats); everything else goes through the digit groups above.
# Each starts with a literal, which the regex engine skips to.
_INTERNATIONAL = (re.compile(r"\+\s*[1-9]"), re.compile(r"00(?<![\d+]00)\s*[1-9]"))
_WINDOW = 40  # the longest international number, written out with separators


def phones_find(text: str, settings: DetectorSettings) -> list[Finding]:
    spans = set(_phones_in_groups(text, settings.phone_region))
    for marker, pattern in zip(("+", "00"), _INTERNATIONAL, strict=True):
        if marker not in text:
            continue
        for international in pattern.finditer(text):
            offset = international.start()
            if any(start <= offset < end for start, end in spans):
                continue  # already read from its digit groups
            window = text[offset : offset + _WINDOW]
            region = settings.phone_region
            for match in PhoneNumberMatcher(window, region, leniency=Leniency.VALID):
                spans.add((offset + match.start, offset + match.end))
    findings = []
    for start, end in sorted(spans):
        digits = re.sub(r"[^\d+]", "", text[start:end])
        if _labelled(text, start) and not _PHONE_SHAPED.match(digits):
            continue
        if len(digits) == 13 and digits.isdigit() and ean.is_valid(digits):
            continue  # an EAN-13 barcode with a valid check digit
        findings.append(Finding(FindingKind.PHONE, start, end))
    return findings


# --- IBANs -----------------------------------------------------------------------------------

# The check digits first (digits are few, letters many, so the engine tries few places),
# then the two letters of the country before them, then the rest.
_IBAN_CHECK = re.compile(
    r"\d\d(?:(?<=(?<![a-z0-9])[a-z]{2}\d\d)|(?<=(?<![a-z0-9])[a-z]{2}[\s\-.]\d\d)"
    r"|(?<=(?<![a-z0-9])[a-z]{2}[\s\-.]{2}\d\d))"
)
_IBAN_COUNTRY = re.compile(r"([a-z]{2})[\s\-.]*\d\d$")
_IBAN_BODY = re.compile(r"(?:[\s\-.]*[a-z0-9]){10,32}")


@lru_cache(maxsize=1)
def _iban_lengths() -> dict[str, int]:
    """Each IBAN country's length, from python-stdnum's copy of the SWIFT registry."""
    registry = resources.files("stdnum").joinpath("iban.dat").read_text(encoding="utf-8")
    return {
        code.lower(): 4 + sum(int(n) for n in re.findall(r"(\d+)!", bban))
        for code, bban in re.findall(r'^([A-Z]{2}) .*?bban="([^"]+)"', registry, re.MULTILINE)
    }


def ibans_find(text: str, settings: DetectorSettings) -> list[Finding]:
    findings = []
    lengths = _iban_lengths()
    for check in _IBAN_CHECK.finditer(text):
        head = _IBAN_COUNTRY.search(text, max(0, check.start() - 4), check.end())
        body = _IBAN_BODY.match(text, check.end())
        if head is None or body is None:
            continue
        country = head.group(1)
        length = lengths.get(country)
        if length is None:
            continue
        digits = re.sub(r"[\s\-.]", "", body.group(0))[: length - 4]
        if len(digits) == length - 4 and iban.is_valid((country + check.group(0) + digits).upper()):
            findings.append(Finding(FindingKind.IBAN, head.start(), body.end()))
    for run in _digit_runs(text):
        # A Turkish IBAN written without its `TR`: 24 digits (in whole groups) that pass its
        # checksum.
        if run.digits < 24:
            continue
        for first in range(len(run.groups)):
            digits = ""
            for start, end in run.groups[first:]:
                digits += text[start:end]
                if len(digits) >= 24:
                    break
            if len(digits) == 24 and iban.is_valid("TR" + digits):
                findings.append(Finding(FindingKind.IBAN, run.groups[first][0], end))
                break
    return findings


# --- e-mail addresses, links -----------------------------------------------------------------

_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+\-]*@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*")
_FREE_MAIL = re.compile(
    r"@(?:gmail|hotmail|outlook|yahoo|yandex|icloud|live|msn|protonmail|proton|gmx|aol|"
    r"windowslive|superonline|ttmail|mynet)\b"
)
_URL = re.compile(r"(?:h[tx]{2}ps?|ftp)\s*:\s*/\s*/\s*([^\s/?#]+)|\bwww\s*\.\s*([^\s/?#]+)")
_URL_MARKER = re.compile(r"www|:\s*/\s*/")
_DOMAIN = re.compile(r"((?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,24})(?![a-z0-9\-])(/\S*)?")
_DOMAIN_DOT = re.compile(r"\.(?=[a-z])")
_HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")


def _domains_iter(text: str) -> Iterator[re.Match[str]]:
    """Host names: found from their dots (a literal the regex engine skips to), each read from
    the start of its name; a name right after `@` is an e-mail's, not a link."""
    covered = 0
    for dot in _DOMAIN_DOT.finditer(text):
        position = dot.start()
        if position < covered or position == 0 or not text[position - 1].isalnum():
            continue
        start = position
        while start > 0 and text[start - 1] in _HOST_CHARACTERS:
            start -= 1
        if start > 0 and text[start - 1] == "@":
            covered = position + 1
            continue
        match = _DOMAIN.match(text, start)
        if match:
            covered = match.end()
            yield match


# Endings that are also everyday words; a bare `word.is` or `word.me` is a typo far more often
# than a link, so these count only with a scheme, `www.` or a path.
_WORD_ENDINGS = frozenset(
    re.findall(
        r"\w+",
        "am an as at be by de do go he hi in is it me mi my ne no of on or ki so to tv us ve ya",
    )
)
SHORTENERS = frozenset(
    re.findall(
        r"\S+",
        """bit.ly bitly.com tinyurl.com t.co goo.gl ow.ly is.gd buff.ly rebrand.ly cutt.ly
    shorturl.at t.ly rb.gy tiny.cc s.id lnkd.in wa.me t.me chat.whatsapp.com linktr.ee
    shorte.st adf.ly bl.ink v.gd qr.net tiny.one kisa.link kisalt.com ln.run""",
    )
)


@lru_cache(maxsize=1)
def _public_suffixes() -> PublicSuffixList:
    # The package's bundled list (publicsuffixlist/public_suffix_list.dat); never downloaded.
    return PublicSuffixList(only_icann=True)


def _domain_allowed(domain: str, settings: DetectorSettings) -> bool:
    if domain in SHORTENERS:
        return False
    return any(domain == own or domain.endswith("." + own) for own in settings.allowed_domains)


def _registrable(host: str) -> str | None:
    host = host.strip(".").split(":")[0]
    suffixes = _public_suffixes()
    if suffixes.publicsuffix(host, accept_unknown=False) is None:
        return None
    return suffixes.privatesuffix(host, accept_unknown=False)


def emails_find(text: str, settings: DetectorSettings) -> list[Finding]:
    findings: list[Finding] = []
    if "@" not in text:
        return findings
    for match in _EMAIL.finditer(text):
        host = match.group(0).rsplit("@", 1)[1]
        if _registrable(host) or _FREE_MAIL.search(match.group(0)):
            findings.append(Finding(FindingKind.EMAIL, match.start(), match.end()))
    return findings


def links_find(text: str, settings: DetectorSettings) -> list[Finding]:
    findings = []
    explicit: list[tuple[int, int]] = []
    for match in _URL.finditer(text) if _URL_MARKER.search(text) else ():
        host = (match.group(1) or "www." + (match.group(2) or "")).strip(".")
        explicit.append(match.span())
        registrable = _registrable(host)
        if registrable is None and host.startswith("www."):
            registrable = host[4:]
        if registrable and _domain_allowed(registrable, settings):
            continue
        if _domain_allowed(host, settings):
            continue
        findings.append(Finding(FindingKind.LINK, match.start(), match.end()))
    for match in _domains_iter(text):
        if any(start <= match.start() < end for start, end in explicit):
            continue
        host, path = match.group(1), match.group(2)
        registrable = _registrable(host)
        if registrable is None:
            continue
        if host.rsplit(".", 1)[1] in _WORD_ENDINGS and not path and host not in SHORTENERS:
            continue
        if _domain_allowed(registrable, settings) or _domain_allowed(host, settings):
            continue
        findings.append(Finding(FindingKind.LINK, match.start(), match.end()))
    return findings


# --- messaging apps and handles --------------------------------------------------------------

_MESSAGING = re.compile(
    r"(?<![a-z])(?:w+h?a+t+s+\s*a+p+|wh?ats?ap|v+a+t+s+a+p+|watsap|wapp|wpp?|whatsup|w\.app|"
    r"wa\.me|chat\.whatsapp|t\.me|tele\s*gram|telgram|tlgrm|insta\s*gram|instagram|insta|"
    r"instegram|snap\s*chat|snapchat|facebook|messenger|viber|skype|signal\s*(?:app|uygulama)|"
    r"wechat|line\s*id|discord|tiktok|kik)"
    # Turkish case endings attach to the name (`whatsapptan`, `instagramdan`, `wp'den`).
    r"(?:'?(?:[dt][ae]n|[dt][ae]|y?[ae]|[iu][mn]?|imiz|iniz))?(?![a-z])"
)
_HANDLE = re.compile(r"(?<![a-z0-9_.@])@[a-z0-9_][a-z0-9_.]{2,29}(?![a-z0-9_@])")


def messaging_find(text: str, settings: DetectorSettings) -> list[Finding]:
    findings = [Finding(FindingKind.MESSAGING, *m.span()) for m in _MESSAGING.finditer(text)]
    if "@" in text:
        findings += [Finding(FindingKind.MESSAGING, *m.span()) for m in _HANDLE.finditer(text)]
    return findings


DETECTORS = (phones_find, ibans_find, emails_find, links_find, messaging_find)
