import smtplib
from typing import Any

from django.core.mail.backends import locmem
from django.core.mail.backends.base import BaseEmailBackend


class BrokenBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages: object) -> int:
        raise ConnectionRefusedError(111, "Connection refused")


class CountingBackend(locmem.EmailBackend):
    """The test outbox, counting the connections opened and closed (class-wide)."""

    opened = 0
    closed = 0

    def open(self) -> bool:
        type(self).opened += 1
        return True

    def close(self) -> None:
        type(self).closed += 1


class DroppingBackend(CountingBackend):
    """A server that drops every session after its first message, as one drops an idle
    session: the second send on the same connection fails."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent_here = 0

    def send_messages(self, email_messages: Any) -> int:
        if self.sent_here:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        self.sent_here += 1
        return super().send_messages(email_messages)
