from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "parley.catalog"
    label = "catalog"
