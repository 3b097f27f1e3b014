"""Standard Webhooks signatures, made by the `standardwebhooks` library (never by hand)."""

import base64
import functools
import secrets
from collections.abc import Iterable
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32


def secret_generate() -> str:
    """A new signing secret: `whsec_` and 32 random bytes in base64, as the spec suggests."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


@functools.lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    return Webhook(secret)


def signature_header(
    *, secrets_in_force: Iterable[str], message_id: str, timestamp: datetime, body: str
) -> str:
    """`webhook-signature`: one `v1,<base64>` per secret in force, space-separated (the new
    secret first, then the old one during a rotation's overlap)."""
    return " ".join(
        _signer(secret).sign(msg_id=message_id, timestamp=timestamp, data=body)
        for secret in secrets_in_force
    )
