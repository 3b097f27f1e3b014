"""PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS: refused by production, warned about elsewhere."""

import logging
import os
import subprocess
import sys

from django.apps import apps


def _check(settings_module, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_WEBHOOK")}
    env.update(
        env_overrides,
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="shop.example",
        DJANGO_SETTINGS_MODULE=settings_module,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_with_private_networks_allowed():
    result = _check("config.settings.production", PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS="true")
    assert result.returncode != 0
    assert "PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS is set: production refuses" in result.stderr


def test_the_embedded_default_honours_it_with_a_warning_in_its_log():
    result = _check("config.settings.development", PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS="true")
    assert result.returncode == 0, result.stderr
    assert "WARNING" in result.stderr
    assert "PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS is on" in result.stderr


def test_without_it_nothing_is_said(settings, caplog):
    settings.PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with caplog.at_level(logging.WARNING, logger="parley.webhooks"):
        apps.get_app_config("webhooks").ready()
    assert caplog.records == []
