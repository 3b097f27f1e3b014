"""Reference data that conversations and the contact form point at. A shop imports its own
(`manage.py import_catalog`); Parley does not own the catalogue, it only needs to name it."""

from django.conf import settings
from django.db import models


class DataSource(models.Model):
    """A seller. Every field of the seed's `datasource` object."""

    name = models.CharField(max_length=255, unique=True)
    title = models.CharField(max_length=255, blank=True)
    slug = models.SlugField(max_length=255, null=True, blank=True)
    supplier_code = models.CharField(max_length=64, null=True, blank=True)
    mersis_number = models.CharField(max_length=64, null=True, blank=True)
    kep_address = models.CharField(max_length=254, null=True, blank=True)
    phone_number = models.CharField(max_length=70, null=True, blank=True)
    fax_number = models.CharField(max_length=70, null=True, blank=True)
    email = models.EmailField(max_length=254, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    trade_association = models.CharField(max_length=255, null=True, blank=True)
    price_list = models.PositiveIntegerField(null=True, blank=True)
    stock_list = models.PositiveIntegerField(null=True, blank=True)
    address = models.TextField(null=True, blank=True)
    extras = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(extras__isnull=False), name="datasource_extras_not_null"
            )
        ]

    def __str__(self) -> str:
        return self.title or self.name


class Product(models.Model):
    sku = models.CharField(max_length=128, unique=True)
    name = models.CharField(max_length=255)
    datasource = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="products")

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="product_images")
    image = models.CharField(max_length=255, help_text="The stored path of the image file.")
    order = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("order", "id")
        indexes = [models.Index(fields=("product", "order"), name="productimage_product_order")]

    def __str__(self) -> str:
        return self.image


class Order(models.Model):
    number = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        help_text="Empty for a guest order.",
    )
    email = models.EmailField(max_length=254)
    created_date = models.DateTimeField()

    class Meta:
        ordering = ("-created_date", "-id")

    def __str__(self) -> str:
        return self.number


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_items")
    datasource = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="order_items")
    quantity = models.PositiveIntegerField(default=1)
    price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="orderitem_quantity")
        ]

    def __str__(self) -> str:
        return f"{self.order} / {self.product}"
