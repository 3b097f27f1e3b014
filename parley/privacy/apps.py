from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class PrivacyConfig(AppConfig):
    """The top layer: export, erasure and retention over what every app declares."""

    name = "parley.privacy"
    label = "privacy"

    def ready(self) -> None:
        # Every installed app's `personal_data` module fills the registry of
        # parley/core/privacy.py; this app reads it and imports no app's models itself.
        autodiscover_modules("personal_data")
