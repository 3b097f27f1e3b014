from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "parley.mail"
    label = "mail"
    verbose_name = "Mail outbox"
