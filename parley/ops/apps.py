from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "parley.ops"
    label = "ops"

    def ready(self) -> None:
        from parley.ops import metrics

        metrics.register_outbox_collector()
