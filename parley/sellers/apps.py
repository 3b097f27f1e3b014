from django.apps import AppConfig


class SellersConfig(AppConfig):
    name = "parley.sellers"
    label = "sellers"
