"""The seller inbox in a real headless Chromium (Debian's `chromium`, driven by Playwright),
against a live server: what a seller's agent does in a working day.

The screenshots in docs/img/ (shown in the README) come from this test: with
`PARLEY_SCREENSHOT_DIR=docs/img` it writes `inbox-list.png` and `inbox-thread.png` there;
otherwise they go to a temporary folder and are only checked."""

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from playwright.sync_api import Page, expect

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import (
    DataSourceFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
)
from parley.conversations import services as conversation_services
from parley.conversations.models import Conversation
from parley.core.tests import samples
from parley.sellers import services

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "inbox-browser-password-1"


def _member(seller: Any, email: str) -> Any:
    user = UserFactory.create(email=email)
    user.set_password(PASSWORD)
    user.save()
    services.seller_member_add(datasource=seller, user=user, role="owner")
    return user


def _ask(customer: Any, seller: Any, text: str, **fields: Any) -> Conversation:
    return conversation_services.conversation_create(
        user=customer, datasource=seller, content=text, user_type="registered", **fields
    ).conversation


@pytest.fixture
def shop() -> dict[str, Any]:
    seller = DataSourceFactory.create(
        name="anatolia-textiles", title="Anatolia Textiles", email="orders@anatolia.example"
    )
    _member(seller, "agent@anatolia.example")
    towel = ProductFactory.create(datasource=seller, name="Peştemal Towel", sku="AT-TOWEL-01")
    robe = ProductFactory.create(datasource=seller, name="Cotton Bathrobe", sku="AT-ROBE-02")
    ayse = UserFactory.create(first_name="Ayşe", last_name="Yılmaz", email="ayse@example.com")
    order = OrderFactory.create(user=ayse, number="DEMO-4711")
    item = OrderItemFactory.create(order=order, product=towel, datasource=seller)
    waiting = _ask(
        ayse,
        seller,
        "My towel has not arrived yet. Could you check the shipment?",
        conversation_type="message",
        subject="Where is my order?",
        item_content="orderitem",
        item_id=item.pk,
    )
    john = UserFactory.create(first_name="John", last_name="Doe", email="john@example.com")
    question = _ask(
        john,
        seller,
        "Is the bathrobe 100 % cotton?",
        conversation_type="question",
        subject="Material",
        item_content="product",
        item_id=robe.pk,
    )
    services.seller_message_send(
        datasource=seller, conversation_id=question.pk, content="Yes, 100 % Turkish cotton."
    )
    _ask(
        UserFactory.create(first_name="Elif", last_name="Kaya"),
        seller,
        "Can I wash it at 60 °C?",
        conversation_type="question",
        subject="Washing",
        item_content="product",
        item_id=towel.pk,
    )
    reply = services.saved_reply_create(
        datasource=seller, title="Shipped", body="Your parcel left our warehouse today."
    )
    other_seller = DataSourceFactory.create(name="nordic-home", title="Nordic Home")
    _member(other_seller, "agent@nordic.example")
    mail.outbox.clear()
    return {"waiting": waiting, "customer": ayse, "reply": reply, "seller": seller}


