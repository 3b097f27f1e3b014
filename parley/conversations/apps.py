from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "parley.conversations"
    label = "conversations"
