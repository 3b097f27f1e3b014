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
    response = client.get("/readyz/")
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


@pytest.mark.django_db
def test_readyz_reaches_a_running_broker(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    response = client.get("/readyz/")
    assert response.json()["broker"] == "ok"


@pytest.mark.django_db
def test_outbox_figures_are_exported(client):
    from datetime import timedelta

    from django.utils import timezone

    from parley.mail.models import EmailStatus, OutgoingEmail

    def email(n, status, attempts, age):
        row = OutgoingEmail.objects.create(
            from_email="a@example.com",
            to=["b@example.com"],
            subject="s",
            text_body="t",
            message_id=f"<{n}@example.com>",
            status=status,
            attempts=attempts,
            sent_at=timezone.now() if status == EmailStatus.SENT else None,
        )
        OutgoingEmail.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)

    email(1, EmailStatus.PENDING, 2, timedelta(minutes=10))
    email(2, EmailStatus.PENDING, 0, timedelta(minutes=1))
    email(3, EmailStatus.SENT, 1, timedelta(hours=2))
    email(4, EmailStatus.FAILED, 8, timedelta(days=1))
    text = client.get("/metrics/", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'parley_outbox_emails{status="pending"} 2.0' in text
    assert 'parley_outbox_emails{status="sent"} 1.0' in text
    assert 'parley_outbox_emails{status="failed"} 1.0' in text
    assert 'parley_outbox_delivery_attempts{status="failed"} 8.0' in text
    oldest = next(
        line
        for line in text.splitlines()
        if line.startswith("parley_outbox_oldest_pending_age_seconds ")
    )
    assert 595 <= float(oldest.split()[1]) <= 700
