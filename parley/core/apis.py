"""Plumbing the API views share."""

from rest_framework.exceptions import NotFound

# The largest id a database column holds: past it a lookup would be a database error.
MAX_ID = 2**63 - 1


def path_id(raw: str) -> int:
    """An id from the path: any segment reaches the view, so a malformed or absurd one is a
    JSON 404 rather than a database error."""
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
        raise NotFound()
    return int(raw)
