"""`GET /products/<pk>/questions/similar/?q=`: the product's public questions like the
shopper's text, each exactly as the public questions endpoint shows it plus `score`."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory, ProductFactory
from parley.conversations import services
from parley.conversations.models import Conversation, ConversationType, ItemContent
from parley.core.demo import demo_seed
from parley.sellers.services import seller_message_send
from parley.similar import embeddings
from parley.similar.selectors import MIN_SCORE

pytestmark = pytest.mark.django_db

SHIPPING = "Siparişim hangi gün kargoya verilir?"
OTHERS = (
    "Kumaşı yüzde yüz pamuk mu, içinde polyester var mı?",
    "Kaç derecede yıkanmalı, çeker mi?",
    "Garanti süresi ne kadar?",
    "Beğenmezsem iade edebilir miyim?",
)


@pytest.fixture
def product() -> Any:
    return ProductFactory.create(datasource=DataSourceFactory.create(name="anatolia", title="AT"))


def _public_question(
    product: Any, text: str, capture: Any, *, answered: bool = True, **kwargs: Any
) -> Conversation:
    user = UserFactory.create(first_name="Çağla", last_name="Öztürk")
    with capture(execute=True):
        conversation = services.conversation_create(
            user=user,
            datasource=product.datasource,
            conversation_type=ConversationType.QUESTION,
            content=text,
            user_type=user.user_type,
            is_public=kwargs.pop("is_public", True),
            item_content=ItemContent.PRODUCT,
            item_id=product.pk,
        ).conversation
        if answered:
            seller_message_send(
                datasource=product.datasource,
                conversation_id=conversation.pk,
                content="Siparişler ertesi iş günü kargoya verilir.",
            )
    return conversation


def _similar(client: Any, product_pk: int, q: str) -> Any:
    return client.get(f"/products/{product_pk}/questions/similar/", {"q": q})


def test_a_paraphrase_finds_the_question_first_as_the_public_list_shows_it(
    client_api: Any, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    shipping = _public_question(product, SHIPPING, django_capture_on_commit_callbacks)
    for text in OTHERS:
        _public_question(product, text, django_capture_on_commit_callbacks)

    response = _similar(client_api, product.pk, "Kargo ne zaman gelir?")
    assert response.status_code == 200
    results = response.json()["results"]
    assert 1 <= len(results) <= 3
    assert results[0]["id"] == shipping.pk
    scores = [result["score"] for result in results]
    assert scores == sorted(scores, reverse=True)
    assert all(MIN_SCORE <= score <= 1 for score in scores)
    listed = {
        question["id"]: question
        for question in client_api.get(f"/products/{product.pk}/questions/?limit=100").json()[
            "results"
        ]
    }
    for result in results:
        score = result.pop("score")
        assert isinstance(score, float)
        assert result == listed[result["id"]]  # same fields, same masking
    assert results[0]["user"] == {"first_name": "Ç***", "last_name": "Ö***"}


def test_an_english_query_finds_a_turkish_question(
    client_api: Any, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    warranty = _public_question(
        product, "Garanti süresi ne kadar?", django_capture_on_commit_callbacks
    )
    _public_question(product, SHIPPING, django_capture_on_commit_callbacks)
    _public_question(product, OTHERS[0], django_capture_on_commit_callbacks)
    results = _similar(client_api, product.pk, "How long is the warranty?").json()["results"]
    assert results[0]["id"] == warranty.pk


def test_only_the_products_visible_public_questions_are_found(
    client_api: Any, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    shown = _public_question(product, SHIPPING, capture)
    _public_question(product, "Kargom hangi gün yola çıkar?", capture, answered=False)
    _public_question(product, "Siparişim ne zaman kargoya verilir?", capture, is_public=False)
    other_product = ProductFactory.create(datasource=product.datasource)
    _public_question(other_product, "Sipariş hangi gün kargolanır?", capture)
    withdrawn = _public_question(product, "Kargoya ne zaman verilir?", capture)
    services.conversations_withdraw_from_public(
        conversations=Conversation.objects.filter(pk=withdrawn.pk)
    )

    results = _similar(client_api, product.pk, "Kargo ne zaman gelir?").json()["results"]
    assert [result["id"] for result in results] == [shown.pk]


def test_at_most_three_and_unrelated_text_finds_nothing(
    client_api: Any, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    for text in (SHIPPING, *OTHERS):
        _public_question(product, text, django_capture_on_commit_callbacks)
    assert (
        len(_similar(client_api, product.pk, "Kargo ücretli mi, ne zaman gelir?").json()["results"])
        <= 3
    )
    assert _similar(client_api, product.pk, "asdf qwer zxcv").json() == {"results": []}


def test_no_question_yet_is_an_empty_list(client_api: Any, product: Any) -> None:
    response = _similar(client_api, product.pk, "Kargo ne zaman gelir?")
    assert (response.status_code, response.json()) == (200, {"results": []})


@pytest.mark.parametrize("q", ["", "ab", "  a ", "x" * 501])
def test_q_must_hold_3_to_500_characters(client_api: Any, product: Any, q: str) -> None:
    response = _similar(client_api, product.pk, q)
    assert response.status_code == 400
    assert list(response.json()) == ["q"]


def test_q_is_required(client_api: Any, product: Any) -> None:
    response = client_api.get(f"/products/{product.pk}/questions/similar/")
    assert response.status_code == 400
    assert list(response.json()) == ["q"]


def test_500_characters_are_accepted(client_api: Any, product: Any) -> None:
    assert _similar(client_api, product.pk, "ç" * 500).status_code == 200


@pytest.mark.parametrize("pk", ["999999", "0", "abc", "9" * 30])
def test_an_unknown_product_is_404(client_api: Any, pk: str) -> None:
    response = client_api.get(f"/products/{pk}/questions/similar/", {"q": "Kargo ne zaman?"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_with_and_without_the_trailing_slash(client_api: Any, product: Any) -> None:
    path = f"/products/{product.pk}/questions/similar"
    assert client_api.get(path, {"q": "Kargo?"}).status_code == 200
    assert client_api.get(path + "/", {"q": "Kargo?"}).status_code == 200


def test_a_fixed_number_of_queries(
    client_api: Any,
    product: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_num_queries: Any,
) -> None:
    # product, ranking; then the questions and their visible messages when any ranked
    with django_assert_num_queries(2):
        assert _similar(client_api, product.pk, "Kargo ne zaman gelir?").json()["results"] == []
    _public_question(product, SHIPPING, django_capture_on_commit_callbacks)
    with django_assert_num_queries(4):
        assert len(_similar(client_api, product.pk, "Kargo ne zaman gelir?").json()["results"]) == 1
    for text in OTHERS:
        _public_question(product, text, django_capture_on_commit_callbacks)
    with django_assert_num_queries(4):
        assert (
            len(
                _similar(client_api, product.pk, "Kargo ücretli mi, ne zaman gelir?").json()[
                    "results"
                ]
            )
            >= 2
        )


def test_the_throttle_is_60_a_minute_per_client(client_api: Any, product: Any) -> None:
    for _ in range(60):
        assert _similar(client_api, product.pk, "Kargo?").status_code == 200
    throttled = _similar(client_api, product.pk, "Kargo?")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    other_client = client_api.__class__(REMOTE_ADDR="10.0.0.9")
    assert _similar(other_client, product.pk, "Kargo?").status_code == 200


def test_with_model_none_the_endpoint_answers_an_empty_list(
    client_api: Any,
    product: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    _public_question(product, SHIPPING, django_capture_on_commit_callbacks)
    settings.PARLEY_SIMILAR_MODEL = embeddings.MODEL_NONE
    response = _similar(client_api, product.pk, "Kargo ne zaman gelir?")
    assert (response.status_code, response.json()) == (200, {"results": []})


def test_the_demo_product_finds_its_question_from_a_paraphrase(client_api: Any) -> None:
    demo = demo_seed()
    towel = next(p for p in demo["products"] if p["datasource"] == demo["sellers"][0]["id"])
    questions = {
        question["message_set"][0]["message_content"]: question["id"]
        for question in client_api.get(f"/products/{towel['pk']}/questions/").json()["results"]
    }
    washing = questions["Bu peştemal 60 derecede yıkanabilir mi? 🧺"]
    shipping = questions["How many days does it take before the towel is shipped?"]

    def first(q: str) -> int:
        return _similar(client_api, towel["pk"], q).json()["results"][0]["id"]

    assert first("Peştemali makinede sıcak suyla yıkayabilir miyim?") == washing
    assert first("Kargo ne zaman gelir?") == shipping
    # make run seeds the same way and the rebuild command leaves it as it is
    call_command("question_vectors_rebuild", stdout=StringIO())
    assert first("Kargo ne zaman gelir?") == shipping
