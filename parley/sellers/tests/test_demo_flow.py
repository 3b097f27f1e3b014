"""The issue's "done when", on the demo data, end to end over HTTP."""

import pytest
from django.core import mail

from parley.accounts.models import User
from parley.conversations.notifications import KIND_TO_CUSTOMER, KIND_TO_SELLER
from parley.core.demo import demo_seed
from parley.mail.models import OutgoingEmail
from parley.sellers.tests.factories import token_header

pytestmark = pytest.mark.django_db


def test_a_demo_seller_answers_and_everyone_sees_it(client_api, django_capture_on_commit_callbacks):
    demo = demo_seed()
    nordic = next(s for s in demo["sellers"] if s["name"] == "nordic-home")
    auth = token_header(nordic["token"])

    # The seller was told by e-mail when the customer wrote.
    assert OutgoingEmail.objects.filter(kind=KIND_TO_SELLER, to=[nordic["email"]]).exists()

    before = client_api.get("/seller/conversations/stats/", **auth).json()
    waiting = client_api.get("/seller/conversations/?is_answered=false", **auth).json()
    assert waiting["count"] == before["unanswered"] == 1
    [conversation] = waiting["results"]

    with django_capture_on_commit_callbacks(execute=True):
        answer = client_api.post(
            f"/seller/conversations/{conversation['id']}/messages/",
            {"message_content": "We will send a bulb today."},
            format="json",
            **auth,
        )
    assert answer.status_code == 201
    customer = User.objects.get(pk=conversation["user"]["id"])
    [sent] = mail.outbox
    assert sent.to == [customer.email]
    assert OutgoingEmail.objects.filter(kind=KIND_TO_CUSTOMER, to=[customer.email]).exists()

    after = client_api.get("/seller/conversations/stats/", **auth).json()
    assert after["unanswered"] == 0
    assert after["oldest_unanswered_since"] is None
    assert after["answered_within_24h_ratio_30d"] == 1.0

    client_api.credentials()
    client_api.login_as(customer)
    mine = client_api.get(f"/users/conversations/{conversation['id']}/").json()
    assert mine["is_answered"] is True
    assert mine["message_set"][-1]["message_content"] == "We will send a bulb today."

    # The demo's two answered public questions show on the towel, the askers masked.
    towel = next(p for p in demo["products"] if p["datasource"] == demo["sellers"][0]["id"])
    client_api.logout()
    questions = client_api.get(f"/products/{towel['pk']}/questions/").json()
    assert questions["count"] == 2
    assert questions["results"][1]["user"] == {"first_name": "A***", "last_name": "Y***"}
