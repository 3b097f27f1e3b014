"""The read-mark endpoints of API.md §7, customer and seller, with their exact answers."""

from typing import Any

import pytest

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations import services
from parley.conversations.models import Conversation, Message
from parley.conversations.pages import UNREAD_MAP_LIMIT
from parley.sellers.tests.factories import token_header, token_issue

pytestmark = pytest.mark.django_db

CUSTOMER_KEYS = {
    "id",
    "conversation_type",
    "item_object",
    "is_answered",
    "subject",
    "message_set",
    "user",
    "last_message_date",
    "is_public",
    "item_content",
    "datasource",
}


def _open(user: Any, seller: Any, content: str = "hello") -> Conversation:
    return services.conversation_create(
        user=user,
        datasource=seller,
        conversation_type="message",
        content=content,
        user_type="registered",
    ).conversation


def _seller_writes(conversation: Conversation, content: str = "answer") -> Message:
    return services.message_append(
        conversation=conversation,
        content=content,
        content_type="datasource",
        content_id=conversation.datasource_id,
        user_type="registered",
    )


@pytest.fixture
def seller() -> Any:
    return DataSourceFactory.create()


@pytest.fixture
def seller_auth(seller: Any) -> dict[str, Any]:
    _, key = token_issue(seller)
    return token_header(key)


def test_the_badge_counts_the_sellers_unread_answers_newest_first(logged_in, user, seller):
    older, newer = _open(user, seller), _open(user, DataSourceFactory.create())
    _seller_writes(older)
    _seller_writes(older)
    _seller_writes(newer)
    _open(user, DataSourceFactory.create())  # nothing from that seller yet
    _open(UserFactory.create(), seller)  # someone else's
    response = logged_in.get("/users/conversations/unread")
    assert response.status_code == 200
    assert "Set-Cookie" not in response
    assert response.json() == {
        "total_conversations": 2,
        "total_messages": 3,
        "conversations": {str(newer.pk): 1, str(older.pk): 2},
        "has_more": False,
    }
    assert list(response.json()["conversations"]) == [str(newer.pk), str(older.pk)]


@pytest.mark.parametrize("conversations", [1, UNREAD_MAP_LIMIT + 3])
def test_the_badge_runs_a_fixed_number_of_queries(
    logged_in, user, conversations, django_assert_num_queries
):
    for _ in range(conversations):
        _seller_writes(_open(user, DataSourceFactory.create()))
    logged_in.get("/users/conversations/unread/")  # warm: compiled queries
    more = conversations > UNREAD_MAP_LIMIT
    # the session, the user, the newest unread (and the totals when the map is full)
    with django_assert_num_queries(3 + more):
        body = logged_in.get("/users/conversations/unread/").json()
    assert body["total_conversations"] == body["total_messages"] == conversations
    assert len(body["conversations"]) == min(conversations, UNREAD_MAP_LIMIT)
    assert body["has_more"] is more


