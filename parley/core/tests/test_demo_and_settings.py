import json
import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from parley.accounts.models import User
from parley.catalog.models import Order, OrderItem


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_describes_the_shop(tmp_path):
    out = tmp_path / "demo.json"
    call_command("seed_demo", "--write", str(out))
    first = json.loads(out.read_text())
    counts = (User.objects.count(), Order.objects.count(), OrderItem.objects.count())
    call_command("seed_demo", "--write", str(out))
    assert json.loads(out.read_text()) == first
    assert (User.objects.count(), Order.objects.count(), OrderItem.objects.count()) == counts

    assert {"customers", "sellers", "products", "orders", "subjects", "contact_us_email_to"} <= set(
        first
    )
    assert len(first["customers"]) == 2
    assert len(first["sellers"]) == 2
    for customer in first["customers"]:
        assert User.objects.get(pk=customer["id"]).check_password(customer["password"])
    # one order holds items from both sellers
    assert any(
        len({item["datasource"] for item in order["items"]}) == 2 for order in first["orders"]
    )
    assert {order["user"] for order in first["orders"]} == {c["id"] for c in first["customers"]}
    sellers = {seller["id"] for seller in first["sellers"]}
    assert {product["datasource"] for product in first["products"]} == sellers


def _start_production(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(env_overrides, DJANGO_SETTINGS_MODULE="config.settings.production")
    return subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_without_secret_key():
    result = _start_production({"ALLOWED_HOSTS": "shop.example"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_starts_with_its_settings():
    result = _start_production({"SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "shop.example"})
    assert result.returncode == 0, result.stderr


def test_every_environment_variable_is_documented():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    sources = [*root.glob("config/settings/*.py"), root / "deploy/gunicorn.conf.py"]
    names = set()
    for source in sources:
        text = source.read_text()
        names |= set(re.findall(r'env\.\w+\(\s*"([A-Z_0-9]+)"', text))
        names |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z_0-9]+)"', text))
    docs = (root / "README.md").read_text() + (root / "docs/OPERATIONS.md").read_text()
    assert len(names) > 30
    assert sorted(name for name in names if f"`{name}`" not in docs) == []
