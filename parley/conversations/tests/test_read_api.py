"""GET /users/conversations/ and GET /users/conversations/<id>/ at the HTTP level."""

from datetime import UTC, datetime, timedelta

import pytest

from parley.accounts.models import Gender
from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import (
    DataSourceFactory,
    OrderItemFactory,
    ProductFactory,
    ProductImageFactory,
)
from parley.conversations.models import Conversation, Message
from parley.conversations.tests.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def seller():
    return DataSourceFactory.create(
        name="seller-1",
        title="Test Seller",
        supplier_code="Code123",
        email=None,
        extras={"city": "Bursa"},
    )


@pytest.fixture
def product(seller):
    product = ProductFactory.create(sku="4455002", name="Oversized Sweatshirt", datasource=seller)
    # Created out of order: the answer must list them by `order`.
    ProductImageFactory.create(
        product=product, image="products/b.jpg", order=1, height=10, width=20
    )
    ProductImageFactory.create(
        product=product, image="products/a.jpg", order=0, height=80, width=101
    )
    return product


def product_json(product):
    images = sorted(product.product_images.all(), key=lambda image: image.order)
    return {
        "pk": product.pk,
        "sku": product.sku,
        "name": product.name,
        "product_images": [
            {
                "pk": image.pk,
                "product": product.pk,
                "image": image.image,
                "order": image.order,
                "height": image.height,
                "width": image.width,
            }
            for image in images
        ],
    }


def seller_json(seller):
    return {
        "pk": seller.pk,
        "name": seller.name,
        "title": seller.title,
        "slug": None,
        "supplier_code": seller.supplier_code,
        "mersis_number": None,
        "kep_address": None,
        "phone_number": None,
        "fax_number": None,
        "email": seller.email,
        "is_active": True,
        "trade_association": None,
        "price_list": None,
        "stock_list": None,
        "address": None,
        "extras": seller.extras,
    }


def test_list_needs_a_login(client_api):
    response = client_api.get("/users/conversations/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_detail_needs_a_login(client_api, user):
    conversation = ConversationFactory.create(user=user)
    response = client_api.get(f"/users/conversations/{conversation.pk}/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_list_shows_the_exact_objects_of_the_contract(logged_in, user, seller, product):
    user.first_name, user.last_name, user.gender, user.phone = (
        "Çağla",
        "Öztürk",
        Gender.FEMALE,
        None,
    )
    user.save()
    order_item = OrderItemFactory.create(order__user=user, order__number="ORD-1", product=product)
    about_product = ConversationFactory.create(
        user=user,
        datasource=seller,
        conversation_type="question",
        subject="subject-1",
        item_content="product",
        item_id=product.pk,
        is_public=True,
        is_answered=True,
        last_message_date=at(2),
    )
    question = MessageFactory.create(
        conversation=about_product, message_content="Pamuklu mu? 🧵", created_date=at(1)
    )
    answer = MessageFactory.create(
        conversation=about_product,
        message_content="Evet, %100 pamuk.",
        content_type="datasource",
        content_id=seller.pk,
        created_date=at(2),
    )
    about_order_item = ConversationFactory.create(
        user=user,
        datasource=seller,
        subject=None,
        item_content="orderitem",
        item_id=order_item.pk,
        last_message_date=at(5),
    )
    about_nothing = ConversationFactory.create(
        user=user, datasource=seller, conversation_type="review", last_message_date=at(3)
    )

    response = logged_in.get("/users/conversations/")

    assert response.status_code == 200
    user_json = {
        "id": user.pk,
        "first_name": "Çağla",
        "last_name": "Öztürk",
        "gender": "female",
        "email": user.email,
        "phone": None,
    }
    assert response.json() == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": about_order_item.pk,
                "conversation_type": "message",
                "item_object": {
                    "pk": order_item.pk,
                    "order": order_item.order_id,
                    "order_number": "ORD-1",
                    "product": product_json(product),
                },
                "is_answered": False,
                "subject": None,
                "message_set": [],
                "user": user_json,
                "last_message_date": "2026-11-01T09:35:00Z",
                "is_public": False,
                "item_content": "orderitem",
                "datasource": seller_json(seller),
            },
            {
                "id": about_nothing.pk,
                "conversation_type": "review",
                "item_object": None,
                "is_answered": False,
                "subject": about_nothing.subject,
                "message_set": [],
                "user": user_json,
                "last_message_date": "2026-11-01T09:33:00Z",
                "is_public": False,
                "item_content": None,
                "datasource": seller_json(seller),
            },
            {
                "id": about_product.pk,
                "conversation_type": "question",
                "item_object": product_json(product),
                "is_answered": True,
                "subject": "subject-1",
                "message_set": [
                    {
                        "id": question.pk,
                        "message_content": "Pamuklu mu? 🧵",
                        "content_type": "user",
                        "content_id": user.pk,
                        "user_type": "registered",
                        "created_date": "2026-11-01T09:31:00Z",
                    },
                    {
                        "id": answer.pk,
                        "message_content": "Evet, %100 pamuk.",
                        "content_type": "datasource",
                        "content_id": seller.pk,
                        "user_type": "registered",
                        "created_date": "2026-11-01T09:32:00Z",
                    },
                ],
                "user": user_json,
                "last_message_date": "2026-11-01T09:32:00Z",
                "is_public": True,
                "item_content": "product",
                "datasource": seller_json(seller),
            },
        ],
    }
    # The images really were stored out of order.
    assert [image.order for image in product.product_images.order_by("id")] == [1, 0]


