from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "parley.support"
    label = "support"

    def ready(self) -> None:
        from parley.support import schema  # noqa: F401 - registers the OpenAPI field schema
