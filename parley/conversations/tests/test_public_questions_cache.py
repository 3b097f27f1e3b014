"""`GET /products/<pk>/questions/` for shared caches: ETag, `Cache-Control: public`, 304s
after one cheap query, and a tag that moves with every change a visitor could see."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from parley.accounts.models import User
from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory, ProductFactory
from parley.conversations import services as conversation_services
from parley.conversations.models import Conversation, ItemContent, Message
from parley.conversations.tests.factories import conversation_build
from parley.sellers import services as seller_services

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.fixture
def product() -> Any:
    return ProductFactory.create(datasource=DataSourceFactory.create(name="anatolia", title="AT"))


@pytest.fixture
def question(product: Any) -> Conversation:
    return _question(product, UserFactory.create(), at=T0)


def _question(product: Any, user: Any, *, at: datetime) -> Conversation:
    return conversation_build(
        datasource=product.datasource,
        messages=[("user", at), ("datasource", at + H)],
        item_content=ItemContent.PRODUCT,
        item_id=product.pk,
        is_public=True,
        conversation_type="question",
        user=user,
    )


def _url(product: Any, query: str = "") -> str:
    return f"/products/{product.pk}/questions/{query}"


def _tag(client: Any, product: Any, query: str = "") -> str:
    response = client.get(_url(product, query))
    assert response.status_code == 200
    return str(response["ETag"])


def _staff() -> Client:
    staff = Client()
    staff.force_login(User.objects.create_superuser("staff@example.com", "pw"))
    return staff


def test_a_full_answer_carries_its_tag_and_may_be_kept_by_shared_caches(
    client_api, product, question, settings
):
    settings.PARLEY_PUBLIC_QUESTIONS_MAX_AGE = 17
    response = client_api.get(_url(product), HTTP_ACCEPT_LANGUAGE="tr")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response["ETag"].startswith('W/"') and response["ETag"].endswith('"')
    assert response["Cache-Control"] == "public, max-age=17"
    # Nothing that would make a CDN keep one copy per visitor or per language: the answer
    # reads the same in every language and sets no cookie.
    assert "Set-Cookie" not in response.headers
    assert response.cookies == {}
    assert "Vary" not in response.headers
    assert "Content-Language" not in response.headers


def test_the_max_age_defaults_to_sixty_seconds(client_api, product, question):
    assert client_api.get(_url(product))["Cache-Control"] == "public, max-age=60"


def test_a_session_and_an_unknown_language_change_neither_tag_nor_headers(
    client_api, product, question
):
    anonymous = client_api.get(_url(product))
    client_api.login_as(UserFactory.create())
    logged_in = client_api.get(_url(product), HTTP_ACCEPT_LANGUAGE="undefined")
    assert logged_in["ETag"] == anonymous["ETag"]
    assert "Set-Cookie" not in logged_in.headers and "Vary" not in logged_in.headers


@pytest.mark.parametrize(
    "if_none_match",
    [
        "{tag}",
        "{strong}",  # If-None-Match compares weakly (RFC 9110 13.1.2)
        '"other", {tag}',
        'W/"other",{strong} , "third"',
        "*",
    ],
)
def test_a_matching_if_none_match_is_304_with_the_cache_headers(
    client_api, product, question, if_none_match
):
    tag = _tag(client_api, product)
    header = if_none_match.format(tag=tag, strong=tag.removeprefix("W/"))
    response = client_api.get(_url(product), HTTP_IF_NONE_MATCH=header)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == tag
    assert response["Cache-Control"] == "public, max-age=60"
    assert "Set-Cookie" not in response.headers and "Vary" not in response.headers


@pytest.mark.parametrize("if_none_match", ['"other"', 'W/"other", W/"third"', "", "garbage"])
def test_a_tag_that_does_not_match_is_a_full_answer(client_api, product, question, if_none_match):
    response = client_api.get(_url(product), HTTP_IF_NONE_MATCH=if_none_match)
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_the_304_costs_one_query(client_api, product, question, django_assert_num_queries):
    tag = _tag(client_api, product)
    with django_assert_num_queries(1):
        response = client_api.get(_url(product), HTTP_IF_NONE_MATCH=tag)
    assert response.status_code == 304


def test_each_page_and_limit_has_its_own_tag(client_api, product, question):
    _question(product, UserFactory.create(), at=T0 + 3 * H)
    tags = {
        _tag(client_api, product, query)
        for query in ("", "?limit=1", "?limit=1&page=2", "?page=1&limit=1")
    }
    assert len(tags) == 4
    # A page's tag does not validate another page.
    other = client_api.get(
        _url(product, "?limit=1&page=2"), HTTP_IF_NONE_MATCH=_tag(client_api, product, "?limit=1")
    )
    assert other.status_code == 200


def test_a_new_seller_answer_changes_the_tag(client_api, product, question):
    before = _tag(client_api, product)
    seller_services.seller_message_send(
        datasource=product.datasource, conversation_id=question.pk, content="Yes, 100% cotton."
    )
    response = client_api.get(_url(product), HTTP_IF_NONE_MATCH=before)
    assert response.status_code == 200
    assert response["ETag"] != before
    [shown] = response.json()["results"]
    assert shown["message_set"][-1]["message_content"] == "Yes, 100% cotton."


def test_hiding_a_message_in_the_admin_changes_the_tag(client_api, product, question):
    before = _tag(client_api, product)
    answer = Message.objects.get(conversation=question, content_type="datasource")
    _staff().post(
        "/admin/conversations/message/",
        {"action": "hide_messages", "_selected_action": [answer.pk]},
    )
    response = client_api.get(_url(product), HTTP_IF_NONE_MATCH=before)
    assert response.status_code == 200
    assert response.json()["count"] == 0  # its only answer hidden: no longer shown
    # and showing it again is a change too
    hidden = _tag(client_api, product)
    conversation_services.message_unhide(message=answer)
    assert client_api.get(_url(product), HTTP_IF_NONE_MATCH=hidden).status_code == 200


def test_withdrawing_a_question_from_public_view_changes_the_tag(client_api, product, question):
    before = _tag(client_api, product)
    _staff().post(
        "/admin/conversations/conversation/",
        {"action": "withdraw_from_public", "_selected_action": [question.pk]},
    )
    response = client_api.get(_url(product), HTTP_IF_NONE_MATCH=before)
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_deleting_a_question_and_renaming_the_seller_change_the_tag(client_api, product, question):
    older = _question(product, UserFactory.create(), at=T0 - 5 * H)
    before = _tag(client_api, product)
    older.delete()  # not the newest: the number of questions tells
    after_delete = _tag(client_api, product)
    assert after_delete != before
    product.datasource.title = "Anatolia Textiles"
    product.datasource.save()
    response = client_api.get(_url(product), HTTP_IF_NONE_MATCH=after_delete)
    assert response.status_code == 200
    assert response.json()["results"][0]["datasource"]["title"] == "Anatolia Textiles"


def test_a_change_to_another_product_leaves_the_tag_alone(client_api, product, question):
    before = _tag(client_api, product)
    other = ProductFactory.create(datasource=product.datasource)
    _question(other, UserFactory.create(), at=T0 + 9 * H)
    assert client_api.get(_url(product), HTTP_IF_NONE_MATCH=before).status_code == 304


def test_an_unknown_product_is_404_without_cache_headers(client_api):
    response = client_api.get("/products/999999/questions/", HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 404
    assert "ETag" not in response.headers
    assert "public" not in response.get("Cache-Control", "")