def test_detail_shows_the_same_object_as_the_list(logged_in, user, seller, product):
    conversation = ConversationFactory.create(
        user=user, datasource=seller, item_content="product", item_id=product.pk
    )
    MessageFactory.create(conversation=conversation, created_date=at(1))
    MessageFactory.create(conversation=conversation, created_date=at(0))

    detail = logged_in.get(f"/users/conversations/{conversation.pk}/")
    listed = logged_in.get("/users/conversations/").json()["results"][0]

    assert detail.status_code == 200
    assert detail.json() == listed
    assert [m["created_date"] for m in detail.json()["message_set"]] == [
        "2026-11-01T09:30:00Z",
        "2026-11-01T09:31:00Z",
    ]


def test_detail_without_the_trailing_slash_answers_the_same(logged_in, user):
    conversation = ConversationFactory.create(user=user)
    with_slash = logged_in.get(f"/users/conversations/{conversation.pk}/")
    without = logged_in.get(f"/users/conversations/{conversation.pk}")
    assert without.status_code == 200
    assert without.json() == with_slash.json()
    assert (
        logged_in.get("/users/conversations").json()
        == logged_in.get("/users/conversations/").json()
    )


def test_another_users_conversation_is_not_listed_and_is_404(logged_in, user):
    mine = ConversationFactory.create(user=user)
    theirs = ConversationFactory.create(user=UserFactory.create())
    MessageFactory.create(conversation=theirs)

    listed = logged_in.get("/users/conversations/").json()
    detail = logged_in.get(f"/users/conversations/{theirs.pk}/")

    assert [c["id"] for c in listed["results"]] == [mine.pk]
    assert listed["count"] == 1
    assert detail.status_code == 404
    assert detail.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    "conversation_id", ["0", "abc", "1.5", "-1", "99999999999999999999999", "9223372036854775807"]
)
def test_detail_with_a_malformed_or_unknown_id_is_404(logged_in, conversation_id):
    response = logged_in.get(f"/users/conversations/{conversation_id}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_hidden_messages_are_in_no_answer(logged_in, user):
    conversation = ConversationFactory.create(user=user)
    shown = MessageFactory.create(conversation=conversation, created_date=at(0))
    MessageFactory.create(conversation=conversation, created_date=at(1), is_hidden=True)

    listed = logged_in.get("/users/conversations/").json()["results"][0]["message_set"]
    detail = logged_in.get(f"/users/conversations/{conversation.pk}/").json()["message_set"]

    assert [m["id"] for m in listed] == [shown.pk]
    assert [m["id"] for m in detail] == [shown.pk]


def test_newest_activity_comes_first_then_the_highest_id(logged_in, user):
    older = ConversationFactory.create(user=user, last_message_date=at(1))
    newest = ConversationFactory.create(user=user, last_message_date=at(9))
    tie_low = ConversationFactory.create(user=user, last_message_date=at(5))
    tie_high = ConversationFactory.create(user=user, last_message_date=at(5))

    results = logged_in.get("/users/conversations/").json()["results"]

    assert [c["id"] for c in results] == [newest.pk, tie_high.pk, tie_low.pk, older.pk]


def test_an_order_item_whose_product_is_gone_or_missing_item_renders_null(logged_in, user):
    product = ProductFactory.create()
    conversation = ConversationFactory.create(
        user=user, datasource=product.datasource, item_content="product", item_id=product.pk
    )
    product.delete()
    result = logged_in.get(f"/users/conversations/{conversation.pk}/").json()
    assert (result["item_content"], result["item_object"]) == ("product", None)


# --- Filters ---------------------------------------------------------------------------


@pytest.fixture
def filter_world(user):
    seller_a, seller_b = DataSourceFactory.create(), DataSourceFactory.create()
    product = ProductFactory.create(datasource=seller_a)
    order_item = OrderItemFactory.create(
        order__user=user, product=ProductFactory.create(datasource=seller_b)
    )
    if order_item.pk == product.pk:  # keep the clash below the only one
        order_item = OrderItemFactory.create(order=order_item.order, product=order_item.product)
    return {
        "question_a": ConversationFactory.create(
            user=user,
            datasource=seller_a,
            conversation_type="question",
            item_content="product",
            item_id=product.pk,
            is_answered=True,
            last_message_date=at(4),
        ),
        "message_b": ConversationFactory.create(
            user=user,
            datasource=seller_b,
            item_content="orderitem",
            item_id=order_item.pk,
            last_message_date=at(3),
        ),
        # An order item whose id equals the product's id must not match a product filter.
        "clash": ConversationFactory.create(
            user=user,
            datasource=seller_a,
            item_content="orderitem",
            item_id=product.pk,
            last_message_date=at(2),
        ),
        "review_a": ConversationFactory.create(
            user=user, datasource=seller_a, conversation_type="review", last_message_date=at(1)
        ),
        "theirs": ConversationFactory.create(
            user=UserFactory.create(),
            datasource=seller_a,
            conversation_type="question",
            item_content="product",
            item_id=product.pk,
            is_answered=True,
        ),
        "seller_a": seller_a,
        "product": product,
    }


def listed_names(client, world, query):
    response = client.get("/users/conversations/", query)
    assert response.status_code == 200, response.content
    by_id = {value.pk: name for name, value in world.items() if isinstance(value, Conversation)}
    return [by_id[c["id"]] for c in response.json()["results"]]


def test_filter_by_conversation_type(logged_in, filter_world):
    assert listed_names(logged_in, filter_world, {"conversation_type": "question"}) == [
        "question_a"
    ]


def test_filter_by_is_answered(logged_in, filter_world):
    assert listed_names(logged_in, filter_world, {"is_answered": "true"}) == ["question_a"]
    assert listed_names(logged_in, filter_world, {"is_answered": "false"}) == [
        "message_b",
        "clash",
        "review_a",
    ]


def test_filter_by_item_content_and_item_id(logged_in, filter_world):
    product = filter_world["product"]
    assert listed_names(logged_in, filter_world, {"item_content": "orderitem"}) == [
        "message_b",
        "clash",
    ]
    assert listed_names(
        logged_in, filter_world, {"item_content": "product", "item_id": str(product.pk)}
    ) == ["question_a"]
    assert listed_names(
        logged_in, filter_world, {"item_content": "orderitem", "item_id": str(product.pk)}
    ) == ["clash"]


def test_filter_by_datasource(logged_in, filter_world):
    assert listed_names(logged_in, filter_world, {"datasource": filter_world["seller_a"].pk}) == [
        "question_a",
        "clash",
        "review_a",
    ]


def test_unknown_and_empty_filters_are_ignored(logged_in, filter_world):
    assert listed_names(
        logged_in, filter_world, {"colour": "red", "conversation_type": "", "is_answered": ""}
    ) == ["question_a", "message_b", "clash", "review_a"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"conversation_type": "chat"}, "conversation_type"),
        ({"is_answered": "maybe"}, "is_answered"),
        ({"item_content": "basket"}, "item_content"),
        ({"item_content": "product", "item_id": "abc"}, "item_id"),
        ({"item_content": "product", "item_id": "-3"}, "item_id"),
        ({"item_id": "5"}, "item_id"),
        ({"datasource": "seller-1"}, "datasource"),
        ({"datasource": "99999999999999999999999"}, "datasource"),
    ],
)
def test_a_filter_of_the_wrong_form_is_a_400_naming_it(logged_in, filter_world, query, field):
    response = logged_in.get("/users/conversations/", query)
    assert response.status_code == 400
    assert list(response.json()) == [field]


