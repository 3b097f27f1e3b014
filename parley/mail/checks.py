"""System checks of the mail outbox."""

from typing import Any

from django.core.checks import CheckMessage, Error
from django.db import connections, router

from parley.mail.models import OutgoingEmail

# The claim is one `UPDATE … RETURNING` (worker.email_claim).
SQLITE_RETURNING = (3, 35, 0)


def check_database_returns_updated_rows(**kwargs: Any) -> list[CheckMessage]:
    connection = connections[router.db_for_write(OutgoingEmail)]
    if connection.vendor != "sqlite":
        return []
    import sqlite3

    if sqlite3.sqlite_version_info >= SQLITE_RETURNING:
        return []
    return [
        Error(
            f"SQLite {sqlite3.sqlite_version} cannot return the rows an UPDATE changes, "
            "which the mail worker's claim needs.",
            hint="Use SQLite 3.35 or later, or PostgreSQL through DATABASE_URL.",
            id="mail.E001",
        )
    ]
