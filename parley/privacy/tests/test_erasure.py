"""Erasure (API.md §11) through its two doors, the command and the admin action, and its
guarantees: one transaction, files after the commit, every session ended whichever engine
keeps them, a record without personal data, a dry run that changes nothing."""

from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client

from parley.accounts.models import User
from parley.accounts.tests.factories import UserFactory
from parley.core import privacy as registry
from parley.privacy.models import PrivacyRecord
from parley.privacy.services import Channel, customer_erase
from parley.privacy.tests.helpers import database_find, history_build
from parley.support.models import ContactRequest

pytestmark = pytest.mark.django_db


def _everything() -> Any:
    return (
        list(User.objects.order_by("id").values()),
        list(ContactRequest.objects.order_by("id").values()),
        list(Session.objects.order_by("session_key").values_list("session_key", flat=True)),
        list(PrivacyRecord.objects.values()),
    )


@pytest.fixture
def history(client_api: Any, django_capture_on_commit_callbacks: Any, routing: Any) -> Any:
    return history_build(
        client_api, type(client_api)(), django_capture_on_commit_callbacks, tag="44"
    )


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_a_dry_run_counts_and_changes_nothing(history, capsys, private_media):
    before, files = _everything(), _files(private_media)
    call_command("erase_customer", history.user.email.upper(), "--dry-run")
    out = capsys.readouterr().out
    assert f"Account #{history.user.pk}: would change" in out
    assert '"contact_requests": 2' in out and '"files": 2' in out
    assert _everything() == before
    assert _files(private_media) == files


def test_the_command_names_the_account_by_id_or_email_and_refuses_others(history):
    with pytest.raises(CommandError, match="No account"):
        call_command("erase_customer", "nobody")
    with pytest.raises(CommandError, match="No account"):
        call_command("erase_customer", "99999999999999999999999")
    staff = UserFactory.create(is_staff=True)
    with pytest.raises(CommandError, match="Staff accounts"):
        call_command("erase_customer", str(staff.pk))
    assert PrivacyRecord.objects.count() == 0
    call_command("erase_customer", f" {history.user.pk} ")
    assert PrivacyRecord.objects.get().customer_id == history.user.pk


def test_files_go_only_after_the_commit(history, private_media, django_capture_on_commit_callbacks):
    files = _files(private_media)
    assert len(files) == 2
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        customer_erase(user=history.user, channel=Channel.COMMAND)
    assert _files(private_media) == files  # the transaction may still roll back
    for callback in callbacks:
        callback()
    assert _files(private_media) == []


def test_an_erasure_that_fails_halfway_changes_nothing(
    history, private_media, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(ctx: Any) -> int:
        raise RuntimeError("disk full")

    emails = registry.HOLDERS["emails"]
    monkeypatch.setitem(
        registry.HOLDERS, "emails", registry.Holder(**{**emails.__dict__, "erase": broken})
    )
    before, files = _everything(), _files(private_media)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        customer_erase(user=history.user, channel=Channel.COMMAND)
    assert _everything() == before
    assert _files(private_media) == files


def test_a_second_erasure_finds_nothing_left(history):
    customer_erase(user=history.user, channel=Channel.COMMAND)
    again = customer_erase(user=User.objects.get(pk=history.user.pk), channel=Channel.COMMAND)
    assert {section: count for section, count in again.counts.items() if count} == {"profile": 1}


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
        "django.contrib.sessions.backends.cache",
    ],
)
def test_every_session_ends_whichever_engine_keeps_them(settings, engine):
    settings.SESSION_ENGINE = engine
    customer, other = UserFactory.create(), UserFactory.create()
    browsers = [Client(), Client(), Client()]
    for browser, user in zip(browsers, (customer, customer, other), strict=True):
        browser.force_login(user)
        assert browser.get("/current_user/").status_code == 200
    keys = [browser.cookies[settings.SESSION_COOKIE_NAME].value for browser in browsers]

    result = customer_erase(user=customer, channel=Channel.COMMAND)

    assert [browser.get("/current_user/").status_code for browser in browsers] == [403, 403, 200]
    listed = engine != "django.contrib.sessions.backends.cache"
    assert result.counts["sessions"] == (2 if listed else 0)
    if listed:  # deleted; a cache cannot list its keys: there they are void until they expire
        store = import_module(engine).SessionStore
        assert [store().exists(key) for key in keys] == [False, False, True]


def test_the_record_holds_no_personal_data(history):
    result = customer_erase(user=history.user, channel=Channel.COMMAND)
    assert result.record is not None
    record = PrivacyRecord.objects.filter(pk=result.record.pk).values().get()
    assert set(record) == {
        "id",
        "operation",
        "performed_at",
        "performed_by_id",
        "channel",
        "customer_id",
        "counts",
    }
    assert all(isinstance(count, int) for count in record["counts"].values())
    assert record["channel"] == "command line" and record["performed_by_id"] is None


def test_a_guest_is_erased_by_address_and_no_account_is_touched(
    history, private_media, capsys, django_capture_on_commit_callbacks, client_api
):
    """What was sent without an account, from an address no account has: erased by the
    address alone. The customer of `history` wrote as a guest too, from their own address."""
    guest = "walk.in@example.com"
    anonymous = type(client_api)()
    anonymous.fetch_csrf()
    subject = ContactRequest.objects.first().subject  # type: ignore[union-attr]
    body = {"subject": subject.pk, "full_name": "Walk In", "email": guest, "message": "hello"}
    with django_capture_on_commit_callbacks(execute=True):
        assert anonymous.post("/users/contact-us/", body, format="json").status_code == 200
    accounts = list(User.objects.order_by("id").values())
    others = list(ContactRequest.objects.exclude(email=guest).order_by("id").values())

    call_command("export_customer", guest.upper())
    export = capsys.readouterr().out
    assert '"full_name": "Walk In"' in export and '"profile": null' in export
    with django_capture_on_commit_callbacks(execute=True):
        call_command("erase_customer", guest)
    assert f"Guest <{guest}>: changed" in capsys.readouterr().out

    assert database_find(["Walk In", guest]) == []
    assert list(User.objects.order_by("id").values()) == accounts
    assert list(ContactRequest.objects.exclude(email="").order_by("id").values()) == others
    record = PrivacyRecord.objects.get()
    assert record.customer_id is None
    assert record.counts["contact_requests"] == 1 and record.counts["profile"] == 0
