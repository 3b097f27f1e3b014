"""The seller API at the HTTP level: listing, filters, detail, answering."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import (
    DataSourceFactory,
    OrderItemFactory,
    ProductFactory,
    ProductImageFactory,
)
from parley.conversations import services as conversation_services
from parley.conversations.models import Conversation, ItemContent, Message
from parley.conversations.tests.factories import conversation_build
from parley.conversations.tests.helpers import seller_conversation_declared
from parley.sellers.models import SellerToken
from parley.sellers.tests.factories import token_header, token_issue

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.fixture
def seller() -> Any:
    return DataSourceFactory.create()


@pytest.fixture
def auth(seller) -> dict[str, Any]:
    token, key = token_issue(seller)
    SellerToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
    return token_header(key)


def _rendered(conversation: Conversation) -> dict[str, Any]:
    """The seller's object: the customer API's, with the seller's unread count and the
    customer's read mark (API.md §7)."""
    return seller_conversation_declared(conversation)


# --- Listing ---------------------------------------------------------------------------------


def test_list_holds_the_sellers_conversations_only_newest_activity_first(client_api, seller, auth):
    old = conversation_build(datasource=seller, messages=[("user", T0)])
    new = conversation_build(datasource=seller, messages=[("user", T0 - H), ("datasource", T0 + H)])
    conversation_build(messages=[("user", T0 + 2 * H)])  # another seller's
    response = client_api.get("/seller/conversations/", **auth)
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert [c["id"] for c in body["results"]] == [new.pk, old.pk]
    assert body["results"] == [_rendered(new), _rendered(old)]  # the customer API's objects


def test_list_shows_the_conversation_object_of_the_contract(client_api, seller, auth):
    product = ProductFactory.create(datasource=seller)
    ProductImageFactory.create(product=product, order=1, image="products/b.jpg")
    ProductImageFactory.create(product=product, order=0, image="products/a.jpg")
    customer = UserFactory.create(first_name="Çağla", last_name="Öztürk", phone="+905551112233")
    conversation = conversation_build(
        user=customer,
        datasource=seller,
        messages=[("user", T0), ("datasource", T0 + H)],
        item_content=ItemContent.PRODUCT,
        item_id=product.pk,
        subject="Size?",
        is_public=True,
    )
    [result] = client_api.get("/seller/conversations", **auth).json()["results"]
    assert set(result) == {
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
        "unread_count",
        "customer_last_read_message_id",
    }
    assert result["id"] == conversation.pk
    assert result["is_answered"] is True
    assert result["last_message_date"] == "2026-11-01T10:00:00Z"
    assert result["user"] == {
        "id": customer.pk,
        "first_name": "Çağla",
        "last_name": "Öztürk",
        "gender": None,
        "email": customer.email,
        "phone": "+905551112233",
    }
    assert [image["image"] for image in result["item_object"]["product_images"]] == [
        "products/a.jpg",
        "products/b.jpg",
    ]
    assert [(m["content_type"], m["content_id"]) for m in result["message_set"]] == [
        ("user", customer.pk),
        ("datasource", seller.pk),
    ]


def test_list_is_paginated_as_the_contract_says(client_api, seller, auth):
    for hour in range(3):
        conversation_build(datasource=seller, messages=[("user", T0 + hour * H)])
    body = client_api.get("/seller/conversations/?limit=2&page=2", **auth).json()
    assert body["count"] == 3
    assert len(body["results"]) == 1
    assert body["next"] is None
    assert body["previous"] == "http://testserver/seller/conversations/?limit=2"
    response = client_api.get("/seller/conversations/?page=9", **auth)
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