# --- Pagination ------------------------------------------------------------------------


def test_pages_and_limits(logged_in, user):
    conversations = [
        ConversationFactory.create(user=user, last_message_date=at(i)) for i in range(3)
    ]
    newest_first = [c.pk for c in reversed(conversations)]

    page2 = logged_in.get("/users/conversations/", {"page": 2, "limit": 1}).json()

    assert page2["count"] == 3
    assert [c["id"] for c in page2["results"]] == [newest_first[1]]
    assert page2["next"] == "http://testserver/users/conversations/?limit=1&page=3"
    assert page2["previous"] == "http://testserver/users/conversations/?limit=1"


@pytest.mark.parametrize("limit", ["abc", "0", "-5", ""])
def test_a_bad_limit_means_the_default(logged_in, user, limit):
    for i in range(21):
        ConversationFactory.create(user=user, last_message_date=at(i))
    response = logged_in.get("/users/conversations/", {"limit": limit})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 20


def test_a_limit_above_the_maximum_is_clamped(logged_in, user):
    seller = DataSourceFactory.create()
    Conversation.objects.bulk_create(
        Conversation(
            user=user,
            datasource=seller,
            conversation_type="message",
            item_content="product",
            item_id=i + 1,
            last_message_date=at(i),
        )
        for i in range(101)
    )
    response = logged_in.get("/users/conversations/", {"limit": 100000})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 100
    assert response.json()["count"] == 101


