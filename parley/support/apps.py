from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "parley.support"
    label = "support"
