"""File names a client sent, made safe to show: in a header, in a page, on any file system.

At the bottom layer so that every app shares it: the mail outbox (attachment names), the
shared file checker (`parley.core.files`) and the downloads of message attachments."""

import os
import unicodedata

MAX_FILENAME_BYTES = 255


def is_control(char: str) -> bool:
    # Cc: C0/C1 controls (CR, LF, NUL, ...); Cf: invisible format characters such as the
    # right-to-left override that can disguise `exe.pdf` as `fdp.exe`; Cs: lone surrogates,
    # which no header or file system can encode (encoding one raised: a 500).
    return unicodedata.category(char) in {"Cc", "Cf", "Cs"}


def filename_sanitise(name: str, *, default_stem: str = "attachment") -> str:
    """A display name that is safe in a header and on any file system.

    Path parts are dropped (both separators), control characters removed, leading dots
    stripped (no hidden files, no `..`), and the result capped at 255 UTF-8 bytes with the
    extension kept. Never used as a storage path: files are stored under random names.
    """
    name = unicodedata.normalize("NFC", str(name))
    name = "".join(char for char in name if not is_control(char))
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
