"""The session's user is read by one compiled query and is the same user the ORM reads."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.accounts.backends import USER_FIELDS, UserBackend
from parley.accounts.models import User
from parley.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_user_is_the_one_the_orm_reads():
    user = UserFactory.create(phone="+905551112233")
    found = UserBackend().get_user(str(user.pk))
    expected = User.objects.get(pk=user.pk)
    assert isinstance(found, User)
    assert found._state.adding is False and found._state.db == "default"
    assert {name: getattr(found, name) for name in USER_FIELDS} == {
        name: getattr(expected, name) for name in USER_FIELDS
    }
    assert found.get_session_auth_hash() == expected.get_session_auth_hash()


def test_each_user_gets_their_own_row():
    first, second = UserFactory.create(), UserFactory.create()
    backend = UserBackend()
    found = [backend.get_user(first.pk), backend.get_user(second.pk)]
    assert [user.email if user else None for user in found] == [first.email, second.email]


def test_one_query_reads_the_user():
    user = UserFactory.create()
    UserBackend().get_user(user.pk)
    with CaptureQueriesContext(connection) as context:
        UserBackend().get_user(user.pk)
    assert len(context.captured_queries) == 1


def test_an_inactive_user_is_nobody():
    user = UserFactory.create(is_active=False)
    assert UserBackend().get_user(user.pk) is None


@pytest.mark.parametrize("user_id", ["999999999", "not-a-number", None, "", "1.5"])
def test_an_unknown_or_malformed_id_is_nobody(user_id):
    UserFactory.create()
    assert UserBackend().get_user(user_id) is None


def test_a_changed_password_ends_the_logged_in_session(client_api):
    user = UserFactory.create()
    client_api.force_login(user)
    assert client_api.get("/users/conversations/").status_code == 200
    user.set_password("another-password-1234")
    user.save()
    assert client_api.get("/users/conversations/").status_code == 403


def test_a_session_made_under_djangos_backend_stays_logged_in(client_api):
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    user = UserFactory.create()
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    client_api.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    assert client_api.get("/users/conversations/").status_code == 200


def test_a_wrong_password_is_checked_once_and_fails(monkeypatch):
    from django.contrib.auth import authenticate
    from django.contrib.auth.signals import user_login_failed

    user = UserFactory.create()
    checks = []
    real_check = User.check_password

    def counted_check(self, raw):
        checks.append(raw)
        return real_check(self, raw)

    monkeypatch.setattr(User, "check_password", counted_check)
    failures = []

    def failed(**kwargs):
        failures.append(kwargs)

    user_login_failed.connect(failed)
    try:
        assert authenticate(None, username=user.email, password="wrong-password-123") is None
    finally:
        user_login_failed.disconnect(failed)
    assert checks == ["wrong-password-123"]
    assert len(failures) == 1


def test_the_right_password_logs_in_through_userbackend():
    from django.contrib.auth import authenticate

    user = UserFactory.create()
    found = authenticate(None, username=user.email, password=PASSWORD)
    assert found is not None and found.pk == user.pk
    assert found.backend == "parley.accounts.backends.UserBackend"
