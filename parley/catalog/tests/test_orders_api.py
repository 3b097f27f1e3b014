"""GET /users/orders/ and /users/orders/<id>/ (API.md §6): the shopper's own orders."""

from datetime import timedelta

import pytest
from django.utils import timezone

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import (
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
    ProductImageFactory,
)

pytestmark = pytest.mark.django_db

# Session and user (2), count (1), orders (1), items with product and seller (1), images (1).
LIST_QUERIES = 6


def test_lists_the_users_own_orders_newest_first_in_the_contract_shape(logged_in, user):
    now = timezone.now()
    older = OrderFactory.create(user=user, created_date=now - timedelta(days=2))
    newer = OrderFactory.create(user=user, created_date=now - timedelta(days=1))
    product = ProductFactory.create()
    second, first = (
        ProductImageFactory.create(product=product, order=2),
        ProductImageFactory.create(product=product, order=1),
    )
    item = OrderItemFactory.create(order=newer, product=product)
    OrderFactory.create()  # someone else's
    OrderFactory.create(user=None, email=user.email)  # a guest order under the same address

    response = logged_in.get("/users/orders/")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert [order["id"] for order in body["results"]] == [newer.pk, older.pk]
    assert body["results"][0] == {
        "id": newer.pk,
        "number": newer.number,
        "created_date": newer.created_date.isoformat().replace("+00:00", "Z"),
        "orderitem_set": [
            {
                "id": item.pk,
                "product": {
                    "pk": product.pk,
                    "sku": product.sku,
                    "name": product.name,
                    "product_images": [
                        {
                            "pk": image.pk,
                            "product": product.pk,
                            "image": image.image,
                            "order": image.order,
                            "height": image.height,
                            "width": image.width,
                        }
                        for image in (first, second)
                    ],
                },
                "datasource": {"pk": product.datasource.pk, "name": product.datasource.name},
            }
        ],
    }
    assert body["results"][1]["orderitem_set"] == []


def test_the_list_is_paginated_as_every_list(logged_in, user):
    OrderFactory.create_batch(3, user=user)
    body = logged_in.get("/users/orders", {"limit": 2, "page": 2}).json()
    assert (body["count"], len(body["results"]), body["next"]) == (3, 1, None)
    assert body["previous"] == "http://testserver/users/orders?limit=2"
    assert logged_in.get("/users/orders/", {"page": 3}).json() == {"detail": "Invalid page."}


@pytest.mark.parametrize("limit", [1, 100])
def test_the_list_runs_a_fixed_number_of_queries(logged_in, user, django_assert_num_queries, limit):
    for _ in range(100):
        order = OrderFactory.create(user=user)
        for _ in range(2):
            item = OrderItemFactory.create(order=order)
            ProductImageFactory.create_batch(2, product=item.product)
    with django_assert_num_queries(LIST_QUERIES):
        response = logged_in.get("/users/orders/", {"limit": limit})
    results = response.json()["results"]
    assert len(results) == limit
    assert all(len(order["orderitem_set"]) == 2 for order in results)
    assert all(
        len(item["product"]["product_images"]) == 2
        for order in results
        for item in order["orderitem_set"]
    )


def test_the_detail_is_one_of_the_users_own_orders(logged_in, user, django_assert_num_queries):
    order = OrderFactory.create(user=user)
    OrderItemFactory.create_batch(3, order=order)
    with django_assert_num_queries(LIST_QUERIES - 1):  # no count
        response = logged_in.get(f"/users/orders/{order.pk}")
    assert response.status_code == 200
    listed = logged_in.get("/users/orders/").json()["results"][0]
    assert response.json() == listed
    assert len(listed["orderitem_set"]) == 3


@pytest.mark.parametrize("which", ["another_users", "a_guests", "missing", "0", "abc", "9" * 20])
def test_the_detail_is_404_for_any_other_order(logged_in, user, which):
    others = {
        "another_users": lambda: OrderFactory.create(user=UserFactory.create()).pk,
        "a_guests": lambda: OrderFactory.create(user=None, email=user.email).pk,
        "missing": lambda: OrderFactory.create(user=user).pk + 1000,
    }
    order_id = others[which]() if which in others else which
    response = logged_in.get(f"/users/orders/{order_id}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("path", ["/users/orders/", "/users/orders/1/"])
def test_orders_need_a_login(client_api, path):
    response = client_api.get(path)
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}
