"""Reads of the catalogue, with what their pages render already fetched."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from parley.catalog.models import Order, OrderItem, ProductImage


def _with_items(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Three queries whatever the number of orders: the orders, their items with product and
    seller, and the products' images."""
    items = OrderItem.objects.select_related("product", "datasource").prefetch_related(
        Prefetch("product__product_images", queryset=ProductImage.objects.order_by("order", "id"))
    )
    return orders.prefetch_related(Prefetch("items", queryset=items.order_by("id")))


def order_list_for_user(user: Any) -> QuerySet[Order]:
    """The user's own orders, newest first."""
    return _with_items(Order.objects.filter(user_id=user.pk).order_by("-created_date", "-id"))


def order_get_for_user(user: Any, order_id: int) -> Order:
    """One of the user's own orders; anyone else's, or none, is 404."""
    return get_object_or_404(_with_items(Order.objects.filter(user_id=user.pk)), pk=order_id)
