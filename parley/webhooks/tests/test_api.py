"""`/seller/webhooks/` over HTTP: registering, reading, changing, deleting endpoints, rotating
secrets, listing and retrying deliveries, and every refusal."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from parley.catalog.tests.factories import DataSourceFactory
from parley.sellers.tests.factories import token_issue
from parley.webhooks import network, services
from parley.webhooks.models import SELLER_EVENT_TYPES, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.215.14/hooks"


@pytest.fixture(autouse=True)
def _resolver(monkeypatch):
    """Host names resolve without the network: `*.public.test` to a public address,
    `*.inside.test` to a private one."""

    def resolve(host: str, port: int) -> list[str]:
        if host.endswith(".inside.test"):
            return ["10.0.0.7"]
        return ["93.184.215.14"]

    monkeypatch.setattr(network, "resolver", resolve)


def _create(client, **body):
    return client.post("/seller/webhooks/", {"url": PUBLIC_URL, **body}, format="json")


def test_registering_answers_201_with_the_secret_once(seller_api, seller):
    response = _create(seller_api, event_types=["message.created", "conversation.read"])
    assert response.status_code == 201
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body == {
        "id": endpoint.pk,
        "url": PUBLIC_URL,
        "event_types": ["message.created", "conversation.read"],
        "is_active": True,
        "disabled_reason": None,
        "created_date": endpoint.created_date.isoformat().replace("+00:00", "Z"),
        "secret": endpoint.secret,
    }
    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"].removeprefix("whsec_"))) == 32
    assert endpoint.datasource == seller
    # Never again: neither the detail nor the list shows it.
    detail = seller_api.get(f"/seller/webhooks/{endpoint.pk}/").json()
    assert "secret" not in detail and detail == {k: v for k, v in body.items() if k != "secret"}
    assert seller_api.get("/seller/webhooks/").json() == [detail]


def test_event_types_default_to_every_seller_event(seller_api):
    assert _create(seller_api).json()["event_types"] == list(SELLER_EVENT_TYPES)


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"url": "http://hooks.public.test/x"}, "url", "must use https"),
        ({"url": "https://127.0.0.1/x"}, "url", "loopback"),
        ({"url": "https://[::ffff:10.0.0.1]/x"}, "url", "private"),
        ({"url": "https://169.254.169.254/latest"}, "url", "link-local"),
        ({"url": "https://hooks.inside.test/x"}, "url", "private address (10.0.0.7)"),
        ({"url": "https://user:pw@hooks.public.test/x"}, "url", "user name"),
        ({"url": "not a url"}, "url", "valid URL"),
        ({"url": 12}, "url", "valid URL"),
        ({"url": "https://hooks.public.test/" + "x" * 2000}, "url", "2000"),
        ({"event_types": ["message.held"]}, "event_types", "not a valid choice"),
        ({"event_types": ["nope"]}, "event_types", "not a valid choice"),
        ({"event_types": []}, "event_types", "empty"),
        ({"event_types": "message.created"}, "event_types", "list"),
        ({"description": "two\nlines"}, "description", "Control characters"),
    ],
)
def test_a_bad_registration_is_a_400_naming_the_field(seller_api, body, field, fragment):
    response = _create(seller_api, **body)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert fragment in str(response.json()[field])
    assert not WebhookEndpoint.objects.exists()


def test_a_seller_registers_at_most_five_endpoints(seller_api):
    for n in range(5):
        assert _create(seller_api, url=f"{PUBLIC_URL}/{n}").status_code == 201
    response = _create(seller_api, url=f"{PUBLIC_URL}/6")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["A seller may register at most 5 webhook endpoints."]
    }
    assert WebhookEndpoint.objects.count() == 5


def test_patch_changes_url_event_types_and_is_active(seller_api):
    endpoint_id = _create(seller_api).json()["id"]
    path = f"/seller/webhooks/{endpoint_id}/"
    response = seller_api.patch(
        path,
        {"url": "https://new.public.test/h", "event_types": ["message.hidden"], "is_active": False},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() | {"created_date": None} == {
        "id": endpoint_id,
        "url": "https://new.public.test/h",
        "event_types": ["message.hidden"],
        "is_active": False,
        "disabled_reason": "disabled_by_owner",
        "created_date": None,
    }
    back_on = seller_api.patch(path, {"is_active": True}, format="json").json()
    assert (back_on["is_active"], back_on["disabled_reason"]) == (True, None)


def test_a_bad_patch_is_a_400_and_changes_nothing(seller_api):
    endpoint_id = _create(seller_api).json()["id"]
    before = WebhookEndpoint.objects.values().get()
    response = seller_api.patch(
        f"/seller/webhooks/{endpoint_id}/",
        {"url": "https://hooks.inside.test/x", "is_active": False},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["url"]
    assert WebhookEndpoint.objects.values().get() == before


def test_delete_removes_the_endpoint_and_its_deliveries(seller_api, seller):
    endpoint_id = _create(seller_api).json()["id"]
    services.webhook_event_emit(event_type="message.created", seller=seller, data={})
    assert seller_api.delete(f"/seller/webhooks/{endpoint_id}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert seller_api.get(f"/seller/webhooks/{endpoint_id}/").status_code == 404


def test_rotating_answers_a_new_secret_and_keeps_the_old_one_for_24_hours(seller_api):
    created = _create(seller_api).json()
    response = seller_api.post(f"/seller/webhooks/{created['id']}/rotate-secret/")
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert response.json()["secret"] == endpoint.secret != created["secret"]
    assert endpoint.previous_secret == created["secret"]
    expires = endpoint.previous_secret_expires_at
    assert expires is not None
    assert abs(expires - (timezone.now() + timedelta(hours=24))) < timedelta(seconds=5)
    assert response.json()["previous_secret_expires_at"] == expires.isoformat().replace(
        "+00:00", "Z"
    )
    assert services.secrets_in_force(endpoint) == [endpoint.secret, created["secret"]]


@pytest.mark.parametrize("suffix", ["", "rotate-secret/", "deliveries/"])
def test_another_sellers_endpoint_is_404(seller_api, suffix):
    theirs = services.webhook_endpoint_create(datasource=DataSourceFactory.create(), url=PUBLIC_URL)
    before = WebhookEndpoint.objects.values().get()
    path = f"/seller/webhooks/{theirs.pk}/{suffix}"
    method = seller_api.post if suffix == "rotate-secret/" else seller_api.get
    assert method(path).status_code == 404
    if not suffix:
        assert seller_api.patch(path, {"is_active": False}, format="json").status_code == 404
        assert seller_api.delete(path).status_code == 404
    assert WebhookEndpoint.objects.values().get() == before


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "99999999999999999999", "١"])
def test_a_malformed_id_is_404(seller_api, raw):
    assert seller_api.get(f"/seller/webhooks/{raw}/").status_code == 404
    assert seller_api.get(f"/seller/webhooks/{raw}/deliveries/").status_code == 404


def _deliveries(seller, endpoint, count):
    for n in range(count):
        services.webhook_event_emit(event_type="message.created", seller=seller, data={"n": n})
    return list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id"))


def test_deliveries_are_listed_newest_first_and_paginated(seller_api, seller):
    endpoint = WebhookEndpoint.objects.get(pk=_create(seller_api).json()["id"])
    deliveries = _deliveries(seller, endpoint, 3)
    WebhookDelivery.objects.filter(pk=deliveries[0].pk).update(
        status="pending", attempts=2, last_status_code=503, last_error="HTTP 503"
    )
    response = seller_api.get(f"/seller/webhooks/{endpoint.pk}/deliveries/?limit=2")
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 3
    assert page["next"].endswith(f"/seller/webhooks/{endpoint.pk}/deliveries/?limit=2&page=2")
    assert page["previous"] is None
    newest = WebhookDelivery.objects.select_related("event").get(pk=deliveries[0].pk)
    assert newest.next_attempt_at is not None
    assert page["results"][0] == {
        "id": newest.pk,
        "event_type": "message.created",
        "webhook_id": newest.event.message_id,
        "status": "pending",
        "attempts": 2,
        "last_status_code": 503,
        "last_error": "HTTP 503",
        "created_date": newest.created_at.isoformat().replace("+00:00", "Z"),
        "last_attempt_date": None,
        "next_attempt_date": newest.next_attempt_at.isoformat().replace("+00:00", "Z"),
        "delivered_date": None,
    }
    assert [d["id"] for d in page["results"]] == [d.pk for d in deliveries[:2]]


@pytest.mark.parametrize("limit", [1, 100])
def test_the_deliveries_list_runs_a_fixed_number_of_queries(
    seller_api, seller, limit, django_assert_num_queries
):
    endpoint = WebhookEndpoint.objects.get(pk=_create(seller_api).json()["id"])
    _deliveries(seller, endpoint, 101)
    # the token (with its seller), the endpoint, the count, the page with the events
    with django_assert_num_queries(4):
        response = seller_api.get(f"/seller/webhooks/{endpoint.pk}/deliveries/?limit={limit}")
    assert len(response.json()["results"]) == limit


def test_retry_sends_a_delivery_again_with_the_same_webhook_id(
    loopback, seller, seller_key, client_api, receiver, django_capture_on_commit_callbacks
):
    client_api.credentials(HTTP_AUTHORIZATION=f"Token {seller_key}")
    endpoint_id = _create(client_api, url=receiver.url).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        event = services.webhook_event_emit(event_type="message.created", seller=seller, data={})
    assert event is not None
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_api.post(
            f"/seller/webhooks/{endpoint_id}/deliveries/{delivery.pk}/retry/"
        )
    assert response.status_code == 202
    assert response.json()["status"] == "pending"  # as it was answered; sent after the commit
    assert [r.headers["webhook-id"] for r in receiver.requests] == [event.message_id] * 2
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


def test_retry_to_a_disabled_endpoint_is_a_400(seller_api, seller):
    endpoint_id = _create(seller_api).json()["id"]
    services.webhook_event_emit(event_type="message.created", seller=seller, data={})
    seller_api.patch(f"/seller/webhooks/{endpoint_id}/", {"is_active": False}, format="json")
    delivery = WebhookDelivery.objects.get()
    response = seller_api.post(f"/seller/webhooks/{endpoint_id}/deliveries/{delivery.pk}/retry/")
    assert response.status_code == 400
    assert "disabled" in response.json()["non_field_errors"][0]
    assert WebhookDelivery.objects.get().status == "pending"


def test_another_sellers_delivery_cannot_be_retried(seller_api, seller):
    other = DataSourceFactory.create()
    mine = _create(seller_api).json()["id"]
    theirs = services.webhook_endpoint_create(datasource=other, url=PUBLIC_URL)
    services.webhook_event_emit(event_type="message.created", seller=other, data={})
    delivery = WebhookDelivery.objects.get(endpoint=theirs)
    for endpoint_id in (mine, theirs.pk):
        response = seller_api.post(
            f"/seller/webhooks/{endpoint_id}/deliveries/{delivery.pk}/retry/"
        )
        assert response.status_code == 404
    assert WebhookDelivery.objects.get().attempts == 0


def test_a_revoked_token_is_401(client_api, seller):
    token, key = token_issue(seller)
    from parley.sellers import services as seller_services

    seller_services.seller_token_revoke(token=token)
    client_api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = _create(client_api)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not WebhookEndpoint.objects.exists()