@pytest.mark.parametrize("limit", [1, 100])
def test_list_costs_a_fixed_number_of_queries(
    client_api, seller, auth, limit, django_assert_num_queries
):
    for number in range(limit + 1):
        product = ProductFactory.create(datasource=seller)
        ProductImageFactory.create(product=product)
        item = OrderItemFactory.create(product=ProductFactory.create(datasource=seller))
        at = T0 + number * H
        conversation_build(
            datasource=seller,
            messages=[("user", at), ("datasource", at)],
            item_content=ItemContent.PRODUCT,
            item_id=product.pk,
        )
        conversation_build(
            datasource=seller,
            messages=[("user", at)],
            item_content=ItemContent.ORDERITEM,
            item_id=item.pk,
        )
    # token, the page with its total, messages, order items, products with their images
    with django_assert_num_queries(5):
        response = client_api.get(f"/seller/conversations/?limit={limit}", **auth)
    assert len(response.json()["results"]) == limit


# --- Filters ---------------------------------------------------------------------------------


@pytest.fixture
def mixed(seller) -> dict[str, Conversation]:
    product = ProductFactory.create(datasource=seller)
    item = OrderItemFactory.create(product=ProductFactory.create(datasource=seller))
    return {
        "answered_question": conversation_build(
            datasource=seller,
            messages=[("user", T0), ("datasource", T0 + H)],
            conversation_type="question",
            item_content=ItemContent.PRODUCT,
            item_id=product.pk,
        ),
        "waiting_message": conversation_build(
            datasource=seller,
            messages=[("user", T0 + 2 * H)],
            item_content=ItemContent.ORDERITEM,
            item_id=item.pk,
        ),
        "waiting_review": conversation_build(
            datasource=seller, messages=[("user", T0 + 3 * H)], conversation_type="review"
        ),
        # An order item whose id equals the product's: item_id alone would be ambiguous.
        "product_id_as_item": conversation_build(
            datasource=seller,
            messages=[("user", T0 + 4 * H)],
            item_content=ItemContent.ORDERITEM,
            item_id=product.pk,
        ),
    }


def _ids(client_api, auth, query: str) -> list[int]:
    response = client_api.get(f"/seller/conversations/?{query}", **auth)
    assert response.status_code == 200, response.content
    return [c["id"] for c in response.json()["results"]]


def test_filters_narrow_the_list(client_api, auth, mixed):
    assert _ids(client_api, auth, "is_answered=true") == [mixed["answered_question"].pk]
    assert _ids(client_api, auth, "is_answered=false") == [
        mixed["product_id_as_item"].pk,
        mixed["waiting_review"].pk,
        mixed["waiting_message"].pk,
    ]
    assert _ids(client_api, auth, "conversation_type=review") == [mixed["waiting_review"].pk]
    product_id = mixed["answered_question"].item_id
    assert _ids(client_api, auth, f"item_content=product&item_id={product_id}") == [
        mixed["answered_question"].pk
    ]
    assert _ids(client_api, auth, "item_content=orderitem&is_answered=false") == [
        mixed["product_id_as_item"].pk,
        mixed["waiting_message"].pk,
    ]


def test_a_datasource_parameter_cannot_reach_another_seller(client_api, auth, mixed):
    other = conversation_build(messages=[("user", T0)])
    ids = _ids(client_api, auth, f"datasource={other.datasource_id}")
    assert other.pk not in ids
    assert len(ids) == 4


def test_updated_since_keeps_the_conversations_changed_at_or_after_it(client_api, auth, mixed):
    moments = {"answered_question": T0, "waiting_message": T0 + H, "waiting_review": T0 + 2 * H}
    for name, conversation in mixed.items():
        Conversation.objects.filter(pk=conversation.pk).update(
            modified_date=moments.get(name, T0 - H)
        )
    expected = [mixed["waiting_review"].pk, mixed["waiting_message"].pk]
    assert _ids(client_api, auth, "updated_since=2026-11-01T10:00:00Z") == expected
    assert _ids(client_api, auth, "updated_since=2026-11-01T10:00:00%2B00:00") == expected
    assert _ids(client_api, auth, "updated_since=2026-11-01T13:00:00%2B03:00") == expected
    # An unencoded `+` arrives as a space; it is read as the `+` it was.
    assert _ids(client_api, auth, "updated_since=2026-11-01T13:00:00+03:00") == expected
    assert _ids(client_api, auth, "updated_since=2026-11-01T10:00:00") == expected  # UTC
    assert _ids(client_api, auth, "updated_since=2026-11-01T10:00:00.000001Z") == [
        mixed["waiting_review"].pk
    ]


