"""Header safety: nothing a client typed can add a header line or a path to a file name."""

import os
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_FILENAME_BYTES = 255


def _is_control(char: str) -> bool:
    # Cc: C0/C1 controls (CR, LF, NUL, ...); Cf: invisible format characters such as the
    # right-to-left override that can disguise `exe.pdf` as `fdp.exe`; Cs: lone surrogates,
    # which no header or file system can encode (encoding one raised: a 500).
    return unicodedata.category(char) in {"Cc", "Cf", "Cs"}


def header_text_clean(value: str) -> str:
    """One header line: every control character (CR and LF above all) becomes a space."""
    cleaned = "".join(" " if _is_control(char) else char for char in value)
    return " ".join(cleaned.split())


def address_validate(address: str) -> str:
    """An address for To/Reply-To: refused outright if it could smuggle a header."""
    if not isinstance(address, str) or any(_is_control(char) for char in address):
        raise ValidationError(f"{address!r} is not a valid e-mail address.")
    address = address.strip()
    validate_email(address)
    return address


def filename_sanitise(name: str, *, default_stem: str = "attachment") -> str:
    """A display name that is safe in a header and on any file system.

    Path parts are dropped (both separators), control characters removed, leading dots
    stripped (no hidden files, no `..`), and the result capped at 255 UTF-8 bytes with the
    extension kept. Never used as a storage path: files are stored under random names.
    """
    name = unicodedata.normalize("NFC", str(name))
    name = "".join(char for char in name if not _is_control(char))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = name.strip().lstrip(".").strip()
    stem, ext = os.path.splitext(name)
    if not stem:
        stem = default_stem
    ext = ext[:16]
    budget = MAX_FILENAME_BYTES - len(ext.encode())
    stem_bytes = stem.encode()[:budget]
    stem = stem_bytes.decode(errors="ignore").strip() or default_stem
    return f"{stem}{ext}"
