"""Issuing and revoking seller tokens: the admin, the management commands and the demo."""

import re
from io import StringIO
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client

from parley.accounts.models import User
from parley.catalog.tests.factories import DataSourceFactory
from parley.core.demo import demo_seed
from parley.sellers import keys, selectors, services
from parley.sellers.models import SellerToken
from parley.sellers.tests.factories import token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(User.objects.create_superuser("staff@example.com", "pw"))
    return client


def test_admin_issues_a_token_and_shows_its_key_once(staff_client):
    seller: Any = DataSourceFactory()
    response = staff_client.post(
        "/admin/sellers/sellertoken/add/", {"datasource": seller.pk, "name": "ERP"}, follow=True
    )
    assert response.status_code == 200
    token = SellerToken.objects.get()
    assert (token.datasource, token.name, token.revoked_at) == (seller, "ERP", None)
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    found = re.search(r"psk_[A-Za-z0-9]{40}", shown)
    assert found is not None
    key = found.group(0)
    assert selectors.seller_token_get_for_key(key) == token
    # The change page of the token never shows the key again.
    page = staff_client.get(f"/admin/sellers/sellertoken/{token.pk}/change/").content.decode()
    assert key not in page
    assert token.prefix in page


def test_admin_revokes_the_selected_tokens(staff_client):
    active, _ = token_issue()
    other, _ = token_issue()
    response = staff_client.post(
        "/admin/sellers/sellertoken/",
        {"action": "revoke_selected", "_selected_action": [active.pk]},
    )
    assert response.status_code == 302
    active.refresh_from_db()
    other.refresh_from_db()
    assert active.revoked_at is not None
    assert other.revoked_at is None


def test_admin_never_deletes_a_token(staff_client):
    token, _ = token_issue()
    response = staff_client.post(f"/admin/sellers/sellertoken/{token.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert SellerToken.objects.filter(pk=token.pk).exists()


@pytest.mark.parametrize("by", ["name", "id"])
def test_command_issues_a_token_by_seller_name_or_id(by):
    seller = DataSourceFactory(name="anatolia")
    out, err = StringIO(), StringIO()
    call_command(
        "seller_token_create", str(getattr(seller, by)), "--name", "ERP", stdout=out, stderr=err
    )
    key = out.getvalue().strip()
    token = selectors.seller_token_get_for_key(key)
    assert token is not None
    assert (token.datasource, token.name) == (seller, "ERP")
    assert token.prefix in err.getvalue()


def test_command_refuses_an_unknown_seller():
    with pytest.raises(CommandError, match="no seller"):
        call_command("seller_token_create", "nobody", stdout=StringIO(), stderr=StringIO())
    assert not SellerToken.objects.exists()


def test_command_revokes_by_prefix_or_whole_key():
    first, _ = token_issue()
    second, second_key = token_issue()
    out = StringIO()
    call_command("seller_token_revoke", first.prefix, stdout=out)
    assert "revoked" in out.getvalue()
    call_command("seller_token_revoke", second_key, stdout=StringIO())
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.revoked_at is not None
    assert second.revoked_at is not None
    again = StringIO()
    call_command("seller_token_revoke", first.prefix, stdout=again)
    assert "already revoked" in again.getvalue()


def test_command_refuses_an_unknown_prefix():
    token, _ = token_issue()
    with pytest.raises(CommandError, match="no token"):
        call_command("seller_token_revoke", "zzzzzzzz", stdout=StringIO())
    token.refresh_from_db()
    assert token.revoked_at is None


def test_demo_writes_a_working_token_per_seller_and_is_idempotent():
    first = demo_seed()
    tokens = [seller["token"] for seller in first["sellers"]]
    assert len(tokens) == 2
    for seller, key in zip(first["sellers"], tokens, strict=True):
        assert keys.KEY_PATTERN.fullmatch(key)
        token = selectors.seller_token_get_for_key(key)
        assert token is not None
        assert token.datasource_id == seller["id"]
    assert SellerToken.objects.count() == 2

    # Staff revoke a demo token; the next `make run` still writes working ones.
    revoked = selectors.seller_token_get_for_key(tokens[0])
    assert revoked is not None
    services.seller_token_revoke(token=revoked)
    second = demo_seed()
    assert [seller["token"] for seller in second["sellers"]] == tokens
    assert SellerToken.objects.count() == 2
    assert not SellerToken.objects.filter(revoked_at__isnull=False).exists()


def test_demo_revokes_a_demo_token_of_an_earlier_secret_key(settings):
    first = demo_seed()["sellers"][0]["token"]
    settings.SECRET_KEY = "another-development-secret"
    second = demo_seed()["sellers"][0]["token"]
    assert second != first
    old, new = selectors.seller_token_get_for_key(first), selectors.seller_token_get_for_key(second)
    assert old is not None and new is not None
    assert old.revoked_at is not None
    assert new.revoked_at is None


def test_admin_renames_a_token_but_never_changes_its_key(staff_client):
    token, key = token_issue(name="old name")
    response = staff_client.post(
        f"/admin/sellers/sellertoken/{token.pk}/change/", {"name": "ERP sync"}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.name == "ERP sync"
    assert selectors.seller_token_get_for_key(key) == token
