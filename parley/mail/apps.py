from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "parley.mail"
    label = "mail"
    verbose_name = "Mail outbox"

    def ready(self) -> None:
        from django.core import checks

        from parley.mail.checks import check_database_returns_updated_rows

        checks.register(check_database_returns_updated_rows)
