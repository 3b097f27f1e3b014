"""An SQLite too old for the worker's claim stops the service at its system checks."""

import sqlite3

from django.core.checks.registry import registry
from django.db import connection

from parley.mail.checks import check_database_returns_updated_rows


def test_an_sqlite_without_update_returning_is_an_error(monkeypatch):
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    errors = check_database_returns_updated_rows()
    if connection.vendor == "sqlite":
        assert [error.id for error in errors] == ["mail.E001"]
        assert "3.34.1" in errors[0].msg
    else:
        assert errors == []


def test_this_database_passes():
    assert check_database_returns_updated_rows() == []


def test_the_check_runs_with_every_command_not_only_database_checks():
    # It reads the library's version, no connection: `check`, `runserver` and `migrate` run it.
    assert check_database_returns_updated_rows in registry.registered_checks
    assert getattr(check_database_returns_updated_rows, "tags", ()) == ()
