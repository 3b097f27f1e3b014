"""The session's user is read by one compiled query and is the same user the ORM reads."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.accounts.backends import USER_FIELDS, UserBackend
from parley.accounts.models import User
from parley.accounts.tests.factories import UserFactory

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
