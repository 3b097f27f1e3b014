"""Output of the public questions: what any visitor may read, and nothing more."""

from typing import Any

from rest_framework import serializers

from parley.conversations.models import Conversation, Message


def name_mask(name: str | None) -> str:
    """`"Çağla"` → `"Ç***"`: the first letter only. An empty name stays empty."""
    name = (name or "").strip()
    return f"{name[0]}***" if name else ""


class PublicDataSourceSerializer(serializers.Serializer):
    pk = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()


class PublicAskerSerializer(serializers.Serializer):
    """The asker's names, masked; no id, e-mail or phone ever leaves here."""

    first_name = serializers.SerializerMethodField()
    last_name = serializers.SerializerMethodField()

    def get_first_name(self, user: Any) -> str:
        return name_mask(user.first_name)

    def get_last_name(self, user: Any) -> str:
        return name_mask(user.last_name)


class PublicMessageSerializer(serializers.ModelSerializer[Message]):
    class Meta:
        model = Message
        fields = ("id", "message_content", "content_type", "created_date")


class PublicQuestionSerializer(serializers.ModelSerializer[Conversation]):
    datasource = PublicDataSourceSerializer()
    user = PublicAskerSerializer()
    message_set = PublicMessageSerializer(source="visible_messages", many=True)

    class Meta:
        model = Conversation
        fields = (
            "id",
            "subject",
            "conversation_type",
            "last_message_date",
            "datasource",
            "user",
            "message_set",
        )
