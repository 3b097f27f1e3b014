"""Plumbing that every API view shares: the id in a path."""

from rest_framework.exceptions import NotFound

from parley.core.validators import MAX_ID


def path_id(raw: str) -> int:
    """An id from the path: any segment reaches the view (`<str:...>` routes), so a malformed
    or absurd one is a JSON 404 rather than a database error."""
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
        raise NotFound()
    return int(raw)
