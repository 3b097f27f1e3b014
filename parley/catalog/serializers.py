"""The catalogue's objects as the API shows them: the seed's product object (API.md §4), shared
by conversations and orders, and the orders of API.md §6."""

from rest_framework import serializers

from parley.catalog.models import DataSource, Order, OrderItem, Product, ProductImage


class ProductImageOutputSerializer(serializers.ModelSerializer[ProductImage]):
    pk = serializers.IntegerField(source="id")
    product = serializers.IntegerField(source="product_id")

    class Meta:
        model = ProductImage
        fields = ("pk", "product", "image", "order", "height", "width")


class ProductOutputSerializer(serializers.ModelSerializer[Product]):
    pk = serializers.IntegerField(source="id")
    product_images = ProductImageOutputSerializer(many=True)

    class Meta:
        model = Product
        fields = ("pk", "sku", "name", "product_images")


class DataSourceSummarySerializer(serializers.ModelSerializer[DataSource]):
    pk = serializers.IntegerField(source="id")

    class Meta:
        model = DataSource
        fields = ("pk", "name")


class OrderItemSummarySerializer(serializers.ModelSerializer[OrderItem]):
    product = ProductOutputSerializer()
    datasource = DataSourceSummarySerializer()

    class Meta:
        model = OrderItem
        fields = ("id", "product", "datasource")


class OrderOutputSerializer(serializers.ModelSerializer[Order]):
    orderitem_set = OrderItemSummarySerializer(many=True, source="items")

    class Meta:
        model = Order
        fields = ("id", "number", "created_date", "orderitem_set")
