"""POST /users/conversations/ at the HTTP level: opening, appending, and every refusal."""

from datetime import UTC, datetime

import pytest

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import (
    DataSourceFactory,
    OrderItemFactory,
    ProductFactory,
)
from parley.conversations.models import Conversation, Message
from parley.conversations.tests.factories import ConversationFactory, MessageFactory
from parley.core.throttles import ConversationCreateThrottle

pytestmark = pytest.mark.django_db

URL = "/users/conversations/"


@pytest.fixture
def seller():
    return DataSourceFactory.create()


@pytest.fixture
def product(seller):
    return ProductFactory.create(datasource=seller)


def payload(account, seller, /, **overrides):
    body = {
        "conversation_type": "message",
        "user": account.pk,
        "user_type": "registered",
        "message_content": "hello first message",
        "datasource": seller.pk,
        "content_type": "user",
        "is_public": False,
        "content_id": account.pk,
        "subject": "subject",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not OMIT}


OMIT = object()


def snapshot():
    return (
        list(Conversation.objects.order_by("id").values()),
        list(Message.objects.order_by("id").values()),
    )


def test_opening_a_product_question_answers_the_seeds_body(logged_in, user, seller, product):
    response = logged_in.post(
        URL,
        payload(
            user,
            seller,
            conversation_type="question",
            is_public=True,
            item_content="product",
            item_id=product.pk,
            country_code="TR",  # unknown fields are ignored
        ),
        format="json",
    )

    assert response.status_code == 201, response.content
    conversation = Conversation.objects.get()
    message = Message.objects.get()
    assert response.json() == {
        "id": conversation.pk,
        "datasource": seller.pk,
        "user": user.pk,
        "subject": "subject",
        "item_content": "product",
        "is_public": True,
        "item_id": product.pk,
        "conversation_type": "question",
        "message_content": "hello first message",
        "user_type": "registered",
        "content_id": user.pk,
        "content_type": "user",
    }
    assert (conversation.user, conversation.datasource, conversation.is_answered) == (
        user,
        seller,
        False,
    )
    assert conversation.last_message_date == message.created_date
    assert (message.conversation, message.content_type, message.content_id) == (
        conversation,
        "user",
        user.pk,
    )


def test_opening_an_order_item_message(logged_in, user, seller):
    order_item = OrderItemFactory.create(
        order__user=user, product=ProductFactory.create(datasource=seller)
    )
    response = logged_in.post(
        URL, payload(user, seller, item_content="orderitem", item_id=order_item.pk), format="json"
    )
    assert response.status_code == 201, response.content
    conversation = Conversation.objects.get()
    assert (conversation.item_content, conversation.item_id) == ("orderitem", order_item.pk)
    listed = logged_in.get(URL).json()["results"][0]
    assert listed["item_object"]["pk"] == order_item.pk
    assert [m["message_content"] for m in listed["message_set"]] == ["hello first message"]


