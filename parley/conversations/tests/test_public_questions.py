"""`GET /products/<pk>/questions/`: answered public questions, with nothing personal."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from parley.accounts.models import User
from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory, ProductFactory
from parley.conversations import services as conversation_services
from parley.conversations.models import Conversation, ItemContent, Message
from parley.conversations.pages import name_mask
from parley.conversations.tests.factories import conversation_build

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.fixture
def product() -> Any:
    return ProductFactory.create(datasource=DataSourceFactory.create(name="anatolia", title="AT"))


def _question(product: Any, messages: list[tuple[str, datetime]], **fields: Any) -> Conversation:
    fields.setdefault("is_public", True)
    fields.setdefault("conversation_type", "question")
    return conversation_build(
        datasource=product.datasource,
        messages=messages,
        item_content=ItemContent.PRODUCT,
        item_id=product.pk,
        **fields,
    )


def test_only_answered_public_questions_of_the_product_are_shown(client_api, product):
    older = _question(product, [("user", T0), ("datasource", T0 + H)])
    newer = _question(
        product, [("user", T0)], user=UserFactory.create(), conversation_type="question"
    )
    Message.objects.create(
        conversation=newer,
        message_content="answer",
        content_type="datasource",
        content_id=product.datasource_id,
        user_type="registered",
        created_date=T0 + 2 * H,
    )
    Conversation.objects.filter(pk=newer.pk).update(last_message_date=T0 + 2 * H)
    _question(product, [("user", T0 + 3 * H)])  # unanswered
    _question(product, [("user", T0), ("datasource", T0 + H)], is_public=False)
    _question(product, [("user", T0), ("datasource", T0 + H)], conversation_type="review")
    _question(
        ProductFactory.create(datasource=product.datasource), [("user", T0), ("datasource", T0)]
    )
    response = client_api.get(f"/products/{product.pk}/questions")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [q["id"] for q in body["results"]] == [newer.pk, older.pk]


def test_a_question_has_exactly_the_public_fields(client_api, product):
    asker = UserFactory.create(
        first_name="Çağla", last_name="Öztürk", email="cagla@example.com", phone="+905551112233"
    )
    question = _question(
        product, [("user", T0), ("datasource", T0 + H)], user=asker, subject="Cotton?"
    )
    messages = list(Message.objects.filter(conversation=question).order_by("created_date"))
    body = client_api.get(f"/products/{product.pk}/questions/").json()
    assert body["results"] == [
        {
            "id": question.pk,
            "subject": "Cotton?",
            "conversation_type": "question",
            "last_message_date": "2026-11-01T10:00:00Z",
            "datasource": {"pk": product.datasource_id, "name": "anatolia", "title": "AT"},
            "user": {"first_name": "Ç***", "last_name": "Ö***"},
            "message_set": [
                {
                    "id": message.pk,
                    "message_content": message.message_content,
                    "content_type": message.content_type,
                    "created_date": message.created_date.isoformat().replace("+00:00", "Z"),
                }
                for message in messages
            ],
        }
    ]
    text = json.dumps(body, ensure_ascii=False)
    for personal in ("cagla@example.com", "+905551112233", "Çağla", "Öztürk"):
        assert personal not in text
    assert "content_id" not in text and "user_type" not in text and "email" not in text


def test_names_are_masked_to_their_first_letter():
    assert name_mask("Çağla") == "Ç***"
    assert name_mask("  ali ") == "a***"
    assert name_mask("") == ""
    assert name_mask(None) == ""


def test_hidden_messages_vanish_and_a_hidden_answer_withdraws_the_question(client_api, product):
    question = _question(product, [("user", T0), ("user", T0 + H), ("datasource", T0 + 2 * H)])
    first, second, answer = Message.objects.filter(conversation=question).order_by("created_date")
    conversation_services.message_hide(message=second, hidden_by=None)
    [shown] = client_api.get(f"/products/{product.pk}/questions/").json()["results"]
    assert [m["id"] for m in shown["message_set"]] == [first.pk, answer.pk]
    conversation_services.message_hide(message=answer, hidden_by=None)
    assert client_api.get(f"/products/{product.pk}/questions/").json()["count"] == 0


def test_staff_withdraw_a_question_from_public_view_in_the_admin(client_api, product):
    question = _question(product, [("user", T0), ("datasource", T0 + H)])
    staff = Client()
    staff.force_login(User.objects.create_superuser("staff@example.com", "pw"))
    response = staff.post(
        "/admin/conversations/conversation/",
        {"action": "withdraw_from_public", "_selected_action": [question.pk]},
    )
    assert response.status_code == 302
    assert client_api.get(f"/products/{product.pk}/questions/").json()["count"] == 0
    question.refresh_from_db()
    assert question.is_public is False


def test_staff_hide_a_message_in_the_admin_recording_who_and_when(client_api, product):
    question = _question(product, [("user", T0), ("datasource", T0 + H)])
    answer = Message.objects.get(conversation=question, content_type="datasource")
    staff_user = User.objects.create_superuser("staff@example.com", "pw")
    staff = Client()
    staff.force_login(staff_user)
    staff.post(
        "/admin/conversations/message/",
        {"action": "hide_messages", "_selected_action": [answer.pk]},
    )
    answer.refresh_from_db()
    assert (answer.is_hidden, answer.hidden_by) == (True, staff_user)
    assert answer.hidden_at is not None
    assert client_api.get(f"/products/{product.pk}/questions/").json()["count"] == 0


@pytest.mark.parametrize("product_id", ["999999", "0", "abc", "99999999999999999999"])
def test_an_unknown_product_is_404(client_api, product_id):
    response = client_api.get(f"/products/{product_id}/questions/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_product_without_questions_is_an_empty_page(client_api, product):
    assert client_api.get(f"/products/{product.pk}/questions/").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_no_login_is_needed_and_a_session_changes_nothing(client_api, product, user):
    _question(product, [("user", T0), ("datasource", T0 + H)])
    anonymous = client_api.get(f"/products/{product.pk}/questions/").json()
    client_api.login_as(user)
    assert client_api.get(f"/products/{product.pk}/questions/").json() == anonymous


@pytest.mark.parametrize("limit", [1, 100])
def test_the_list_costs_a_fixed_number_of_queries(
    client_api, product, limit, django_assert_num_queries
):
    for number in range(limit + 1):
        _question(
            product,
            [("user", T0 + number * H), ("datasource", T0 + number * H)],
            user=UserFactory.create(),
        )
    with django_assert_num_queries(4):  # version, count, page with users and seller, messages
        response = client_api.get(f"/products/{product.pk}/questions/?limit={limit}")
    body = response.json()
    assert (body["count"], len(body["results"])) == (limit + 1, limit)
