"""The text the detectors read: the disguises of a contact detail taken off, so each detector
matches one plain spelling.

`text_normalize` never raises and never lengthens the text by more than the number words it
spells out; every step is a pure function of a string, in this order:

1. Unicode NFKC (full-width digits, ligatures, circled digits, `＠`);
2. zero-width, direction and other invisible characters removed;
3. letters of other scripts that look like Latin letters or digits (Cyrillic `о`, Greek `Ο`)
   replaced by them, from Unicode's confusables table (confusable-homoglyphs' bundled copy);
   digits of other scripts (`٠٥٣٢`) become ASCII digits;
4. Turkish case folding (`İ`→`i`, `I`→`ı`), then the Turkish letters and every accent folded
   to ASCII (`ı`→`i`, `ş`→`s`), so `İNSTAGRAM`, `ınstagram` and `instagram` meet;
5. number words in Turkish and English turned into digits where at least three of them run
   together (`sıfır beş yüz otuz iki` → `0 532`), since one or two are ordinary words
   (`bir`, `on`, `one`);
6. the letter `o` between digits read as a zero (`O532`);
7. `[at]`, `(at)`, `{at}`, ` at ` before a mail host, `[dot]`, `(nokta)`, `dot`, `nokta`
   spellings turned into `@` and `.`, and spaces around `@` and around a dot before a domain
   ending removed.

Separators between digits are left in place: the phone detector reads digit groups across
them (see detectors.py), which keeps prices and dates intact for the checks that tell them
apart.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs import utils as confusable_data

_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)


_SMALL_CAPITAL = re.compile(r"LATIN LETTER SMALL CAPITAL ([A-Z])$")


@lru_cache(maxsize=1)
def _lookalikes() -> dict[int, str]:
    """Non-ASCII characters that Unicode lists as confusable with one ASCII letter or digit.

    Read once from the package's bundled confusables.json (never fetched)."""
    table: dict[int, str] = {}
    for character, homoglyphs in confusable_data.load("confusables.json").items():
        if len(character) != 1 or character.isascii():
            continue
        for glyph in homoglyphs:
            target = glyph["c"]
            if len(target) == 1 and target.isascii() and target.isalnum():
                table[ord(character)] = target
                break
    for code in (*range(0x80, 0x3000), *range(0xA700, 0xAB70), *range(0x10000, 0x1FC00)):
        character = chr(code)
        # Digits of every script (Arabic-Indic, Devanagari, ...) read as ASCII digits.
        if character.isdecimal():
            table[code] = str(unicodedata.decimal(character))
            continue
        # Small capitals (`ᴊᴏʜɴ`), which neither NFKC nor the confusables table covers.
        small_capital = _SMALL_CAPITAL.match(unicodedata.name(character, ""))
        if small_capital and code not in table:
            table[code] = small_capital.group(1).lower()
    # The Turkish letters stay themselves here: step 4 folds them with their case rules.
    for turkish in "ıİşŞçÇğĞöÖüÜ":
        table.pop(ord(turkish), None)
    return table


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _lookalikes_replace(match: re.Match[str]) -> str:
    return match.group(0).translate(_lookalikes())


_COMBINING = re.compile(r"[\u0300-\u036f]+")


def _fold(text: str) -> str:
    """Turkish case folding, then ASCII. Turkish lower-cases `I` to `ı` and `İ` to `i`,
    English `I` to `i`; since `ı` then folds to `i` as well, both meet on `i`, and so do
    `İNSTAGRAM`, `ınstagram` and `instagram`. Accents go (`ş`→`s`); whatever is still not
    ASCII after that (emoji, symbols, letters of other scripts that look like no Latin
    letter) becomes a space, as a separator."""
    text = text.lower().replace("ı", "i")
    if text.isascii():
        return text
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return _NON_ASCII.sub(" ", text)


