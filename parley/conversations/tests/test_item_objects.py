"""`item_objects_fetch` hands the serializers products whose images are already read, in
order, as read-only rows, whichever way the images are reached."""

from typing import Any

import pytest

from parley.catalog.tests.factories import (
    DataSourceFactory,
    OrderItemFactory,
    ProductFactory,
    ProductImageFactory,
)
from parley.conversations.selectors import ProductImageRow, item_objects_fetch
from parley.conversations.tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def test_products_arrive_with_their_images_in_order_and_read_no_more(
    django_assert_num_queries,
):
    seller = DataSourceFactory.create()
    product, bare, ordered = ProductFactory.create_batch(3, datasource=seller)
    images = {
        order: ProductImageFactory.create(
            product=product, order=order, image=f"p/{order}.jpg", height=None
        )
        for order in (2, 0, 1)
    }
    ProductImageFactory.create(product=ordered, order=0, image="o/0.jpg")
    item = OrderItemFactory.create(product=ordered, datasource=seller)
    conversations = [
        ConversationFactory.create(datasource=seller, item_content="product", item_id=product.pk),
        ConversationFactory.create(datasource=seller, item_content="product", item_id=bare.pk),
        ConversationFactory.create(datasource=seller, item_content="orderitem", item_id=item.pk),
    ]

    with django_assert_num_queries(3):  # order items, products, images
        found: dict[tuple[str, int], Any] = item_objects_fetch(conversations)

    with django_assert_num_queries(0):
        rows = list(found[("product", product.pk)].product_images.all())
        assert list(found[("product", bare.pk)].product_images.all()) == []
        item_images = list(found[("orderitem", item.pk)].product.product_images.all())
    assert rows == [
        ProductImageRow(
            id=images[n].pk,
            product_id=product.pk,
            image=f"p/{n}.jpg",
            order=n,
            height=None,
            width=images[n].width,
        )
        for n in (0, 1, 2)
    ]
    assert [row.pk for row in rows] == [images[0].pk, images[1].pk, images[2].pk]
    assert [image.image for image in item_images] == ["o/0.jpg"]
