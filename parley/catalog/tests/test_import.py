import json

import pytest
from django.core.management import CommandError, call_command

from parley.accounts.tests.factories import UserFactory
from parley.catalog.models import DataSource, Order, OrderItem, Product, ProductImage

pytestmark = pytest.mark.django_db


def _write(tmp_path, lines):
    path = tmp_path / "shop.jsonl"
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines),
        encoding="utf-8",
    )
    return str(path)


SELLER = {"type": "seller", "name": "s1", "title": "Seller One", "extras": {"tier": "gold"}}
PRODUCT = {
    "type": "product",
    "sku": "P-1",
    "name": "Mug",
    "seller": "s1",
    "images": [{"image": "products/p1.jpg", "order": 0, "height": 10, "width": 20}],
}


def test_import_creates_everything_and_is_idempotent(tmp_path, capsys):
    customer = UserFactory(email="buyer@example.com")
    order = {
        "type": "order",
        "number": "N-1",
        "email": "Buyer@Example.com",
        "user_email": "buyer@example.com",
        "created_date": "2026-11-01T10:00:00Z",
        "items": [{"sku": "P-1", "quantity": 2, "price": "9.90"}],
    }
    path = _write(tmp_path, [SELLER, PRODUCT, "", order])
    call_command("import_catalog", path)
    call_command("import_catalog", path)
    assert DataSource.objects.get().extras == {"tier": "gold"}
    assert Product.objects.get().datasource.name == "s1"
    assert ProductImage.objects.count() == 1
    saved = Order.objects.get()
    assert (saved.user, saved.email) == (customer, "buyer@example.com")
    item = OrderItem.objects.get()
    assert (item.quantity, str(item.price), item.datasource.name) == (2, "9.90", "s1")
    assert "sellers: 0 created, 1 updated" in capsys.readouterr().out


def test_the_shipped_sample_imports(capsys):
    call_command("import_catalog", "docs/catalog-sample.jsonl")
    assert Order.objects.get().number == "AM-ORD-1"


def test_bad_lines_are_reported_by_number_and_nothing_is_imported(tmp_path, capsys):
    path = _write(
        tmp_path,
        [
            SELLER,
            "{not json",
            {"type": "product", "sku": "P-2", "name": "X", "seller": "nobody"},
            {"type": "spaceship"},
            PRODUCT,
            {"type": "order", "number": "N", "email": "bad", "created_date": "x", "items": []},
        ],
    )
    with pytest.raises(CommandError, match="4 bad line"):
        call_command("import_catalog", path)
    err = capsys.readouterr().err
    assert "line 2: not valid JSON" in err
    assert "line 3: seller: no seller named 'nobody'" in err
    assert "line 4: type: must be one of" in err
    assert "line 6: " in err and "email" in err
    assert not DataSource.objects.exists()
    assert not Product.objects.exists()


def test_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_catalog", "/nonexistent/shop.jsonl")