def test_ids_may_arrive_as_numeric_strings_and_optionals_as_empty_strings(logged_in, user, seller):
    response = logged_in.post(
        URL,
        payload(
            user,
            seller,
            user=str(user.pk),
            content_id=str(user.pk),
            datasource=str(seller.pk),
            subject="",
            is_public="",
            conversation="",
            item_content="",
            item_id="",
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["subject"], body["is_public"], body["item_content"], body["item_id"]) == (
        None,
        False,
        None,
        None,
    )
    assert Conversation.objects.get().subject is None


def test_the_path_without_a_trailing_slash_works_for_post(logged_in, user, seller):
    response = logged_in.post(URL.rstrip("/"), payload(user, seller), format="json")
    assert response.status_code == 201
    assert Conversation.objects.count() == 1


def test_turkish_letters_and_emoji_round_trip_exactly(logged_in, user, seller):
    text = "Merhaba! Ürünün şişesi kırık geldi, iade edebilir miyim? 🙏🏽 İĞÜŞÖÇığüşöç"
    subject = "Kırık şişe 🍾"
    response = logged_in.post(
        URL, payload(user, seller, message_content=text, subject=subject), format="json"
    )
    assert response.status_code == 201
    assert (response.json()["message_content"], response.json()["subject"]) == (text, subject)
    detail = logged_in.get(f"{URL}{response.json()['id']}/").json()
    assert detail["subject"] == subject
    assert detail["message_set"][0]["message_content"] == text


def test_form_encoded_bodies_work_too(logged_in, user, seller):
    response = logged_in.post(URL, payload(user, seller, is_public="true"), format="multipart")
    assert response.status_code == 201, response.content
    assert Conversation.objects.get().is_public is True


# --- Duplicates ------------------------------------------------------------------------


@pytest.mark.parametrize("with_item", [False, True])
def test_a_duplicate_is_exactly_the_seeds_bare_list(logged_in, user, seller, product, with_item):
    item = {"item_content": "product", "item_id": product.pk} if with_item else {}
    first = logged_in.post(URL, payload(user, seller, **item), format="json")
    assert first.status_code == 201
    before = snapshot()

    again = logged_in.post(
        URL, payload(user, seller, subject="another subject", **item), format="json"
    )

    assert again.status_code == 400
    assert again.json() == ["Conversation already exists"]
    assert snapshot() == before


def test_another_type_or_item_or_seller_is_another_conversation(logged_in, user, seller, product):
    other_product = ProductFactory.create(datasource=seller)
    other_seller = DataSourceFactory.create()
    bodies = [
        payload(user, seller),
        payload(user, seller, conversation_type="question"),
        payload(user, seller, item_content="product", item_id=product.pk),
        payload(user, seller, item_content="product", item_id=other_product.pk),
        payload(user, other_seller),
    ]
    for body in bodies:
        assert logged_in.post(URL, body, format="json").status_code == 201
    assert Conversation.objects.count() == 5


def test_another_users_identical_conversation_is_no_duplicate(logged_in, user, seller):
    ConversationFactory.create(
        user=UserFactory.create(), datasource=seller, conversation_type="message"
    )
    assert logged_in.post(URL, payload(user, seller), format="json").status_code == 201


# --- Appending -------------------------------------------------------------------------


def test_appending_keeps_the_conversations_own_values_and_clears_is_answered(
    logged_in, user, seller, product
):
    conversation = ConversationFactory.create(
        user=user,
        datasource=seller,
        conversation_type="question",
        subject="original",
        is_public=True,
        item_content="product",
        item_id=product.pk,
        is_answered=True,
        last_message_date=datetime(2026, 1, 1, tzinfo=UTC),
    )
    MessageFactory.create(
        conversation=conversation,
        content_type="datasource",
        content_id=seller.pk,
        created_date=datetime(2026, 1, 1, tzinfo=UTC),
    )

    response = logged_in.post(
        URL,
        payload(
            user,
            seller,
            conversation_type="question",
            conversation=conversation.pk,
            message_content="a follow-up",
            # Ignored, not validated, with `conversation`.
            subject="x" * 300,
            is_public="not a boolean",
            item_content="basket",
            item_id="abc",
        ),
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json() == {
        "id": conversation.pk,
        "datasource": seller.pk,
        "user": user.pk,
        "subject": "original",
        "item_content": "product",
        "is_public": True,
        "item_id": product.pk,
        "conversation_type": "question",
        "message_content": "a follow-up",
        "user_type": "registered",
        "content_id": user.pk,
        "content_type": "user",
    }
    conversation.refresh_from_db()
    newest = Message.objects.latest("id")
    assert conversation.is_answered is False
    assert conversation.last_message_date == newest.created_date
    assert newest.created_date > datetime(2026, 1, 1, tzinfo=UTC)
    assert (Conversation.objects.count(), Message.objects.count()) == (1, 2)


def test_appending_past_the_message_limit_is_a_400(logged_in, user, seller, settings):
    settings.PARLEY_CONVERSATION_MAX_MESSAGES = 2
    conversation = ConversationFactory.create(user=user, datasource=seller)
    MessageFactory.create_batch(2, conversation=conversation)
    before = snapshot()

    response = logged_in.post(URL, payload(user, seller, conversation=conversation.pk))

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["This conversation already holds the maximum of 2 messages."]
    }
    assert snapshot() == before


# --- Refusals --------------------------------------------------------------------------


def test_anonymous_is_refused(client_api, user, seller):
    client_api.fetch_csrf()
    response = client_api.post(URL, payload(user, seller), format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert Conversation.objects.count() == 0


def test_a_post_without_csrf_is_refused(client_api, user, seller):
    client_api.force_login(user)
    response = client_api.post(URL, payload(user, seller), format="json")
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed:")
    assert Conversation.objects.count() == 0


def bad_requests():
    """(name, how to build the body, the exact answer). `w` holds the world."""
    return [
        (
            "another user",
            lambda w: payload(w.user, w.seller, user=w.stranger.pk),
            {"user": ["This must be your own user id."]},
        ),
        (
            "another writer",
            lambda w: payload(w.user, w.seller, content_id=w.stranger.pk),
            {"content_id": ["This must be your own user id."]},
        ),
        (
            "writing as the seller",
            lambda w: payload(w.user, w.seller, content_type="datasource"),
            {"content_type": ['This must be "user" here.']},
        ),
        (
            "unknown writer kind",
            lambda w: payload(w.user, w.seller, content_type="admin"),
            {"content_type": ['"admin" is not a valid choice.']},
        ),
        (
            "guest user type for a registered account",
            lambda w: payload(w.user, w.seller, user_type="guest"),
            {"user_type": ["This does not match your account."]},
        ),
        (
            "unknown user type",
            lambda w: payload(w.user, w.seller, user_type="vip"),
            {"user_type": ['"vip" is not a valid choice.']},
        ),
        (
            "unknown seller",
            lambda w: payload(w.user, w.seller, datasource=w.seller.pk + 1000),
            {"datasource": ["No active seller with this id."]},
        ),
        (
            "inactive seller",
            lambda w: payload(w.user, w.inactive_seller),
            {"datasource": ["No active seller with this id."]},
        ),
        (
            "another seller's product",
            lambda w: payload(
                w.user, w.seller, item_content="product", item_id=w.foreign_product.pk
            ),
            {"item_id": ["No product with this id is sold by this seller."]},
        ),
        (
            "unknown product",
            lambda w: payload(w.user, w.seller, item_content="product", item_id=10**12),
            {"item_id": ["No product with this id is sold by this seller."]},
        ),
        (
            "someone else's order item",
            lambda w: payload(
                w.user, w.seller, item_content="orderitem", item_id=w.strangers_item.pk
            ),
            {"item_id": ["No item of your orders with this id is sold by this seller."]},
        ),
        (
            "own order item of another seller",
            lambda w: payload(
                w.user, w.seller, item_content="orderitem", item_id=w.foreign_item.pk
            ),
            {"item_id": ["No item of your orders with this id is sold by this seller."]},
        ),
        (
            "item kind without id",
            lambda w: payload(w.user, w.seller, item_content="product"),
            {"item_id": ["item_id is required with item_content."]},
        ),
        (
            "item id without kind",
            lambda w: payload(w.user, w.seller, item_id=w.product.pk),
            {"item_content": ["item_content is required with item_id."]},
        ),
        (
            "unknown item kind",
            lambda w: payload(w.user, w.seller, item_content="basket", item_id=1),
            {"item_content": ['"basket" is not a valid choice.']},
        ),
        (
            "someone else's conversation",
            lambda w: payload(w.user, w.seller, conversation=w.strangers_conversation.pk),
            {"conversation": ["No conversation of yours with this id, seller and type."]},
        ),
        (
            "own conversation with another seller",
            lambda w: payload(w.user, w.other_seller, conversation=w.conversation.pk),
            {"conversation": ["No conversation of yours with this id, seller and type."]},
        ),
        (
            "own conversation of another type",
            lambda w: payload(
                w.user, w.seller, conversation_type="review", conversation=w.conversation.pk
            ),
            {"conversation": ["No conversation of yours with this id, seller and type."]},
        ),
        (
            "unknown conversation",
            lambda w: payload(w.user, w.seller, conversation=10**12),
            {"conversation": ["No conversation of yours with this id, seller and type."]},
        ),
        (
            "unknown conversation type",
            lambda w: payload(w.user, w.seller, conversation_type="chat"),
            {"conversation_type": ['"chat" is not a valid choice.']},
        ),
        (
            "blank message",
            lambda w: payload(w.user, w.seller, message_content="  \n "),
            {"message_content": ["This field may not be blank."]},
        ),
        (
            "over-long message",
            lambda w: payload(w.user, w.seller, message_content="ş" * 5001),
            {"message_content": ["Ensure this field has no more than 5000 characters."]},
        ),
        (
            "NUL in the message",
            lambda w: payload(w.user, w.seller, message_content="a\x00b"),
            {
                "message_content": [
                    "Null characters are not allowed.",
                    "NUL characters are not allowed.",
                ]
            },
        ),
        (
            "over-long subject",
            lambda w: payload(w.user, w.seller, subject="s" * 256),
            {"subject": ["Ensure this field has no more than 255 characters."]},
        ),
        (
            "subject on two lines",
            lambda w: payload(w.user, w.seller, subject="one\ntwo"),
            {"subject": ["Control characters (such as line breaks) are not allowed here."]},
        ),
        (
            "non-numeric user",
            lambda w: payload(w.user, w.seller, user="me"),
            {"user": ["A valid integer is required."]},
        ),
        (
            "float seller",
            lambda w: payload(w.user, w.seller, datasource=1.5),
            {"datasource": ["A valid integer is required."]},
        ),
        (
            "boolean writer id",
            lambda w: payload(w.user, w.seller, content_id=True),
            {"content_id": ["A valid integer is required."]},
        ),
        (
            "absurd item id",
            lambda w: payload(w.user, w.seller, item_content="product", item_id=10**30),
            {"item_id": ["Ensure this value is less than or equal to 9223372036854775807."]},
        ),
        (
            "negative conversation id",
            lambda w: payload(w.user, w.seller, conversation=-4),
            {"conversation": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            "not a boolean is_public",
            lambda w: payload(w.user, w.seller, is_public="perhaps"),
            {"is_public": ["Must be a valid boolean."]},
        ),
        (
            "everything missing",
            lambda w: {},
            {
                name: ["This field is required."]
                for name in (
                    "conversation_type",
                    "user",
                    "user_type",
                    "message_content",
                    "datasource",
                    "content_type",
                    "content_id",
                )
            },
        ),
        (
            "a list instead of an object",
            lambda w: [payload(w.user, w.seller)],
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]},
        ),
    ]


class World:
    def __init__(self, user):
        self.user = user
        self.stranger = UserFactory.create()
        self.seller = DataSourceFactory.create()
        self.other_seller = DataSourceFactory.create()
        self.inactive_seller = DataSourceFactory.create(is_active=False)
        self.product = ProductFactory.create(datasource=self.seller)
        self.foreign_product = ProductFactory.create(datasource=self.other_seller)
        self.strangers_item = OrderItemFactory.create(
            order__user=self.stranger, product=ProductFactory.create(datasource=self.seller)
        )
        self.foreign_item = OrderItemFactory.create(order__user=user, product=self.foreign_product)
        self.conversation = ConversationFactory.create(user=user, datasource=self.seller)
        self.strangers_conversation = ConversationFactory.create(
            user=self.stranger, datasource=self.seller
        )


@pytest.mark.parametrize(
    ("build", "answer"),
    [(build, answer) for _, build, answer in bad_requests()],
    ids=[name for name, _, _ in bad_requests()],
)
def test_a_bad_request_is_an_exact_400_and_changes_nothing(logged_in, user, build, answer):
    world = World(user)
    before = snapshot()

    response = logged_in.post(URL, build(world), format="json")

    assert response.status_code == 400
    assert response.json() == answer
    assert snapshot() == before


def test_posting_is_throttled_per_user(logged_in, user, seller, monkeypatch):
    monkeypatch.setattr(ConversationCreateThrottle, "rate", "2/min", raising=False)
    statuses = [
        logged_in.post(URL, payload(user, seller, conversation_type=kind), format="json")
        for kind in ("message", "question", "review")
    ]
    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert "Retry-After" in statuses[2].headers
    assert Conversation.objects.count() == 2
    assert logged_in.get(URL).status_code == 200  # reading is not throttled
