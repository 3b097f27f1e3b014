"""The seller inbox's pages (API.md §7): login, tabs, search, the thread, saved replies,
archive, live refresh, languages, escaping and a fixed number of queries per page."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import (
    DataSourceFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
)
from parley.conversations import services as conversation_services
from parley.conversations.models import Conversation, Message
from parley.conversations.notifications import KIND_TO_CUSTOMER
from parley.mail.models import OutgoingEmail
from parley.sellers import services
from parley.sellers.models import SavedReply

pytestmark = pytest.mark.django_db

PASSWORD = "inbox-test-password-1"


def _member(seller: Any, role: str = "agent", **fields: Any) -> Any:
    user = UserFactory.create(**fields)
    user.set_password(PASSWORD)
    user.save()
    services.seller_member_add(datasource=seller, user=user, role=role)
    return user


def _browser(user: Any | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _ask(customer: Any, seller: Any, text: str = "Is it cotton?", **fields: Any) -> Conversation:
    return conversation_services.conversation_create(
        user=customer,
        datasource=seller,
        conversation_type=fields.pop("conversation_type", "question"),
        content=text,
        user_type="registered",
        **fields,
    ).conversation


def _customer_writes(conversation: Conversation, text: str = "hello?") -> Message:
    return conversation_services.message_append(
        conversation=conversation,
        content=text,
        content_type="user",
        content_id=conversation.user_id,
        user_type="registered",
    )


def _rows(html: str) -> list[int]:
    """The conversation ids of the list, in order."""
    return [int(found) for found in re.findall(r'data-conversation="(\d+)"', html)]


@pytest.fixture
def seller() -> Any:
    return DataSourceFactory.create(title="Anatolia Textiles", email="orders@anatolia.example")


@pytest.fixture
def agent(seller: Any) -> Any:
    return _member(seller)


@pytest.fixture
def inbox(agent: Any) -> Client:
    return _browser(agent)


# --- Logging in ----------------------------------------------------------------------------------


def test_login_rotates_the_session_and_goes_to_the_inbox(seller, agent):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/seller/inbox/login/")
    assert page.status_code == 200
    assert page["X-Frame-Options"] == "DENY"
    token = client.cookies["csrftoken"].value
    client.get("/seller/inbox/language/")  # any request; then a session that exists already
    session = client.session
    session["before"] = "login"
    session.save()
    before = session.session_key
    assert before is not None
    client.cookies["osessionid"] = before
    response = client.post(
        "/seller/inbox/login/",
        {"email": agent.email.upper(), "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert (response.status_code, response["Location"]) == (302, "/seller/inbox/")
    after = client.cookies["osessionid"].value
    assert after != before
    assert client.get("/seller/inbox/").status_code == 200


def test_login_refuses_wrong_passwords_non_members_and_missing_csrf(seller, agent):
    customer = UserFactory.create()
    customer.set_password(PASSWORD)
    customer.save()
    client = Client(enforce_csrf_checks=True)
    client.get("/seller/inbox/login/")
    token = client.cookies["csrftoken"].value
    for email, password in ((agent.email, "wrong"), (customer.email, PASSWORD)):
        response = client.post(
            "/seller/inbox/login/",
            {"email": email, "password": password, "csrfmiddlewaretoken": token},
        )
        assert response.status_code == 400
        assert "Wrong e-mail or password." in response.content.decode()
        assert "_auth_user_id" not in client.session
    response = client.post("/seller/inbox/login/", {"email": agent.email, "password": PASSWORD})
    assert response.status_code == 403  # no CSRF token
    assert "_auth_user_id" not in client.session


def test_login_failures_are_throttled_as_login(seller, agent):
    client = Client()
    statuses = [
        client.post("/seller/inbox/login/", {"email": agent.email, "password": "x"}).status_code
        for _ in range(11)
    ]
    assert statuses == [400] * 10 + [429]
    response = client.post("/seller/inbox/login/", {"email": agent.email, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_next_stays_inside_the_inbox(seller, agent):
    for wanted, landed in (
        ("/seller/inbox/replies/", "/seller/inbox/replies/"),
        ("https://evil.example/", "/seller/inbox/"),
        ("/admin/", "/seller/inbox/"),
    ):
        response = Client().post(
            "/seller/inbox/login/", {"email": agent.email, "password": PASSWORD, "next": wanted}
        )
        assert response["Location"] == landed


def test_logout_is_a_post_and_ends_the_session(inbox):
    assert inbox.get("/seller/inbox/logout/").status_code == 405
    response = inbox.post("/seller/inbox/logout/")
    assert (response.status_code, response["Location"]) == (302, "/seller/inbox/login/")
    assert inbox.get("/seller/inbox/")["Location"].startswith("/seller/inbox/login/?next=")


def test_a_member_of_several_sellers_picks_one(seller, agent):
    other = DataSourceFactory.create(title="Nordic Home")
    services.seller_member_add(datasource=other, user=agent, role="owner")
    theirs = _ask(UserFactory.create(), other, subject="Lamp")
    client = _browser(agent)
    assert client.get("/seller/inbox/")["Location"] == "/seller/inbox/choose/"
    page = client.get("/seller/inbox/choose/").content.decode()
    assert "Anatolia Textiles" in page and "Nordic Home" in page
    assert client.post("/seller/inbox/choose/", {"seller": "999999"}).status_code == 400
    assert client.post("/seller/inbox/choose/", {"seller": other.pk}).status_code == 302
    assert _rows(client.get("/seller/inbox/?tab=all").content.decode()) == [theirs.pk]


# --- The list ------------------------------------------------------------------------------------


def test_needs_reply_is_the_default_oldest_waiting_first(inbox, seller):
    first = _ask(UserFactory.create(), seller, subject="first")
    second = _ask(UserFactory.create(), seller, subject="second")
    answered = _ask(UserFactory.create(), seller, subject="answered")
    services.seller_message_send(datasource=seller, conversation_id=answered.pk, content="ok")
    _customer_writes(first)  # a follow-up does not reset the clock
    Conversation.objects.filter(pk=first.pk).update(created_date=timezone.now() - timedelta(1))
    Message.objects.filter(conversation=first).update(
        created_date=timezone.now() - timedelta(days=1)
    )
    conversation_services.conversation_waiting_recompute(conversation_ids=[first.pk])
    _ask(UserFactory.create(), DataSourceFactory.create())  # another seller's
    page = inbox.get("/seller/inbox/")
    assert page.status_code == 200
    assert _rows(page.content.decode()) == [first.pk, second.pk]
    # All: newest activity first (the follow-up is the newest message).
    assert _rows(inbox.get("/seller/inbox/?tab=all").content.decode()) == [
        first.pk,
        answered.pk,
        second.pk,
    ]


def test_unread_tab_badges_and_archive(inbox, seller):
    waiting = _ask(UserFactory.create(), seller, subject="waiting")
    read = _ask(UserFactory.create(), seller, subject="read")
    inbox.get(f"/seller/inbox/{read.pk}/")
    page = inbox.get("/seller/inbox/?tab=unread").content.decode()
    assert _rows(page) == [waiting.pk]
    assert '<span class="badge" title="unread">1</span>' in page
    assert inbox.post(f"/seller/inbox/{waiting.pk}/archive/").status_code == 303
    assert _rows(inbox.get("/seller/inbox/?tab=archived").content.decode()) == [waiting.pk]
    assert _rows(inbox.get("/seller/inbox/?tab=all").content.decode()) == [read.pk]
    _customer_writes(waiting)  # the customer writes again: back in the inbox
    assert _rows(inbox.get("/seller/inbox/?tab=archived").content.decode()) == []
    inbox.post(f"/seller/inbox/{read.pk}/archive/")
    inbox.post(f"/seller/inbox/{read.pk}/archive/", {"archived": "0"})
    assert read.pk in _rows(inbox.get("/seller/inbox/?tab=all").content.decode())


def test_search_by_subject_sku_product_order_number_and_customer(inbox, seller):
    customer = UserFactory.create(first_name="Zeynep", last_name="Aydın")
    product = ProductFactory.create(datasource=seller, name="Peştemal Towel", sku="AT-TOWEL-01")
    about_product = _ask(
        UserFactory.create(), seller, subject="Washing", item_content="product", item_id=product.pk
    )
    order = OrderFactory.create(user=customer, number="DEMO-7781")
    item = OrderItemFactory.create(order=order, product=product, datasource=seller)
    about_order = _ask(
        customer,
        seller,
        subject="Where is it",
        conversation_type="message",
        item_content="orderitem",
        item_id=item.pk,
    )
    plain = _ask(UserFactory.create(), seller, subject="Opening hours")
    for q, expected in (
        ("opening", [plain.pk]),
        ("at-towel", [about_product.pk, about_order.pk]),
        ("peştemal", [about_product.pk, about_order.pk]),
        ("DEMO-7781", [about_order.pk]),
        ("Aydın", [about_order.pk]),
        ("zeynep", [about_order.pk]),
        ("Zeynep Aydın", [about_order.pk]),
        ("nothing like it", []),
    ):
        page = inbox.get("/seller/inbox/", {"tab": "all", "q": q}).content.decode()
        assert sorted(_rows(page)) == sorted(expected), q


@pytest.mark.parametrize("tab", ["needs_reply", "unread", "all", "archived"])
def test_the_list_runs_a_fixed_number_of_queries(inbox, seller, tab, django_assert_num_queries):
    def fill(count: int) -> None:
        for number in range(count):
            customer = UserFactory.create()
            product = ProductFactory.create(datasource=seller)
            conversation = _ask(customer, seller, item_content="product", item_id=product.pk)
            order = OrderFactory.create(user=customer)
            item = OrderItemFactory.create(order=order, product=product, datasource=seller)
            other = _ask(
                customer,
                seller,
                conversation_type="message",
                item_content="orderitem",
                item_id=item.pk,
            )
            if tab == "archived":
                for archived in (conversation, other):
                    conversation_services.conversation_archive(
                        datasource_id=seller.pk, conversation_id=archived.pk, archived=True
                    )
            del number

    counts = []
    for size in (1, 10):
        fill(size)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        inbox.get("/seller/inbox/", {"tab": tab})  # the first request keeps the seller chosen
        with CaptureQueriesContext(connection) as queries:
            page = inbox.get("/seller/inbox/", {"tab": tab})
        assert page.status_code == 200
        assert (
            len(_rows(page.content.decode()))
            == Conversation.objects.count()
            == 2 * (1 if size == 1 else 11)
        )
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 14


def test_pages_go_newer_and_older_without_counting_the_tab(inbox, seller):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from parley.sellers.inbox import PAGE_SIZE

    asked = [_ask(UserFactory.create(), seller, subject=f"q{n}") for n in range(PAGE_SIZE + 2)]
    oldest_waiting_first = [conversation.pk for conversation in asked]
    inbox.get("/seller/inbox/")  # the first request keeps the seller chosen
    with CaptureQueriesContext(connection) as queries:
        first = inbox.get("/seller/inbox/").content.decode()
    assert _rows(first) == oldest_waiting_first[:PAGE_SIZE]
    assert "page=2" in first and "page=0" not in first
    assert "Page 1" in first and " of " not in first
    # The tab is read once, the page and one row more; nothing counts it.
    tab_reads = [q["sql"] for q in queries if "waiting_since" in q["sql"] and "LIMIT" in q["sql"]]
    assert len(tab_reads) == 1 and f"LIMIT {PAGE_SIZE + 1}" in tab_reads[0]
    assert not [q["sql"] for q in queries if "COUNT(*)" in q["sql"] and "waiting_since" in q["sql"]]

    second = inbox.get("/seller/inbox/", {"page": "2"}).content.decode()
    assert _rows(second) == oldest_waiting_first[PAGE_SIZE:]
    assert "page=1" in second and "page=3" not in second and "Page 2" in second
    # Past the end: an empty page that leads back; nonsense means the first page.
    beyond = inbox.get("/seller/inbox/", {"page": "9"}).content.decode()
    assert _rows(beyond) == [] and "page=8" in beyond
    for nonsense in ("0", "-1", "abc", "２", "1e3", "99999999999999999999999"):
        page = inbox.get("/seller/inbox/", {"page": nonsense})
        assert page.status_code == 200, nonsense
        rows = _rows(page.content.decode())
        assert rows in (oldest_waiting_first[:PAGE_SIZE], []), nonsense


# --- The thread ----------------------------------------------------------------------------------


def test_opening_a_thread_marks_it_read_and_answering_reaches_the_customer(
    inbox, seller, django_capture_on_commit_callbacks
):
    customer = UserFactory.create(first_name="Ayşe")
    product = ProductFactory.create(datasource=seller, name="Peştemal Towel", sku="AT-TOWEL-01")
    conversation = _ask(customer, seller, item_content="product", item_id=product.pk)
    conversation.refresh_from_db()
    assert conversation.seller_unread_count == 1
    page = inbox.get(f"/seller/inbox/{conversation.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Is it cotton?" in html and "Peştemal Towel" in html and "AT-TOWEL-01" in html
    conversation.refresh_from_db()
    assert conversation.seller_unread_count == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = inbox.post(
            f"/seller/inbox/{conversation.pk}/", {"message_content": "Yes, 100 % cotton."}
        )
    assert (response.status_code, response["Location"]) == (
        303,
        f"/seller/inbox/{conversation.pk}/",
    )
    answer = Message.objects.filter(conversation=conversation).order_by("-id").first()
    assert answer is not None
    assert (answer.content_type, answer.content_id, answer.message_content) == (
        "datasource",
        seller.pk,
        "Yes, 100 % cotton.",
    )
    sent = OutgoingEmail.objects.get(kind=KIND_TO_CUSTOMER)
    assert sent.to == [customer.email]
    assert seller.email not in sent.text_body


def test_a_blank_reply_is_refused_and_nothing_is_written(inbox, seller):
    conversation = _ask(UserFactory.create(), seller)
    for text in ("", "   ", "x" * 5001):
        response = inbox.post(f"/seller/inbox/{conversation.pk}/", {"message_content": text})
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_mark_unread_and_saved_replies(seller, inbox):
    owner = _member(seller, role="owner")
    owners = _browser(owner)
    conversation = _ask(UserFactory.create(), seller)
    inbox.get(f"/seller/inbox/{conversation.pk}/")
    assert inbox.post(f"/seller/inbox/{conversation.pk}/unread/").status_code == 303
    conversation.refresh_from_db()
    assert conversation.seller_unread_count == 1

    assert inbox.post("/seller/inbox/replies/", {"title": "t", "body": "b"}).status_code == 403
    created = owners.post(
        "/seller/inbox/replies/", {"title": "Shipping", "body": "Ships in 2 days."}
    )
    assert created.status_code == 303
    duplicate = owners.post("/seller/inbox/replies/", {"title": "Shipping", "body": "again"})
    assert duplicate.status_code == 400
    reply = SavedReply.objects.get()
    page = inbox.get(f"/seller/inbox/{conversation.pk}/", {"reply": reply.pk}).content.decode()
    assert ">Ships in 2 days.</textarea>" in page
    assert "Ships in 2 days." in inbox.get("/seller/inbox/replies/").content.decode()
    other_seller = DataSourceFactory.create()
    theirs = services.saved_reply_create(datasource=other_seller, title="x", body="theirs")
    page = inbox.get(f"/seller/inbox/{conversation.pk}/", {"reply": theirs.pk}).content.decode()
    assert "theirs" not in page
    assert owners.post(f"/seller/inbox/replies/{theirs.pk}/delete/").status_code == 404
    assert inbox.post(f"/seller/inbox/replies/{reply.pk}/delete/").status_code == 403
    assert owners.post(f"/seller/inbox/replies/{reply.pk}/delete/").status_code == 303
    assert list(SavedReply.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_another_sellers_conversation_is_404_and_nothing_changes(seller, inbox):
    theirs = _ask(UserFactory.create(), DataSourceFactory.create())
    before = list(Conversation.objects.values())
    assert inbox.get(f"/seller/inbox/{theirs.pk}/").status_code == 404
    for suffix, data in (("", {"message_content": "x"}), ("unread/", {}), ("archive/", {})):
        assert inbox.post(f"/seller/inbox/{theirs.pk}/{suffix}", data).status_code == 404
    assert list(Conversation.objects.values()) == before
    assert Message.objects.filter(conversation=theirs).count() == 1


def test_the_thread_runs_a_fixed_number_of_queries(inbox, seller, django_assert_num_queries):
    conversation = _ask(UserFactory.create(), seller)
    inbox.get(f"/seller/inbox/{conversation.pk}/")
    counts = []
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        for _ in range(20):
            _customer_writes(conversation)
        with CaptureQueriesContext(connection) as queries:
            assert inbox.get(f"/seller/inbox/{conversation.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Live refresh --------------------------------------------------------------------------------


def test_live_refresh_asks_only_for_changes(inbox, seller):
    conversation = _ask(UserFactory.create(), seller)
    page = inbox.get("/seller/inbox/").content.decode()
    stamp = re.search(r"updated_since=([^\"&]+)", page)
    assert stamp is not None
    poll = f"/seller/inbox/?tab=needs_reply&q=&page=1&updated_since={stamp.group(1)}"
    htmx = {"HTTP_HX_REQUEST": "true"}
    assert inbox.get(poll, **htmx).status_code == 204
    _customer_writes(conversation, "a new question")
    changed = inbox.get(poll, **htmx)
    assert changed.status_code == 200
    body = changed.content.decode()
    assert body.startswith('<div id="inbox-list"') and "<html" not in body
    assert "a new question" in body

    thread = inbox.get(f"/seller/inbox/{conversation.pk}/").content.decode()
    stamp = re.search(r"\?updated_since=([^\"&]+)", thread)
    assert stamp is not None
    thread_poll = f"/seller/inbox/{conversation.pk}/?updated_since={stamp.group(1)}"
    assert inbox.get(thread_poll, **htmx).status_code == 204
    _customer_writes(conversation, "still there?")
    changed = inbox.get(thread_poll, **htmx)
    assert changed.status_code == 200
    assert "still there?" in changed.content.decode()
    conversation.refresh_from_db()
    assert conversation.seller_unread_count == 0  # shown in the open thread: read


# --- Languages and escaping ----------------------------------------------------------------------


def test_turkish_by_accept_language_and_by_the_switch(inbox, seller):
    _ask(UserFactory.create(), seller)
    assert (
        "Yanıt bekleyen" in inbox.get("/seller/inbox/", HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    )
    assert "Needs reply" in inbox.get("/seller/inbox/").content.decode()
    switched = inbox.post("/seller/inbox/language/", {"language": "tr", "next": "/seller/inbox/"})
    assert switched.status_code == 302
    assert "Yanıt bekleyen" in inbox.get("/seller/inbox/").content.decode()


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_everything_customers_write_is_escaped(inbox, seller):
    customer = UserFactory.create(first_name=HOSTILE, last_name="</td><b>")
    conversation = _ask(customer, seller, text=HOSTILE + "\nline two", subject=HOSTILE)
    for path in ("/seller/inbox/", f"/seller/inbox/{conversation.pk}/"):
        html = inbox.get(path).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html and "</td><b>" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    thread = inbox.get(f"/seller/inbox/{conversation.pk}/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;<br>line two" in thread


def test_the_compiled_turkish_catalogue_matches_its_source():
    """The .mo is committed (no gettext needed to run); it must hold every .po entry."""
    import gettext
    from pathlib import Path

    import parley.sellers

    folder = Path(parley.sellers.__file__).parent / "locale" / "tr" / "LC_MESSAGES"
    catalogue = gettext.GNUTranslations((folder / "django.mo").open("rb"))
    source = (folder / "django.po").read_text()
    entries = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', source, flags=re.M)
    assert len(entries) > 30
    for msgid, msgstr in entries:
        assert catalogue.gettext(msgid.replace('\\"', '"')) == msgstr.replace('\\"', '"')


def test_a_reply_with_a_phone_number_is_refused_in_the_inbox_and_nothing_is_written(inbox, seller):
    """Moderation (API.md §9) checks the inbox's replies as it checks the seller API's."""
    conversation = _ask(UserFactory.create(), seller)
    response = inbox.post(
        f"/seller/inbox/{conversation.pk}/", {"message_content": "Beni 0532 123 45 67'den ara"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "phone numbers" in html
    assert Message.objects.filter(conversation=conversation).count() == 1
