from django.contrib import admin

from parley.catalog.models import DataSource, Order, OrderItem, Product, ProductImage


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "title", "email", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "title", "email", "supplier_code")


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("id", "sku", "name", "datasource")
    list_select_related = ("datasource",)
    list_filter = ("datasource",)
    search_fields = ("sku", "name")
    raw_id_fields = ("datasource",)
    inlines = [ProductImageInline]


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    raw_id_fields = ("product", "datasource")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "number", "email", "user", "created_date")
    list_select_related = ("user",)
    search_fields = ("number", "email")
    raw_id_fields = ("user",)
    date_hierarchy = "created_date"
    inlines = [OrderItemInline]
