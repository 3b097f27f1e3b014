from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "parley.core"

    def ready(self) -> None:
        from parley.core import schema  # noqa: F401  (registers the OpenAPI extensions)