@pytest.mark.parametrize("page", ["abc", "0", "-1", "2", "99999999999999999999"])
def test_a_bad_or_out_of_range_page_is_404(logged_in, user, page):
    ConversationFactory.create(user=user)
    response = logged_in.get("/users/conversations/", {"page": page})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


# --- Query counts ----------------------------------------------------------------------

# Session and user (2), the page with its total (1), messages (1), order items (1), products
# with their images (1).
LIST_QUERIES = 6


def build_busy_user(user, conversations=105, messages_each=12, images_each=4):
    """A user with many conversations, alternately about a product and an order item, each
    with many messages, every product with several images; the newest is an order item."""
    seller = DataSourceFactory.create()
    products = ProductFactory.create_batch(conversations, datasource=seller)
    for product in products:
        ProductImageFactory.create_batch(images_each, product=product)
    order_items = [OrderItemFactory.create(order__user=user, product=p) for p in products]
    conversation_rows = Conversation.objects.bulk_create(
        Conversation(
            user=user,
            datasource=seller,
            conversation_type="message",
            item_content="orderitem" if i % 2 else "product",
            item_id=order_items[i].pk if i % 2 else products[i].pk,
            last_message_date=at(i),
        )
        for i in range(conversations)
    )
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            message_content=f"message {n}",
            content_type="user",
            content_id=user.pk,
            user_type="registered",
            created_date=at(n),
        )
        for conversation in conversation_rows
        for n in range(messages_each)
    )
    # Make the newest one an order item, so a page of one holds the costliest kind.
    newest = [c for c in conversation_rows if c.item_content == "orderitem"][-1]
    Conversation.objects.filter(pk=newest.pk).update(last_message_date=at(999))


@pytest.mark.parametrize("limit", [1, 100])
def test_the_list_runs_a_fixed_number_of_queries(logged_in, user, django_assert_num_queries, limit):
    build_busy_user(user)
    with django_assert_num_queries(LIST_QUERIES):
        response = logged_in.get("/users/conversations/", {"limit": limit})
    body = response.json()
    assert len(body["results"]) == limit
    assert body["results"][0]["item_content"] == "orderitem"
    assert all(len(c["message_set"]) == 12 for c in body["results"])
    assert all(
        len((c["item_object"].get("product") or c["item_object"])["product_images"]) == 4
        for c in body["results"]
    )


def test_the_list_of_products_only_runs_one_item_query(logged_in, user, django_assert_num_queries):
    product = ProductFactory.create()
    ProductImageFactory.create_batch(3, product=product)
    for conversation_type in ("message", "question", "review"):
        ConversationFactory.create(
            user=user,
            datasource=product.datasource,
            conversation_type=conversation_type,
            item_content="product",
            item_id=product.pk,
        )
    with django_assert_num_queries(LIST_QUERIES - 1):
        response = logged_in.get("/users/conversations/")
    assert len(response.json()["results"]) == 3


@pytest.mark.parametrize("kind", ["product", "orderitem"])
def test_the_detail_runs_a_fixed_number_of_queries(
    logged_in, user, django_assert_num_queries, kind
):
    build_busy_user(user, conversations=4, messages_each=60, images_each=10)
    conversation = Conversation.objects.filter(user=user, item_content=kind).first()
    assert conversation is not None
    # Session and user (2), conversation (1), messages (1), then the item: order item and
    # product with its images (2), or product with its images (1).
    with django_assert_num_queries(6 if kind == "orderitem" else 5):
        response = logged_in.get(f"/users/conversations/{conversation.pk}/")
    assert len(response.json()["message_set"]) == 60


@pytest.mark.parametrize(
    "params",
    [{}, {"limit": "5"}, {"conversation_type": ""}, {"is_answered": "", "unknown": "x"}],
)
def test_a_page_without_filters_lists_everything(logged_in, user, params):
    ConversationFactory.create(user=user, conversation_type="message")
    ConversationFactory.create(user=user, conversation_type="question", is_answered=True)
    response = logged_in.get("/users/conversations/", params)
    assert response.status_code == 200
    assert response.json()["count"] == 2