def test_a_moderation_moves_the_conversation_into_updated_since(client_api, auth, seller):
    conversation = conversation_build(datasource=seller, messages=[("user", T0), ("user", T0)])
    Conversation.objects.filter(pk=conversation.pk).update(modified_date=T0)
    since = timezone.now().isoformat().replace("+00:00", "Z")
    assert _ids(client_api, auth, f"updated_since={since}") == []
    conversation_services.message_hide(
        message=Message.objects.filter(conversation=conversation).latest("id"), hidden_by=None
    )
    assert _ids(client_api, auth, f"updated_since={since}") == [conversation.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("is_answered=maybe", "is_answered"),
        ("conversation_type=complaint", "conversation_type"),
        ("item_content=basket", "item_content"),
        ("item_content=product&item_id=abc", "item_id"),
        ("item_content=product&item_id=-1", "item_id"),
        ("item_id=1", "item_id"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since=2026-13-01T00:00:00Z", "updated_since"),
        ("updated_since=1700000000", "updated_since"),
        ("updated_since=2026-11-01T10:00:00%00", "updated_since"),
        ("updated_since=2026-11-01T10:00:00%2B99:00", "updated_since"),
        ("updated_since=9999-12-31T23:59:59-05:00", "updated_since"),
    ],
)
def test_a_filter_of_the_wrong_form_is_400_naming_it(client_api, auth, mixed, query, field):
    response = client_api.get(f"/seller/conversations/?{query}", **auth)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_unknown_parameters_and_empty_values_are_ignored(client_api, auth, mixed):
    assert len(_ids(client_api, auth, "colour=blue&is_answered=&updated_since=")) == 4


# --- Detail ----------------------------------------------------------------------------------


def test_detail_shows_the_sellers_own_conversation(client_api, seller, auth):
    conversation = conversation_build(datasource=seller, messages=[("user", T0)])
    response = client_api.get(f"/seller/conversations/{conversation.pk}", **auth)
    assert response.status_code == 200
    assert response.json() == _rendered(conversation)


@pytest.mark.parametrize("path_id", ["other", "0", "abc", "1.5", "99999999999999999999", "٣"])
def test_detail_is_404_for_another_sellers_or_no_conversation(client_api, auth, path_id):
    other = conversation_build(messages=[("user", T0)])
    conversation_id = str(other.pk) if path_id == "other" else path_id
    response = client_api.get(f"/seller/conversations/{conversation_id}/", **auth)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_hidden_messages_are_absent_from_list_and_detail(client_api, seller, auth):
    conversation = conversation_build(
        datasource=seller, messages=[("user", T0), ("user", T0 + H), ("datasource", T0 + 2 * H)]
    )
    spam = Message.objects.filter(conversation=conversation).order_by("created_date")[1]
    conversation_services.message_hide(message=spam, hidden_by=None)
    detail = client_api.get(f"/seller/conversations/{conversation.pk}/", **auth).json()
    listed = client_api.get("/seller/conversations/", **auth).json()["results"][0]
    for body in (detail, listed):
        assert spam.pk not in [m["id"] for m in body["message_set"]]
        assert len(body["message_set"]) == 2
        assert spam.message_content not in str(body)


# --- Answering -------------------------------------------------------------------------------


