"""Django's PostgreSQL backend, reading timestamps with the standard library's C parser.

Django reads every `timestamptz` through its own loader (`BaseTzLoader`), a subclass of
psycopg's pure-Python one, so psycopg's C loader never runs, and the conversation pages
read many timestamps per request. `datetime.fromisoformat` reads PostgreSQL's ISO output
(the `DateStyle` that Django's connections use) faster (figures: docs/PERFORMANCE.md);
anything it does not read (`infinity`, BC dates,
years past 9999) goes to Django's loader, which answers as it always did.

Settings select it for a `postgres://` DATABASE_URL (config/settings/base.py).
"""

from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base, psycopg_any
from psycopg import adapt


class TimestamptzLoader(psycopg_any.BaseTzLoader):
    def load(self, data: Any) -> datetime:
        if self.timezone is None:  # USE_TZ = False, which Parley does not use
            return super().load(data)
        try:
            value = datetime.fromisoformat(bytes(data).decode())
        except ValueError:
            return super().load(data)
        # The same instant as Django's loader gives, in its zone (and DST fold).
        return value.astimezone(self.timezone)


@lru_cache
def adapters_template(use_tz: bool, timezone: Any) -> adapt.AdaptersMap:
    """Django's adapters for the connection, with the faster loader for `timestamptz`; its
    `timezone` is what Django checks before it would register its own loader per cursor."""
    adapters = adapt.AdaptersMap(psycopg_any.get_adapters_template(use_tz, timezone))
    loader = type(
        "TimestamptzLoader", (TimestamptzLoader,), {"timezone": timezone, "__module__": __name__}
    )
    adapters.register_loader("timestamptz", loader)
    return adapters


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        params["context"] = adapters_template(settings.USE_TZ, self.timezone)
        return params
