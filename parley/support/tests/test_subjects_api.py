from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.support.tests.factories import ContactSubjectFactory

pytestmark = pytest.mark.django_db


def _subjects() -> list[Any]:
    return [
        ContactSubjectFactory(text_en="Refund", text_tr="İade", is_order_needed=True, order=2),
        ContactSubjectFactory(text_en="Technical Support", text_tr="", order=1),
        ContactSubjectFactory(text_en="Hidden", text_tr="Gizli", order=0, is_active=False),
        ContactSubjectFactory(text_en="Suggestion", text_tr="Öneri", order=2),
    ]


def test_lists_active_subjects_in_order_in_english(client_api: Any) -> None:
    refund, support, _hidden, suggestion = _subjects()
    response = client_api.get("/users/contact-us-subjects/", HTTP_ACCEPT_LANGUAGE="en-us")
    assert response.status_code == 200
    assert response.json() == [
        {"id": support.pk, "text": "Technical Support", "is_order_needed": False},
        {"id": refund.pk, "text": "Refund", "is_order_needed": True},
        {"id": suggestion.pk, "text": "Suggestion", "is_order_needed": False},
    ]


@pytest.mark.parametrize("language", ["tr", "tr-tr", "tr-TR,tr;q=0.9"])
def test_turkish_with_fallback_to_the_default_language(client_api: Any, language: str) -> None:
    _subjects()
    response = client_api.get("/users/contact-us-subjects", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert [item["text"] for item in response.json()] == ["Technical Support", "İade", "Öneri"]


def test_unknown_language_falls_back_to_english(client_api: Any) -> None:
    _subjects()
    response = client_api.get("/users/contact-us-subjects/", HTTP_ACCEPT_LANGUAGE="de-de")
    assert [item["text"] for item in response.json()] == [
        "Technical Support",
        "Refund",
        "Suggestion",
    ]


@pytest.mark.parametrize("count", [1, 50])
def test_one_query_whatever_the_number_of_subjects(client_api: Any, count: int) -> None:
    ContactSubjectFactory.create_batch(count)
    with CaptureQueriesContext(connection) as queries:
        response = client_api.get("/users/contact-us-subjects/")
    assert len(response.json()) == count
    assert len(queries) == 1
