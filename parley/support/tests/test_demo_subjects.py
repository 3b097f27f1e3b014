"""The demo's subjects match the storefront template, which hard-codes subject 2 as the one that
needs an order (API.md §6)."""

import json

import pytest
from django.core.management import call_command

from parley.support.models import ContactSubject
from parley.support.tests.factories import ContactSubjectFactory


def _subjects_answer(client_api):
    response = client_api.get("/users/contact-us-subjects/")
    assert response.status_code == 200
    return {item["id"]: item["is_order_needed"] for item in response.json()}


@pytest.mark.django_db
def test_demo_subject_2_alone_needs_an_order(client_api, tmp_path):
    out = tmp_path / "demo.json"
    call_command("seed_demo", "--write", str(out))
    described = {
        item["id"]: item["is_order_needed"] for item in json.loads(out.read_text())["subjects"]
    }
    assert described == {1: False, 2: True, 3: False, 4: False}
    assert _subjects_answer(client_api) == described


@pytest.mark.django_db
def test_a_database_seeded_the_old_way_converges_and_new_subjects_get_fresh_ids(client_api):
    # As the seeder stored them before: Refund first, so id 1 needed the order.
    ContactSubjectFactory(id=1, text_en="Refund", text_tr="İade", is_order_needed=True, order=1)
    ContactSubjectFactory(id=2, text_en="Technical Support", is_order_needed=False, order=2)
    call_command("seed_demo")
    call_command("seed_demo")

    assert _subjects_answer(client_api) == {1: False, 2: True, 3: False, 4: False}
    refund = ContactSubject.objects.get(pk=2)
    assert (refund.text_en, refund.text_tr) == ("Refund", "İade")  # type: ignore[attr-defined]
    assert ContactSubject.objects.count() == 4
    # Explicit ids did not leave the id sequence behind them (PostgreSQL): staff can add more.
    added = ContactSubjectFactory.create(text_en="Delivery")
    assert added.pk > 4
