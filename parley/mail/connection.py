"""The open connection to the mail server of each worker thread, kept between e-mails: a
worker drains e-mails one after another, and a new SMTP session for each (connect, EHLO, QUIT)
cost as much as the message itself (docs/PERFORMANCE.md)."""

import logging
import threading

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

logger = logging.getLogger("parley.mail.services")  # the outbox's one logger (docs/OPERATIONS.md)


def _connection_settings() -> tuple:
    return (
        settings.EMAIL_BACKEND,
        getattr(settings, "EMAIL_HOST", None),
        getattr(settings, "EMAIL_PORT", None),
        getattr(settings, "EMAIL_HOST_USER", None),
        getattr(settings, "EMAIL_USE_TLS", None),
        getattr(settings, "EMAIL_USE_SSL", None),
    )


class KeptConnection(threading.local):
    """This thread's connection to the mail server and the settings it was made with."""

    connection = None
    settings: tuple | None = None

    def close(self) -> None:
        """Close this thread's kept connection to the mail server, if any."""
        connection = self.connection
        self.connection = None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                logger.debug("closing the kept mail connection failed", exc_info=True)

    def deliver(self, message: EmailMultiAlternatives) -> None:
        """Send through this thread's kept connection, opening it on first use or when the
        mail settings changed. A kept connection that fails (the server dropped an idle
        session) is replaced once; a fresh one that fails raises, and is not kept."""
        connection = self.connection
        if connection is not None and self.settings == _connection_settings():
            try:
                connection.send_messages([message])
                return
            except Exception:
                logger.info("the kept mail connection failed; opening a new one", exc_info=True)
        self.close()
        connection = get_connection(fail_silently=False)
        try:
            connection.open()
            connection.send_messages([message])
        except Exception:
            try:
                connection.close()
            except Exception:
                logger.debug("closing a failed mail connection failed", exc_info=True)
            raise
        self.connection, self.settings = connection, _connection_settings()


kept_connection = KeptConnection()
