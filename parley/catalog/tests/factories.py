from decimal import Decimal

import factory
from django.utils import timezone

from parley.accounts.tests.factories import UserFactory
from parley.catalog.models import DataSource, Order, OrderItem, Product, ProductImage


class DataSourceFactory(factory.django.DjangoModelFactory[DataSource]):
    class Meta:
        model = DataSource

    name = factory.Sequence(lambda n: f"seller-{n}")
    title = factory.Sequence(lambda n: f"Seller {n}")
    email = factory.Sequence(lambda n: f"seller{n}@sellers.example")
    supplier_code = "Code123"


class ProductFactory(factory.django.DjangoModelFactory[Product]):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    name = "Oversized Sweatshirt"
    datasource = factory.SubFactory(DataSourceFactory)


class ProductImageFactory(factory.django.DjangoModelFactory[ProductImage]):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.Sequence(lambda n: f"products/2021/05/21/134/{n}.jpg")
    order = 0
    height = 80
    width = 101


class OrderFactory(factory.django.DjangoModelFactory[Order]):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"ORD-{n:08d}")
    user = factory.SubFactory(UserFactory)
    email = factory.LazyAttribute(
        lambda order: order.user.email if order.user else "guest@example.com"
    )
    created_date = factory.LazyFunction(timezone.now)


class OrderItemFactory(factory.django.DjangoModelFactory[OrderItem]):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    datasource = factory.LazyAttribute(lambda item: item.product.datasource)
    quantity = 1
    price = Decimal("99.90")