# Number words after folding (so `sıfır` is `sifir`, `üç` is `uc`).
_UNITS = {
    "sifir": 0, "bir": 1, "iki": 2, "uc": 3, "dort": 4, "bes": 5, "alti": 6, "yedi": 7,
    "sekiz": 8, "dokuz": 9,
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
_TEENS = {
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "on": 10, "yirmi": 20, "otuz": 30, "kirk": 40, "elli": 50, "altmis": 60, "yetmis": 70,
    "seksen": 80, "doksan": 90,
    "ten": 10, "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_HUNDREDS = {"yuz": 100, "hundred": 100}
_THOUSANDS = {"bin": 1000, "thousand": 1000}
_REPEATS = {"double": 2, "triple": 3}
_NUMBER_WORDS = _UNITS | _TEENS | _TENS | _HUNDREDS | _THOUSANDS | _REPEATS
_MIN_WORDS = 3


def _trie(words: list[str]) -> str:
    """An alternation of `words` nested by shared prefixes (`b(?:ir|es|in)`), which the regex
    engine tries one branch per first letter instead of one per word; longest first."""
    if not words or words == [""]:
        return ""
    branches = []
    for first in sorted({word[0] for word in words if word}):
        rests = [word[1:] for word in words if word.startswith(first)]
        optional = "" in rests
        inner = _trie(sorted((r for r in rests if r), key=len, reverse=True))
        if inner:
            branches.append(re.escape(first) + f"(?:{inner})" + ("?" if optional else ""))
        else:
            branches.append(re.escape(first))
    return "|".join(branches)


_WORD_RUN = re.compile(
    r"(?<![a-z0-9])(?:(?:" + _trie(list(_NUMBER_WORDS)) + r"|\d+)"
    r"(?![a-z0-9])[\s,.\-/]*){2,}"
)
_TOKEN = re.compile(r"[a-z]+|\d+")


def _spell_run(tokens: list[str]) -> list[str]:
    """A run of number words (and digit groups) as the digit groups it spells, e.g.
    `sifir bes yuz otuz iki` → `["0", "532"]`, `double five` → `["5", "5"]`."""
    groups: list[str] = []
    current: int | None = None
    last = ""  # the kind of the previous word: unit, teen, ten, hundred, thousand
    repeat = 1

    def flush() -> None:
        nonlocal current, last
        if current is not None:
            groups.append(str(current))
        current, last = None, ""

    for token in tokens:
        if token.isdigit():
            flush()
            groups.append(token)
            continue
        if token in _REPEATS:
            flush()
            repeat = _REPEATS[token]
            continue
        if token in _UNITS:
            value = _UNITS[token]
            if repeat > 1:
                flush()
                groups.extend([str(value)] * repeat)
                repeat = 1
                continue
            if current is not None and last in ("ten", "hundred", "thousand") and value:
                current += value
            else:
                flush()
                current = value
            last = "unit"
        elif token in _TEENS or token in _TENS:
            value = _TEENS.get(token) or _TENS[token]
            if current is not None and last in ("hundred", "thousand"):
                current += value
            else:
                flush()
                current = value
            last = "teen" if token in _TEENS else "ten"
        elif token in _HUNDREDS:
            if current is not None and last == "unit" and current < 10:
                current *= 100
            elif current is not None and last == "thousand":
                current += 100
            else:
                flush()
                current = 100
            last = "hundred"
        elif token in _THOUSANDS:
            if current is not None and last != "thousand" and current < 1000:
                current *= 1000
            else:
                flush()
                current = 1000
            last = "thousand"
    flush()
    return groups


def _number_words_to_digits(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        run = match.group(0)
        tokens = _TOKEN.findall(run)
        words = sum(1 for token in tokens if not token.isdigit())
        if words < _MIN_WORDS and not (words >= 2 and len(tokens) > words):
            return run
        trailing = run[len(run.rstrip(" ,.-/\t\n")) :]
        return " ".join(_spell_run(tokens)) + trailing

    return _WORD_RUN.sub(replace, text)


# `O532 l23 45 67`: the letters o and l standing for 0 and 1 among digits.
_LETTERS_IN_DIGITS = re.compile(r"(?<![a-z])[ol\d](?:[\s.\-]?[ol\d]){5,}(?![a-z])")
_LETTER_DIGITS = str.maketrans("ol", "01")
_LETTER_NEXT_TO_DIGIT = re.compile(r"\d[ol]|[ol]\d")


def _letters_in_digits(match: re.Match[str]) -> str:
    run = match.group(0)
    return run.translate(_LETTER_DIGITS) if sum(c.isdigit() for c in run) >= 4 else run


# `w h a t s a p p`, `G B 2 9 N W B K ...`: single letters and digits spaced out, joined.
_SPACED_OUT = re.compile(r"(?<![a-z0-9])[a-z0-9](?:[\s\-.*_|]{1,3}[a-z0-9](?![a-z0-9])){4,}")
_SPACING = re.compile(r"[\s\-.*_|]")


def _spaced_out_join(match: re.Match[str]) -> str:
    # Digits alone stay apart: the phone detector reads digit groups across any separators,
    # and joining them would glue a number to the digits around it.
    run = match.group(0)
    return _SPACING.sub("", run) if any(c.isalpha() for c in run) else run


_MAIL_HOSTS = (
    "gmail|hotmail|outlook|yahoo|yandex|icloud|live|msn|mail|protonmail|proton|gmx|aol|"
    "windowslive|superonline|ttmail|turk\\.net|e-posta"
)
_AT_BRACKETED = re.compile(r"\s*[\[\(\{<]\s*(?:at|et|@)\s*[\]\)\}>]\s*")
_AT_WORD = re.compile(r"\s+(?:at|et)\s+(?=(?:" + _MAIL_HOSTS + r")\b)")
_AT_SPACED = re.compile(
    r"(?<=[a-z0-9_.])(?:\s+@\s+|@\s+)"
    r"(?=(?:[a-z0-9\-]+\s*\.\s*[a-z]{2,}|(?:" + _MAIL_HOSTS + r")\b))"
)
_DOT_BRACKETED = re.compile(r"\s*[\[\(\{<]\s*(?:dot|nokta|\.)\s*[\]\)\}>]\s*")
_DOT_WORD = re.compile(r"(?<=[a-z0-9])\s+(?:dot|nokta|noktasi)\s+(?=[a-z0-9])")
_DOMAIN_ENDINGS = (
    r"(?:com|net|org|info|biz|co|io|me|ly|gl|tr|shop|store|site|online|xyz|app|link)\b"
)
# `gmail . com`, `gmail. com`, `gmail .com` (the literal dot first, so the engine skips to it).
_DOT_SPACED = re.compile(r"\.\s+(?=" + _DOMAIN_ENDINGS + r")|\s+\.\s*(?=" + _DOMAIN_ENDINGS + r")")


_BRACKETED = re.compile(r"[\[\(\{<]\s*(?:at|et|@|dot|nokta|\.)\s*[\]\)\}>]")


def _address_spellings(text: str) -> str:
    # Each rewrite runs only where its marker occurs: most messages have none of them.
    if _BRACKETED.search(text):
        text = _AT_BRACKETED.sub("@", text)
        text = _DOT_BRACKETED.sub(".", text)
    text = _AT_WORD.sub("@", text)
    if "@" in text:
        text = _AT_SPACED.sub("@", text)
    if "dot" in text or "nokta" in text:
        text = _DOT_WORD.sub(".", text)
    return _DOT_SPACED.sub(".", text)


def text_normalize(text: str) -> str:
    """The normalised, folded, lower-case text the detectors read (see the module's doc)."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    if not text.isascii():
        text = _NON_ASCII.sub(_lookalikes_replace, text)
    text = _fold(text)
    text = _number_words_to_digits(text)
    if _LETTER_NEXT_TO_DIGIT.search(text):
        text = _LETTERS_IN_DIGITS.sub(_letters_in_digits, text)
    text = _SPACED_OUT.sub(_spaced_out_join, text)
    return _address_spellings(text)
