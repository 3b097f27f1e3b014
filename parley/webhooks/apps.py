import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("parley.webhooks")


class WebhooksConfig(AppConfig):
    name = "parley.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        if settings.PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS:
            # Only the development settings get here with it (production refuses it).
            logger.warning(
                "PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS is on: webhook URLs may use http and "
                "reach loopback and private addresses. For development and tests only."
            )
