import pytest

from parley.mail import dispatch, services, worker
from parley.mail.tasks import email_send


@pytest.fixture
def broker_mode(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.PARLEY_MAIL_SEND_IN_THREAD = False


def test_a_refused_hand_off_opens_the_breaker_for_later_requests(broker_mode, monkeypatch):
    calls = []

    def refused(email_id):
        calls.append(email_id)
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(email_send, "delay", refused)
    dispatch.email_dispatch(email_id=1)
    dispatch.email_dispatch(email_id=2)  # skipped: the row waits for the sweep instead
    assert calls == [1]


def test_the_breaker_closes_after_its_backoff(broker_mode, monkeypatch):
    calls = []
    monkeypatch.setattr(email_send, "delay", lambda email_id: calls.append(email_id))
    clock = [1000.0]
    monkeypatch.setattr(dispatch.time, "monotonic", lambda: clock[0])
    dispatch.broker_breaker.trip()
    dispatch.email_dispatch(email_id=1)
    clock[0] += dispatch.broker_breaker.backoff_seconds + 0.1
    dispatch.email_dispatch(email_id=2)
    assert calls == [2]


@pytest.mark.django_db
def test_send_logs_under_the_request_id_of_its_e_mail(caplog, settings):
    import logging

    from django.core import mail
    from django_guid import clear_guid

    settings.CELERY_TASK_ALWAYS_EAGER = False  # queue only; we send by hand below
    email = services.email_queue(
        to=["shop@example.com"], subject="s", text_body="t", request_id="a" * 32
    )
    clear_guid()
    with caplog.at_level(logging.INFO, logger="parley.mail.services"):
        assert worker.email_send(email_id=email.pk) == "sent"
    sent = [r for r in caplog.records if "sent" in r.getMessage()]
    assert sent and all(r.correlation_id == "a" * 32 for r in sent)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_queue_records_the_current_request_id(client_api):
    from django_guid import set_guid

    from parley.mail.models import OutgoingEmail

    set_guid("b" * 32)
    email = services.email_queue(to=["shop@example.com"], subject="s", text_body="t")
    assert OutgoingEmail.objects.get(pk=email.pk).request_id == "b" * 32
