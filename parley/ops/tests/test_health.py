import pytest
from django.db import OperationalError

from parley.ops import checks


def test_healthz_needs_nothing(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_each_dependency(client):
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_naming_what_is_down(client, monkeypatch):
    def refused() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setitem(checks.READINESS_CHECKS, "database", refused)
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json() == {
        "database": "unavailable: OperationalError",
        "cache": "ok",
        "broker": "ok",
    }


@pytest.mark.django_db
def test_readyz_checks_a_configured_broker(client, settings):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"  # nothing listens there
    from config.celery import app

    app.conf.broker_url = settings.CELERY_BROKER_URL
    try:
        response = client.get("/readyz/")
    finally:
        app.conf.broker_url = ""
    assert response.status_code == 503
    assert response.json()["broker"].startswith("unavailable")


@pytest.mark.django_db
def test_metrics_are_served_to_loopback_only(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    forged = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert forged.status_code == 404


@pytest.mark.django_db
def test_database_outage_is_a_prompt_503(client_api, monkeypatch):
    from parley.accounts import services

    def down(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "session_login", down)
    response = client_api.post(
        "/users/login/", {"email": "a@example.com", "password": "x"}, format="json"
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "Service temporarily unavailable; try again shortly."}


def test_request_id_is_returned_and_a_valid_incoming_one_is_kept(client):
    incoming = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
    response = client.get("/healthz/", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"].replace("-", "") == incoming.replace("-", "")
    forged = client.get("/healthz/", HTTP_X_REQUEST_ID="bad\nvalue")
    assert forged["X-Request-ID"] not in ("bad\nvalue", "")
