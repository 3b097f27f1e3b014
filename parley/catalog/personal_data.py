"""What the catalogue mirror holds about a customer (API.md §11): the e-mail of their orders.
Sellers, products and their images are the shop's reference data. See
parley/core/privacy.py."""

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from parley.catalog.models import DataSource, Order, OrderItem, Product, ProductImage
from parley.core.privacy import ErasureContext, Holder, holder_register, no_personal_data


def _owned(user_id: int | None, email: str) -> Q:
    """The account's orders, and guest orders placed with its address (another account's
    order stays that account's, whatever address it was placed with)."""
    guest = Q(user__isnull=True, email__iexact=email)
    return guest if user_id is None else Q(user_id=user_id) | guest


def _orders(ctx: ErasureContext) -> QuerySet[Order]:
    return Order.objects.filter(_owned(ctx.user.pk, ctx.email)).exclude(email="")


def _orders_export(user: Any) -> list[dict[str, Any]]:
    """Two queries: the orders, then their items with product and seller."""
    items = OrderItem.objects.select_related("product", "datasource").order_by("id")
    orders = (
        Order.objects.filter(_owned(user.pk, user.email))
        .prefetch_related(Prefetch("items", queryset=items))
        .order_by("-created_date", "-id")
    )
    return [
        {
            "id": order.pk,
            "number": order.number,
            "email": order.email,
            "created_date": order.created_date,
            "items": [
                {
                    "id": item.pk,
                    "product": item.product.name,
                    "seller": item.datasource.name,
                    "quantity": item.quantity,
                    "price": str(item.price),
                }
                for item in order.items.all()
            ],
        }
        for order in orders
    ]


def _orders_erase(ctx: ErasureContext) -> int:
    """The shop's own system keeps its orders; Parley's mirror keeps the number and items (the
    customer's conversations may name them) but not the address. A later import of the same
    orders brings the address back: erase in the shop too (docs/PRIVACY.md)."""
    return _orders(ctx).update(email="")


holder_register(
    Holder(
        section="orders",
        fields={Order: ("email",)},
        kept={Order: {"number": "the shop's order number"}},
        count=lambda ctx: _orders(ctx).count(),
        erase=_orders_erase,
        export=_orders_export,
    )
)

no_personal_data(
    DataSource, "a seller: a business's public contact details, not a customer's (KVKK: legal)"
)
no_personal_data(Product, "the shop's products")
no_personal_data(ProductImage, "the shop's product images")
no_personal_data(OrderItem, "what an order holds: products, quantities, prices")
