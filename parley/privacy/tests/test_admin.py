"""The back office's export and erasure (API.md §11): on the users list, staff only; the
erasure shows a preview of the counts first and erases only when confirmed."""

import json
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from parley.accounts.models import User
from parley.accounts.tests.factories import UserFactory
from parley.privacy.models import PrivacyRecord
from parley.privacy.tests.helpers import history_build

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


@pytest.fixture
def history(client_api: Any, django_capture_on_commit_callbacks: Any, routing: Any) -> Any:
    return history_build(
        client_api, type(client_api)(), django_capture_on_commit_callbacks, tag="55"
    )


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


def _action(client: Client, action: str, *users: Any, **extra: str) -> Any:
    data = {"action": action, "_selected_action": [user.pk for user in users], **extra}
    return client.post(CHANGELIST, data)


def test_erasure_shows_a_preview_and_changes_nothing_until_confirmed(history, staff_client):
    before = list(User.objects.filter(pk=history.user.pk).values())
    preview = _action(staff_client, "erase_customers", history.user)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert f"Account #{history.user.pk}" in page
    assert "<td>contact_requests</td><td>2</td>" in page
    assert "<td>files</td><td>2</td>" in page
    assert 'name="post" value="yes"' in page and "csrfmiddlewaretoken" in page
    assert list(User.objects.filter(pk=history.user.pk).values()) == before
    assert not PrivacyRecord.objects.exists()

    done = _action(staff_client, "erase_customers", history.user, post="yes")
    assert done.status_code == 302 and done["Location"] == CHANGELIST
    record = PrivacyRecord.objects.get()
    assert record.customer_id == history.user.pk
    assert record.channel == "admin"
    assert record.performed_by is not None and record.performed_by.is_staff
    assert not User.objects.get(pk=history.user.pk).is_active


def test_a_staff_account_is_refused_on_the_preview(staff_client):
    colleague = UserFactory.create(is_staff=True)
    page = _action(staff_client, "erase_customers", colleague).content.decode()
    assert "Staff accounts are not erased" in page
    assert 'name="post"' not in page
    _action(staff_client, "erase_customers", colleague, post="yes")
    assert User.objects.get(pk=colleague.pk).is_active
    assert not PrivacyRecord.objects.exists()


def test_the_confirmation_needs_a_csrf_token(history):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    response = _action(client, "erase_customers", history.user, post="yes")
    assert response.status_code == 403
    assert User.objects.get(pk=history.user.pk).is_active
    assert not PrivacyRecord.objects.exists()


def test_only_staff_with_the_permission_may_erase(history):
    customer = Client()
    customer.force_login(UserFactory.create())
    response = _action(customer, "erase_customers", history.user, post="yes")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")

    viewer = UserFactory.create(is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_user"),
        Permission.objects.get(codename="change_user"),
    )
    client = Client()
    client.force_login(viewer)
    listing = client.get(CHANGELIST).content.decode()
    assert "erase_customers" not in listing and "export_personal_data" in listing
    _action(client, "erase_customers", history.user, post="yes")
    assert User.objects.get(pk=history.user.pk).is_active
    assert not PrivacyRecord.objects.exists()


def test_export_downloads_the_customers_json(history, staff_client):
    response = _action(staff_client, "export_personal_data", history.user)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="parley-export-{history.user.pk}.json"'
    )
    export = json.loads(response.content)
    assert export["profile"]["email"] == history.user.email
    assert len(export["contact_requests"]) == 2


def test_the_records_are_read_only(history, staff_client):
    _action(staff_client, "erase_customers", history.user, post="yes")
    record = PrivacyRecord.objects.get()
    listing = staff_client.get("/admin/privacy/privacyrecord/")
    assert listing.status_code == 200
    assert f"/admin/privacy/privacyrecord/{record.pk}/change/" in listing.content.decode()
    assert staff_client.get("/admin/privacy/privacyrecord/add/").status_code == 403
    deleted = staff_client.post(
        f"/admin/privacy/privacyrecord/{record.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert PrivacyRecord.objects.filter(pk=record.pk).exists()
