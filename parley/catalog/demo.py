from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from parley.accounts.models import User
from parley.catalog.models import DataSource, Order, OrderItem, Product, ProductImage

SELLERS = [
    {
        "name": "anatolia-textiles",
        "title": "Anatolia Textiles",
        "email": "seller@anatolia.demo.parley.localhost",
        "supplier_code": "AT-001",
        "extras": {"city": "Bursa"},
    },
    {
        "name": "nordic-home",
        "title": "Nordic Home",
        "email": "seller@nordic.demo.parley.localhost",
        "supplier_code": "NH-002",
        "extras": {},
    },
]
PRODUCTS = [
    ("anatolia-textiles", "AT-TOWEL-01", "Peştemal Towel"),
    ("anatolia-textiles", "AT-SHIRT-02", "Oversized Sweatshirt"),
    ("nordic-home", "NH-LAMP-01", "Birch Table Lamp"),
    ("nordic-home", "NH-MUG-02", "Stoneware Mug"),
]


def seed(demo: dict[str, Any]) -> None:
    sellers = {}
    for fields in SELLERS:
        seller, _ = DataSource.objects.get_or_create(name=fields["name"], defaults=fields)
        sellers[seller.name] = seller
        demo["sellers"].append(
            {"id": seller.pk, "name": seller.name, "email": seller.email, "token": None}
        )
    products = {}
    for seller_name, sku, name in PRODUCTS:
        product, created = Product.objects.get_or_create(
            sku=sku, defaults={"name": name, "datasource": sellers[seller_name]}
        )
        if created:
            for position in range(2):
                ProductImage.objects.create(
                    product=product,
                    image=f"products/2026/11/01/{sku.lower()}-{position}.jpg",
                    order=position,
                    height=800,
                    width=600,
                )
        products[sku] = product
        demo["products"].append({"pk": product.pk, "datasource": product.datasource_id})

    customers = [User.objects.get(pk=c["id"]) for c in demo["customers"]]
    plans = [
        (customers[0], "DEMO-1001", ["AT-TOWEL-01", "NH-LAMP-01"]),  # both sellers
        (customers[0], "DEMO-1002", ["AT-SHIRT-02"]),
        (customers[1], "DEMO-2001", ["NH-MUG-02", "AT-TOWEL-01"]),
    ]
    for user, number, skus in plans:
        order, created = Order.objects.get_or_create(
            number=number,
            defaults={
                "user": user,
                "email": user.email,
                "created_date": datetime(2026, 11, 1, tzinfo=UTC),
            },
        )
        if created:
            for sku in skus:
                OrderItem.objects.create(
                    order=order,
                    product=products[sku],
                    datasource=products[sku].datasource,
                    quantity=1,
                    price=Decimal("199.90"),
                )
        demo["orders"].append(
            {
                "pk": order.pk,
                "number": order.number,
                "user": order.user_id,
                "email": order.email,
                "items": [
                    {"pk": item.pk, "product": item.product_id, "datasource": item.datasource_id}
                    for item in order.items.order_by("id")
                ],
            }
        )
