from django.apps import AppConfig


class SimilarConfig(AppConfig):
    name = "parley.similar"
    label = "similar"
    verbose_name = "Similar questions"
