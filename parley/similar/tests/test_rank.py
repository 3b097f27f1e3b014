"""`similar_rank`: the stored vectors of one product against a shopper's text, through the
database (with PostgreSQL's full-text blend when DATABASE_URL names PostgreSQL)."""

from typing import Any

import pytest
from django.db import connection

from parley.catalog.tests.factories import DataSourceFactory, ProductFactory
from parley.conversations.tests.factories import conversation_build
from parley.similar import embeddings, selectors, services
from parley.similar.evaluation import labelled_set_load
from parley.similar.models import QuestionVector

pytestmark = pytest.mark.django_db


def _stored(product: Any, text: str) -> int:
    conversation = conversation_build(datasource=product.datasource)
    assert services.question_vector_store(
        conversation_id=conversation.pk, product_id=product.pk, text=text
    )
    return conversation.pk


@pytest.fixture(scope="module")
def labelled() -> dict[str, Any]:
    return labelled_set_load()


def test_the_labelled_set_through_the_database_keeps_the_bars(
    labelled: dict[str, Any], django_assert_num_queries: Any
) -> None:
    datasource = DataSourceFactory.create()
    ids: dict[str, dict[int, str]] = {}
    products = {}
    for key, product in labelled["products"].items():
        products[key] = ProductFactory.create(datasource=datasource)
        ids[key] = {
            _stored(products[key], text): label for label, text in product["questions"].items()
        }
    top1 = top3 = 0
    for query in labelled["queries"]:
        with django_assert_num_queries(1):
            matches = selectors.similar_rank(
                product_id=products[query["product"]].pk, query=query["q"], limit=3
            )
        labels = [ids[query["product"]][match.conversation_id] for match in matches]
        assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
        top1 += labels[:1] == [query["expected"]]
        top3 += query["expected"] in labels
    count = len(labelled["queries"])
    assert top3 / count >= 0.9
    assert top1 / count >= 0.7


def test_a_paraphrase_finds_its_question_first_and_other_products_stay_out() -> None:
    datasource = DataSourceFactory.create()
    product, other = ProductFactory.create_batch(2, datasource=datasource)
    shipping = _stored(product, "Siparişim hangi gün kargoya verilir?")
    _stored(product, "Garanti süresi ne kadar?")
    _stored(product, "Kumaşı yüzde yüz pamuk mu?")
    elsewhere = _stored(other, "Kargo ne zaman gelir?")
    matches = selectors.similar_rank(product_id=product.pk, query="Kargo ne zaman gelir?", limit=3)
    assert matches[0].conversation_id == shipping
    assert elsewhere not in {m.conversation_id for m in matches}
    assert all(selectors.MIN_SCORE <= m.score <= 1 for m in matches)


def test_noise_finds_nothing_below_the_minimum_score() -> None:
    product = ProductFactory.create()
    _stored(product, "Siparişim hangi gün kargoya verilir?")
    _stored(product, "Kumaşı yüzde yüz pamuk mu?")
    assert selectors.similar_rank(product_id=product.pk, query="asdf qwer", limit=3) == []
    assert selectors.similar_rank(product_id=product.pk, query="Merhaba", limit=3) == []


def test_vectors_of_another_model_are_never_compared(settings: Any) -> None:
    product = ProductFactory.create()
    _stored(product, "Siparişim hangi gün kargoya verilir?")
    QuestionVector.objects.update(model="another-model")
    query = "Kargo ne zaman gelir?"
    assert selectors.similar_rank(product_id=product.pk, query=query, limit=3) == []


def test_model_none_ranks_nothing_and_loads_nothing(
    settings: Any, django_assert_num_queries: Any
) -> None:
    product = ProductFactory.create()
    _stored(product, "Siparişim hangi gün kargoya verilir?")
    settings.PARLEY_SIMILAR_MODEL = embeddings.MODEL_NONE
    with django_assert_num_queries(0):
        assert selectors.similar_rank(product_id=product.pk, query="Kargo?", limit=3) == []
    assert not services.question_vector_store(conversation_id=1, product_id=product.pk, text="x")


def test_exact_words_add_to_the_score_on_postgresql_only() -> None:
    product = ProductFactory.create()
    exact = _stored(product, "Bu masanın ayakları vidalı mı?")
    query = "Ayakları vidalı mı?"
    [match] = selectors.similar_rank(product_id=product.pk, query=query, limit=1)
    cosine = float(
        embeddings.embed([query])[0] @ embeddings.embed(["Bu masanın ayakları vidalı mı?"])[0]
    )
    # Every word of the query that the configurations keep ("ayak", "vida") is in the question.
    bonus = selectors.LEXICAL_WEIGHT if connection.vendor == "postgresql" else 0.0
    assert match.conversation_id == exact
    assert match.score == pytest.approx(min(1.0, cosine + bonus), abs=2e-3)
