"""Parley's PostgreSQL backend reads timestamps exactly as Django's does."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.backends.postgresql import psycopg_any
from psycopg import DataError
from psycopg.pq import Format

from parley.core.postgresql.base import TimestamptzLoader, adapters_template

TIMESTAMPTZ_OID = 1184

TEXTS = [
    b"2026-11-27 13:40:18+00",
    b"2026-11-27 13:40:18.1+00",
    b"2026-11-27 13:40:18.123456+00",
    b"2026-02-28 23:59:59.999999+00",
    b"2026-11-27 13:40:18.5+05:30",
    b"2026-11-27 13:40:18-03",
    b"1890-01-01 00:00:00+00:53:28",
    b"0001-01-01 00:00:00+00",
    b"9999-12-31 23:59:59.999999+00",
]
REFUSED = [b"infinity", b"-infinity", b"0044-03-15 12:00:00+00 BC", b"10000-01-01 00:00:00+00"]


def loaders(zone):
    ours = type("Ours", (TimestamptzLoader,), {"timezone": zone})
    djangos = type("Djangos", (psycopg_any.BaseTzLoader,), {"timezone": zone})
    return ours(TIMESTAMPTZ_OID), djangos(TIMESTAMPTZ_OID)


@pytest.mark.parametrize("text", TEXTS)
def test_a_timestamp_reads_as_djangos_loader_reads_it(text):
    ours, djangos = loaders(UTC)
    value = ours.load(text)
    assert value == djangos.load(text)
    assert value.tzinfo is UTC


@pytest.mark.parametrize("text", TEXTS)
def test_without_time_zones_a_timestamp_is_naive_as_django_makes_it(text):
    ours, djangos = loaders(None)
    value = ours.load(text)
    assert value.tzinfo is None
    assert value == djangos.load(text)
    assert value.utcoffset() is None


def test_in_a_named_zone_the_instant_and_the_fold_are_kept():
    zone = ZoneInfo("Europe/Berlin")
    ours, _ = loaders(zone)
    # 02:30 happens twice on 2026-10-25 in Berlin: first at +02, then at +01.
    first = ours.load(b"2026-10-25 02:30:00+02")
    second = ours.load(b"2026-10-25 02:30:00+01")
    assert first.tzinfo is zone and second.tzinfo is zone
    assert first.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert second.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert (first.fold, second.fold) == (0, 1)


@pytest.mark.parametrize("text", REFUSED)
def test_what_a_datetime_cannot_hold_is_refused_as_django_refuses_it(text):
    ours, djangos = loaders(UTC)
    with pytest.raises(DataError) as theirs:
        djangos.load(text)
    with pytest.raises(DataError) as mine:
        ours.load(text)
    assert str(mine.value) == str(theirs.value)


def test_the_adapters_read_timestamptz_with_the_faster_loader():
    loader = adapters_template(True, UTC).get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert loader is not None and issubclass(loader, TimestamptzLoader)
    assert loader.timezone is UTC


@pytest.mark.django_db
def test_a_postgresql_database_url_selects_the_backend():
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL pass of CI runs it")
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        assert loader is not None and issubclass(loader, TimestamptzLoader)
        cursor.execute("SELECT '2026-11-27 13:40:18.25+00'::timestamptz")
        assert cursor.fetchone()[0] == datetime(2026, 11, 27, 13, 40, 18, 250000, tzinfo=UTC)


@pytest.mark.django_db
def test_postgresql_prepares_repeated_statements_only_when_configured():
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL pass of CI runs it")
    prepared = bool(connection.settings_dict["OPTIONS"].get("server_side_binding"))
    with connection.cursor() as cursor:
        for _ in range(6):  # psycopg prepares a statement on its fifth run
            cursor.execute("SELECT %s::int + 1 AS parley_prepared_probe", [41])
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%parley_prepared_probe%"],
        )
        assert cursor.fetchone()[0] == (1 if prepared else 0)