def test_answering_appends_the_sellers_message_and_marks_the_conversation_answered(
    client_api, seller, auth
):
    conversation = conversation_build(datasource=seller, messages=[("user", T0)])
    response = client_api.post(
        f"/seller/conversations/{conversation.pk}/messages",
        {"message_content": "  Yes, it ships tomorrow.\nThanks!  "},
        format="json",
        **auth,
    )
    assert response.status_code == 201
    message = Message.objects.get(conversation=conversation, content_type="datasource")
    assert response.json() == {
        "id": message.pk,
        "message_content": "Yes, it ships tomorrow.\nThanks!",
        "content_type": "datasource",
        "content_id": seller.pk,
        "user_type": "registered",
        "created_date": message.created_date.isoformat().replace("+00:00", "Z"),
        "attachments": [],  # API.md §8: the seller's message objects list their files
    }
    conversation.refresh_from_db()
    assert conversation.is_answered is True
    assert conversation.last_message_date == message.created_date
    assert conversation.first_response_date == message.created_date


def test_the_customer_sees_the_answer(client_api, seller, auth, user):
    conversation = conversation_services.conversation_create(
        user=user,
        datasource=seller,
        conversation_type="message",
        content="Where is my parcel?",
        user_type="registered",
    ).conversation
    client_api.post(
        f"/seller/conversations/{conversation.pk}/messages/",
        {"message_content": "On its way."},
        format="json",
        **auth,
    )
    client_api.credentials()  # drop the token: the customer reads with a session
    client_api.login_as(user)
    body = client_api.get(f"/users/conversations/{conversation.pk}/").json()
    assert body["is_answered"] is True
    assert [m["message_content"] for m in body["message_set"]] == [
        "Where is my parcel?",
        "On its way.",
    ]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"message_content": ""},
        {"message_content": "   "},
        {"message_content": None},
        {"message_content": 123},
        {"message_content": True},
        {"message_content": ["a"]},
        {"message_content": {"text": "a"}},
        {"message_content": "x" * 5001},
        {"message_content": "nul\x00here"},
    ],
)
def test_a_bad_answer_is_400_and_changes_nothing(client_api, seller, auth, body):
    conversation = conversation_build(datasource=seller, messages=[("user", T0)])
    response = client_api.post(
        f"/seller/conversations/{conversation.pk}/messages/", body, format="json", **auth
    )
    assert response.status_code == 400
    assert list(response.json()) == ["message_content"]
    assert Message.objects.filter(conversation=conversation).count() == 1
    conversation.refresh_from_db()
    assert conversation.is_answered is False


def test_an_answer_of_5000_characters_is_accepted(client_api, seller, auth):
    conversation = conversation_build(datasource=seller, messages=[("user", T0)])
    response = client_api.post(
        f"/seller/conversations/{conversation.pk}/messages/",
        {"message_content": "ş" * 5000},
        format="json",
        **auth,
    )
    assert response.status_code == 201
    assert len(response.json()["message_content"]) == 5000


def test_answering_another_sellers_conversation_is_404_and_changes_nothing(client_api, auth):
    other = conversation_build(messages=[("user", T0)])
    response = client_api.post(
        f"/seller/conversations/{other.pk}/messages/",
        {"message_content": "Hello"},
        format="json",
        **auth,
    )
    assert response.status_code == 404
    assert Message.objects.filter(conversation=other).count() == 1
    other.refresh_from_db()
    assert other.is_answered is False


def test_answering_a_full_conversation_is_400(client_api, seller, auth, settings):
    settings.PARLEY_CONVERSATION_MAX_MESSAGES = 2
    conversation = conversation_build(datasource=seller, messages=[("user", T0), ("user", T0)])
    response = client_api.post(
        f"/seller/conversations/{conversation.pk}/messages/",
        {"message_content": "Hello"},
        format="json",
        **auth,
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert Message.objects.filter(conversation=conversation).count() == 2


def test_a_form_encoded_answer_is_accepted_too(client_api, seller, auth):
    conversation = conversation_build(datasource=seller, messages=[("user", T0)])
    response = client_api.post(
        f"/seller/conversations/{conversation.pk}/messages/",
        {"message_content": "Form answer"},
        format="multipart",
        **auth,
    )
    assert response.status_code == 201