def _screenshot(page: Page, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    target = os.environ.get("PARLEY_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(target) / name)


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/seller/inbox/")
    expect(page).to_have_url(f"{base}/seller/inbox/login/?next=/seller/inbox/")
    page.fill("#id_email", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit] >> text=Log in")
    expect(page).to_have_url(f"{base}/seller/inbox/")


def test_an_agents_day_in_the_inbox(live_server: Any, page: Page, shop: dict, tmp_path: Path):
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 800})
    waiting: Conversation = shop["waiting"]
    row = page.locator(f'tr[data-conversation="{waiting.pk}"]')

    _log_in(page, base, "agent@anatolia.example")
    # Needs reply is the default tab: the waiting conversation, unread.
    expect(page.locator(".tabs a[aria-current=page]")).to_have_text("Needs reply")
    expect(row).to_contain_text("Where is my order?")
    expect(row).to_contain_text("Ayşe Yılmaz")
    expect(row).to_contain_text("DEMO-4711")
    expect(row.locator(".badge")).to_have_text("1")
    _screenshot(page, "inbox-list.png", tmp_path)

    # Open it: now read.
    row.locator("a").click()
    expect(page).to_have_url(f"{base}/seller/inbox/{waiting.pk}/")
    expect(page.locator(".messages")).to_contain_text("Could you check the shipment?")
    expect(page.locator(".card")).to_contain_text("DEMO-4711")
    waiting.refresh_from_db()
    assert waiting.seller_unread_count == 0

    # Insert a saved reply, then answer.
    page.select_option("#id_reply", str(shop["reply"].pk))
    page.click("button >> text=Insert")
    expect(page.locator("#id_message_content")).to_have_value(
        "Your parcel left our warehouse today."
    )
    page.fill("#id_message_content", "Your parcel left our warehouse today. Tracking: TR-123.")
    _screenshot(page, "inbox-thread.png", tmp_path)
    page.click("button >> text=Send")
    expect(page.locator(".messages .from-seller")).to_contain_text("Tracking: TR-123.")

    # The customer's API shows the answer, and the customer got the e-mail.
    customer = Client()
    customer.force_login(shop["customer"])
    thread = customer.get(f"/users/conversations/{waiting.pk}/").json()
    assert thread["message_set"][-1]["message_content"].endswith("Tracking: TR-123.")
    assert thread["is_answered"] is True
    assert [message.to for message in mail.outbox] == [["ayse@example.com"]]
    assert "orders@anatolia.example" not in mail.outbox[0].body

    # Search by order number.
    page.goto(f"{base}/seller/inbox/?tab=all")
    page.fill("input[name=q]", "DEMO-4711")
    page.click("button >> text=Search")
    expect(page.locator("tr.conversation")).to_have_count(1)
    expect(row).to_be_visible()

    # Mark unread: back on the Unread tab with its badge.
    page.goto(f"{base}/seller/inbox/{waiting.pk}/")
    page.click("button >> text=Mark unread")
    expect(page).to_have_url(f"{base}/seller/inbox/?tab=unread")
    expect(row.locator(".badge")).to_have_text("1")

    # Archive: gone from All, found under Archived.
    page.goto(f"{base}/seller/inbox/{waiting.pk}/")
    page.click("button >> text=Archive")
    expect(page).to_have_url(f"{base}/seller/inbox/")
    page.click(".tabs a >> text=All")
    expect(page.locator("tr.conversation")).to_have_count(2)
    expect(row).to_have_count(0)
    page.click(".tabs a >> text=Archived")
    expect(row).to_be_visible()

    # Switch to Turkish.
    page.select_option("select[name=language]", "tr")
    page.click("button[name=switch-language]")
    expect(page.locator(".tabs")).to_contain_text("Yanıt bekleyen")
    expect(page.locator(".tabs")).to_contain_text("Arşiv")


def test_another_sellers_member_gets_404_for_the_thread(live_server: Any, page: Page, shop: dict):
    base = live_server.url
    _log_in(page, base, "agent@nordic.example")
    response = page.goto(f"{base}/seller/inbox/{shop['waiting'].pk}/")
    assert response is not None and response.status == 404
    page.goto(f"{base}/seller/inbox/?tab=all")
    expect(page.locator("tr.conversation")).to_have_count(0)


def test_a_photo_and_an_invoice_cross_the_inbox(
    live_server: Any, page: Page, shop: dict, tmp_path: Path
):
    """The customer's photo reaches the agent's thread as a link the agent may open; the
    agent answers with a PDF from the reply form, and the customer's API lists and serves it."""
    base = live_server.url
    waiting: Conversation = shop["waiting"]
    customer = shop["customer"]
    photo = conversation_services.attachment_upload(
        upload=SimpleUploadedFile("broken-hem.png", samples.image("PNG")), user_id=customer.pk
    )
    conversation_services.message_append(
        conversation=waiting,
        content="The hem is torn, see the photo.",
        content_type="user",
        content_id=customer.pk,
        user_type="registered",
        attachments=[photo.public_id],
    )

    _log_in(page, base, "agent@anatolia.example")
    page.goto(f"{base}/seller/inbox/{waiting.pk}/")
    link = page.locator(".messages .from-customer .attachments a", has_text="broken-hem.png")
    expect(link).to_be_visible()
    # The link opens for the agent's session (and is a download of the re-encoded image).
    answer = page.request.get(f"{base}{link.get_attribute('href')}")
    assert answer.status == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.body()[:8] == b"\x89PNG\r\n\x1a\n"

    invoice = tmp_path / "invoice-4711.pdf"
    invoice.write_bytes(samples.pdf())
    page.fill("#id_message_content", "Sorry about that: here is the return label.")
    page.set_input_files("#id_attachments", str(invoice))
    page.click("button >> text=Send")
    sent = page.locator(".messages .from-seller", has_text="here is the return label")
    expect(sent.locator(".attachments a")).to_have_text("invoice-4711.pdf")

    # The customer lists both files and downloads the invoice.
    client = Client()
    client.force_login(customer)
    listed = client.get(f"/users/conversations/{waiting.pk}/attachments/").json()
    assert [item["name"] for item in listed] == ["broken-hem.png", "invoice-4711.pdf"]
    download = client.get(f"/attachments/{listed[1]['id']}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    # Another seller's agent cannot open the customer's photo.
    other = Client()
    other.post("/seller/inbox/login/", {"email": "agent@nordic.example", "password": PASSWORD})
    assert other.get(f"/attachments/{photo.public_id}/").status_code == 404