def test_get_never_marks_read_and_reading_answers_exactly(logged_in, user, seller):
    conversation = _open(user, seller)
    answer = _seller_writes(conversation)
    for path in ("/users/conversations/", f"/users/conversations/{conversation.pk}/"):
        assert logged_in.get(path).status_code == 200
    logged_in.get(f"/users/conversations/{conversation.pk}/read/")
    assert logged_in.get("/users/conversations/unread/").json()["total_messages"] == 1

    response = logged_in.post(f"/users/conversations/{conversation.pk}/read/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response
    assert response.json() == {
        "conversation": conversation.pk,
        "last_read_message_id": answer.pk,
        "unread_count": 0,
    }
    receipts = logged_in.get(f"/users/conversations/{conversation.pk}/read/").json()
    opening = Message.objects.filter(conversation=conversation).order_by("id").first()
    assert opening is not None
    # The seller has read up to its own answer (writing moved its mark).
    assert receipts == {
        "last_read_message_id": answer.pk,
        "counterparty_last_read_message_id": answer.pk,
    }

    response = logged_in.post(f"/users/conversations/{conversation.pk}/unread/")
    assert response.json() == {
        "conversation": conversation.pk,
        "last_read_message_id": opening.pk,
        "unread_count": 1,
    }


def test_customer_objects_keep_exactly_their_keys(logged_in, user, seller):
    _seller_writes(_open(user, seller))
    [listed] = logged_in.get("/users/conversations/").json()["results"]
    assert set(listed) == CUSTOMER_KEYS


def test_reading_up_to_a_given_message_and_refusals(logged_in, user, seller):
    conversation = _open(user, seller)
    first, second = _seller_writes(conversation), _seller_writes(conversation)
    url = f"/users/conversations/{conversation.pk}/read/"
    response = logged_in.post(url, {"last_read_message_id": first.pk}, format="json")
    assert response.json() == {
        "conversation": conversation.pk,
        "last_read_message_id": first.pk,
        "unread_count": 1,
    }
    elsewhere = _seller_writes(_open(user, DataSourceFactory.create()))
    before = list(Conversation.objects.order_by("id").values())
    for bad in (elsewhere.pk, 10**12, "x", -1):
        response = logged_in.post(url, {"last_read_message_id": bad}, format="json")
        assert response.status_code == 400, bad
        assert list(response.json()) == ["last_read_message_id"]
    services.message_hide(message=second, hidden_by=None)
    before = list(Conversation.objects.order_by("id").values())
    response = logged_in.post(url, {"last_read_message_id": second.pk}, format="json")
    assert response.status_code == 400  # hidden: not in any answer, so not readable
    assert list(Conversation.objects.order_by("id").values()) == before


def test_a_read_body_is_json_or_nothing(logged_in, user, seller, client_api, seller_auth):
    # A form or multipart body that parsed to nothing would read as "no body": mark all read.
    conversation = _open(user, seller)
    _seller_writes(conversation)
    url = f"/users/conversations/{conversation.pk}/read/"
    before = list(Conversation.objects.order_by("id").values())
    form = {"last_read_message_id": 1}
    assert logged_in.post(url, form, format="multipart").status_code == 415
    answer = logged_in.post(url, data=b"false", content_type="application/json")
    assert answer.status_code == 400
    assert list(Conversation.objects.order_by("id").values()) == before
    seller_url = f"/seller/conversations/{conversation.pk}/read/"
    assert client_api.post(seller_url, form, format="multipart", **seller_auth).status_code == 415
    assert logged_in.post(url).json()["unread_count"] == 0  # no body: the newest


def test_anothers_conversation_is_404_and_csrf_is_required(logged_in, user, seller):
    theirs = _open(UserFactory.create(), seller)
    before = list(Conversation.objects.values())
    for suffix in ("read/", "unread/"):
        response = logged_in.post(f"/users/conversations/{theirs.pk}/{suffix}")
        assert response.status_code == 404
    assert logged_in.get(f"/users/conversations/{theirs.pk}/read/").status_code == 404
    logged_in.credentials()  # no CSRF header any more
    mine = _open(user, seller)
    response = logged_in.post(f"/users/conversations/{mine.pk}/read/")
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")
    assert list(Conversation.objects.filter(pk=theirs.pk).values()) == [
        row for row in before if row["id"] == theirs.pk
    ]


def test_seller_side_reads_filters_and_counts(client_api, seller, seller_auth):
    customer = UserFactory.create()
    waiting = _open(customer, seller)
    services.message_append(
        conversation=waiting,
        content="hello?",
        content_type="user",
        content_id=customer.pk,
        user_type="registered",
    )
    answered = _open(UserFactory.create(), seller)
    _seller_writes(answered)

    body = client_api.get("/seller/conversations/unread/", **seller_auth).json()
    assert body == {
        "total_conversations": 1,
        "total_messages": 2,
        "conversations": {str(waiting.pk): 2},
        "has_more": False,
    }
    listed = client_api.get("/seller/conversations/?unread=true", **seller_auth).json()
    assert [c["id"] for c in listed["results"]] == [waiting.pk]
    assert listed["results"][0]["unread_count"] == 2
    opening = Message.objects.filter(conversation=answered).order_by("id").first()
    assert opening is not None
    listed = client_api.get("/seller/conversations/?unread=false", **seller_auth).json()
    assert [
        (c["id"], c["unread_count"], c["customer_last_read_message_id"]) for c in listed["results"]
    ] == [(answered.pk, 0, opening.pk)]
    assert client_api.get("/seller/conversations/?unread=maybe", **seller_auth).json() == {
        "unread": ["Must be a valid boolean."]
    }
    assert (
        client_api.get("/seller/conversations/stats/", **seller_auth).json()["unread_conversations"]
        == 1
    )

    response = client_api.post(f"/seller/conversations/{waiting.pk}/read/", **seller_auth)
    newest = Message.objects.filter(conversation=waiting).order_by("-id").first()
    assert newest is not None
    assert response.json() == {
        "conversation": waiting.pk,
        "last_read_message_id": newest.pk,
        "unread_count": 0,
    }
    assert client_api.get(f"/seller/conversations/{waiting.pk}/read/", **seller_auth).json() == {
        "last_read_message_id": newest.pk,
        "counterparty_last_read_message_id": newest.pk,
    }
    response = client_api.post(f"/seller/conversations/{waiting.pk}/unread/", **seller_auth)
    first = Message.objects.filter(conversation=waiting).order_by("id").first()
    assert first is not None
    assert response.json() == {
        "conversation": waiting.pk,
        "last_read_message_id": first.pk,
        "unread_count": 1,
    }
    other_auth = token_header(token_issue(DataSourceFactory.create())[1])
    for method, suffix in (("get", "read/"), ("post", "read/"), ("post", "unread/")):
        call = getattr(client_api, method)
        assert call(f"/seller/conversations/{waiting.pk}/{suffix}", **other_auth).status_code == 404
