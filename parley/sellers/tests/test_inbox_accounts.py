"""Inbox members: the command, the demo's members, and the seller's e-mail that links to the
thread."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from parley.accounts.models import User
from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations import services as conversation_services
from parley.conversations.notifications import KIND_TO_CUSTOMER, KIND_TO_SELLER
from parley.mail.models import OutgoingEmail
from parley.sellers import services
from parley.sellers.models import SellerMembership

pytestmark = pytest.mark.django_db


def test_seller_member_add_makes_updates_and_removes_members():
    seller = DataSourceFactory.create(name="anatolia")
    existing = UserFactory.create(email="agent@example.com")
    out, err = io.StringIO(), io.StringIO()
    call_command("seller_member_add", "anatolia", "Agent@Example.com", stdout=out, stderr=err)
    assert out.getvalue() == ""  # an existing account: no password printed
    assert SellerMembership.objects.get(user=existing).role == "agent"
    call_command(
        "seller_member_add",
        str(seller.pk),
        existing.email,
        "--role",
        "owner",
        stdout=out,
        stderr=err,
    )
    assert SellerMembership.objects.get(user=existing).role == "owner"

    out = io.StringIO()
    call_command("seller_member_add", "anatolia", "new@example.com", stdout=out, stderr=err)
    password = out.getvalue().strip()
    new = User.objects.get(email="new@example.com")
    assert new.check_password(password) and len(password) >= 16
    assert SellerMembership.objects.filter(user=new, datasource=seller).exists()

    call_command("seller_member_add", "anatolia", "new@example.com", "--remove", stderr=err)
    assert not SellerMembership.objects.filter(user=new).exists()
    with pytest.raises(CommandError, match="not a member"):
        call_command("seller_member_add", "anatolia", "new@example.com", "--remove", stderr=err)
    with pytest.raises(CommandError, match="no seller"):
        call_command("seller_member_add", "nobody", "x@example.com", stderr=err)


def test_the_sellers_email_links_to_the_thread_and_the_customers_has_no_seller_address(
    settings,
):
    settings.PARLEY_PUBLIC_URL = "https://support.shop.example"
    seller = DataSourceFactory.create(email="orders@anatolia.example")
    customer = UserFactory.create()
    conversation = conversation_services.conversation_create(
        user=customer,
        datasource=seller,
        conversation_type="message",
        content="Hi",
        user_type="registered",
    ).conversation
    to_seller = OutgoingEmail.objects.get(kind=KIND_TO_SELLER)
    link = f"https://support.shop.example/seller/inbox/{conversation.pk}/"
    assert link in to_seller.text_body
    assert f'<a href="{link}">' in to_seller.html_body
    services.seller_message_send(datasource=seller, conversation_id=conversation.pk, content="Hi!")
    to_customer = OutgoingEmail.objects.get(kind=KIND_TO_CUSTOMER)
    for body in (to_customer.text_body, to_customer.html_body):
        assert "orders@anatolia.example" not in body
        assert "/seller/inbox/" not in body


def test_each_demo_seller_has_its_own_inbox_member_who_can_log_in(tmp_path):
    path = tmp_path / "demo.json"
    call_command("seed_demo", "--write", str(path), stdout=io.StringIO())
    call_command("seed_demo", "--write", str(path), stdout=io.StringIO())  # idempotent
    demo = json.loads(path.read_text())
    members = [seller["inbox"] for seller in demo["sellers"]]
    assert len({member["email"] for member in members}) == len(demo["sellers"]) == 2
    for seller in demo["sellers"]:
        user = User.objects.get(email=seller["inbox"]["email"])
        assert list(
            SellerMembership.objects.filter(user=user).values_list("datasource", flat=True)
        ) == [seller["id"]]
        client = Client()
        response = client.post(
            "/seller/inbox/login/",
            {"email": seller["inbox"]["email"], "password": seller["inbox"]["password"]},
        )
        assert (response.status_code, response["Location"]) == (302, "/seller/inbox/")
        assert client.get("/seller/inbox/?tab=all").status_code == 200
