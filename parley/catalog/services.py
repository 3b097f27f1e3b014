"""Importing a shop's own reference data from JSON Lines."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from rest_framework import serializers

from parley.accounts.models import User
from parley.catalog.models import DataSource, Order, OrderItem, Product, ProductImage
from parley.core.validators import EmailAddressField, SingleLineField


class SellerLine(serializers.Serializer):
    name = SingleLineField(max_length=255)
    title = SingleLineField(max_length=255, required=False, allow_blank=True, default="")
    slug = serializers.SlugField(max_length=255, required=False, allow_null=True)
    supplier_code = SingleLineField(max_length=64, required=False, allow_null=True)
    mersis_number = SingleLineField(max_length=64, required=False, allow_null=True)
    kep_address = SingleLineField(max_length=254, required=False, allow_null=True)
    phone_number = SingleLineField(max_length=70, required=False, allow_null=True)
    fax_number = SingleLineField(max_length=70, required=False, allow_null=True)
    email = EmailAddressField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False, default=True)
    trade_association = SingleLineField(max_length=255, required=False, allow_null=True)
    price_list = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    stock_list = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    address = serializers.CharField(max_length=2000, required=False, allow_null=True)
    extras = serializers.DictField(required=False, default=dict)


class ImageLine(serializers.Serializer):
    image = SingleLineField(max_length=255)
    order = serializers.IntegerField(min_value=0, required=False, default=0)
    height = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    width = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class ProductLine(serializers.Serializer):
    sku = SingleLineField(max_length=128)
    name = SingleLineField(max_length=255)
    seller = SingleLineField(max_length=255, help_text="The seller's name.")
    images = ImageLine(many=True, required=False, default=list)


class OrderItemLine(serializers.Serializer):
    sku = SingleLineField(max_length=128)
    quantity = serializers.IntegerField(min_value=1, required=False, default=1)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)


class OrderLine(serializers.Serializer):
    number = SingleLineField(max_length=64)
    email = EmailAddressField()
    user_email = EmailAddressField(required=False, allow_null=True)
    created_date = serializers.DateTimeField()
    items = OrderItemLine(many=True, allow_empty=False)


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=lambda: {"seller": 0, "product": 0, "order": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"seller": 0, "product": 0, "order": 0})
    errors: list[tuple[int, str]] = field(default_factory=list)


class ImportFailed(Exception):
    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{len(report.errors)} bad line(s)")
        self.report = report


class _LineError(Exception):
    pass


def _flatten(errors: Any, prefix: str = "") -> str:
    if isinstance(errors, dict):
        return "; ".join(_flatten(value, f"{prefix}{key}.") for key, value in errors.items())
    if isinstance(errors, list):
        return "; ".join(_flatten(value, prefix) for value in errors if value)
    return f"{prefix.rstrip('.')}: {errors}" if prefix else str(errors)


def _validated(serializer_class: type[serializers.Serializer], data: dict[str, Any]) -> Any:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise _LineError(_flatten(serializer.errors))
    return serializer.validated_data


def _import_seller(data: dict[str, Any]) -> bool:
    values = _validated(SellerLine, data)
    _, created = DataSource.objects.update_or_create(name=values.pop("name"), defaults=values)
    return created


def _import_product(data: dict[str, Any]) -> bool:
    values = _validated(ProductLine, data)
    seller = DataSource.objects.filter(name=values["seller"]).first()
    if seller is None:
        raise _LineError(f"seller: no seller named {values['seller']!r}")
    product, created = Product.objects.update_or_create(
        sku=values["sku"], defaults={"name": values["name"], "datasource": seller}
    )
    product.product_images.all().delete()
    ProductImage.objects.bulk_create(
        ProductImage(product=product, **image) for image in values["images"]
    )
    return created


def _import_order(data: dict[str, Any]) -> bool:
    values = _validated(OrderLine, data)
    user = None
    if values.get("user_email"):
        user = User.objects.filter(email=values["user_email"]).first()
        if user is None:
            raise _LineError(f"user_email: no user {values['user_email']!r}")
    products = {
        p.sku: p for p in Product.objects.filter(sku__in=[i["sku"] for i in values["items"]])
    }
    missing = sorted({i["sku"] for i in values["items"]} - products.keys())
    if missing:
        raise _LineError(f"items.sku: unknown product(s) {', '.join(missing)}")
    order, created = Order.objects.update_or_create(
        number=values["number"],
        defaults={"email": values["email"], "user": user, "created_date": values["created_date"]},
    )
    # Items that conversations point at are kept; a re-import only adds what is new.
    existing = set() if created else set(order.items.values_list("product__sku", flat=True))
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            product=products[item["sku"]],
            datasource_id=products[item["sku"]].datasource_id,
            quantity=item["quantity"],
            price=item["price"],
        )
        for item in values["items"]
        if item["sku"] not in existing
    )
    return created


_IMPORTERS = {"seller": _import_seller, "product": _import_product, "order": _import_order}


@transaction.atomic
def catalog_import(*, lines: Iterable[str]) -> ImportReport:
    """Import every line or none: any bad line rolls the whole import back.

    Lines are `{"type": "seller" | "product" | "order", ...}`; sellers are keyed by `name`,
    products by `sku` and orders by `number`, so importing the same file twice is harmless.
    """
    report = ImportReport()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise _LineError("a line must be a JSON object")
            kind = data.pop("type", None)
            if kind not in _IMPORTERS:
                raise _LineError(f"type: must be one of {', '.join(_IMPORTERS)}")
            with transaction.atomic():
                created = _IMPORTERS[kind](data)
            (report.created if created else report.updated)[kind] += 1
        except json.JSONDecodeError as error:
            report.errors.append((number, f"not valid JSON: {error.msg}"))
        except _LineError as error:
            report.errors.append((number, str(error)))
    if report.errors:
        raise ImportFailed(report)
    return report
