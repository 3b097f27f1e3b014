import pytest

from parley.mail import services
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
    services.email_dispatch(email_id=1)
    services.email_dispatch(email_id=2)  # skipped: the row waits for the sweep instead
    assert calls == [1]


def test_the_breaker_closes_after_its_backoff(broker_mode, monkeypatch):
    calls = []
    monkeypatch.setattr(email_send, "delay", lambda email_id: calls.append(email_id))
    monkeypatch.setattr(services, "_broker_down_until", 0.0)
    clock = [1000.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    services._broker_unreachable()
    services.email_dispatch(email_id=1)
    clock[0] += services.BROKER_BACKOFF_SECONDS + 0.1
    services.email_dispatch(email_id=2)
    assert calls == [2]
