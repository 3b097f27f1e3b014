"""The form of a seller API key and how it is stored.

A key is `psk_` followed by 40 letters and digits (about 238 random bits). It is stored as the
hex SHA-256 of the whole key: a fast hash is right for a key of that entropy (nobody can
enumerate 2^238 candidates, so the slow, salted hashes that protect guessable passwords buy
nothing) and it lets every request find its token with one indexed equality lookup.
"""

import hashlib
import hmac
import re
import secrets
import string

KEY_SCHEME = "psk_"
ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 40
PREFIX_LENGTH = 8
KEY_PATTERN = re.compile(rf"{KEY_SCHEME}[A-Za-z0-9]{{{SECRET_LENGTH}}}")


def key_generate() -> str:
    return KEY_SCHEME + "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))


def key_derive(*, secret: str, label: str) -> str:
    """A key that is always the same for the same secret and label (the demo's, only)."""
    number = int.from_bytes(
        hmac.new(secret.encode(), label.encode(), hashlib.sha512).digest(), "big"
    )
    chars = []
    for _ in range(SECRET_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return KEY_SCHEME + "".join(chars)


def key_is_well_formed(key: str) -> bool:
    return KEY_PATTERN.fullmatch(key) is not None


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str:
    return key[len(KEY_SCHEME) : len(KEY_SCHEME) + PREFIX_LENGTH]
