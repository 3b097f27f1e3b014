from rest_framework import serializers

from parley.accounts.models import User


class UserSummarySerializer(serializers.ModelSerializer[User]):
    """The nested `user` of a conversation."""

    class Meta:
        model = User
        fields = ("id", "first_name", "last_name", "gender", "email", "phone")
        read_only_fields = fields
