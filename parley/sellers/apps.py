from django.apps import AppConfig


class SellersConfig(AppConfig):
    name = "parley.sellers"
    label = "sellers"

    def ready(self) -> None:
        from parley.sellers import schema  # noqa: F401 - registers the OpenAPI auth scheme
