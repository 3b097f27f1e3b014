from typing import Any

from rest_framework import serializers

from parley.core.validators import SingleLineField
from parley.webhooks.models import SELLER_EVENT_TYPES, WebhookDelivery, WebhookEndpoint


class WebhookEndpointOutputSerializer(serializers.ModelSerializer):
    disabled_reason = serializers.SerializerMethodField()
    event_types = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = WebhookEndpoint
        fields: tuple[str, ...] = (
            "id",
            "url",
            "event_types",
            "is_active",
            "disabled_reason",
            "created_date",
        )

    def get_disabled_reason(self, endpoint: WebhookEndpoint) -> str | None:
        return endpoint.disabled_reason or None


class WebhookEndpointCreatedSerializer(WebhookEndpointOutputSerializer):
    secret = serializers.CharField(help_text="`whsec_…`: shown only in this answer.")

    class Meta(WebhookEndpointOutputSerializer.Meta):
        fields = (*WebhookEndpointOutputSerializer.Meta.fields, "secret")


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new `whsec_…`, shown only in this answer.")
    previous_secret_expires_at = serializers.DateTimeField(
        help_text="Until then the previous secret signs too (a second signature)."
    )


class StrictUrlField(serializers.URLField):
    """A URL that must arrive as a string, on one line, at most 2000 characters."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class EventTypesField(serializers.ListField):
    child = serializers.ChoiceField(choices=SELLER_EVENT_TYPES)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_empty", False)
        kwargs.setdefault("max_length", len(SELLER_EVENT_TYPES) * 2)
        super().__init__(**kwargs)

    def run_child_validation(self, data: list[Any]) -> list[Any]:
        """The first bad item's message, flat (`{"event_types": ["..."]}`), as every other
        field error, rather than DRF's errors keyed by position."""
        result = []
        for item in data:
            try:
                result.append(self.child.run_validation(item))
            except serializers.ValidationError as error:
                raise serializers.ValidationError(error.detail) from None
        return result


class WebhookEndpointCreateInputSerializer(serializers.Serializer):
    url = StrictUrlField(max_length=2000, help_text="https; a public address")
    event_types = EventTypesField(required=False, help_text="Default: every seller event.")
    description = SingleLineField(max_length=200, required=False, allow_blank=True)


class WebhookEndpointUpdateInputSerializer(serializers.Serializer):
    url = StrictUrlField(max_length=2000, required=False)
    event_types = EventTypesField(required=False)
    is_active = serializers.BooleanField(required=False)
    description = SingleLineField(max_length=200, required=False, allow_blank=True)


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.event_type")
    webhook_id = serializers.CharField(source="event.message_id")
    created_date = serializers.DateTimeField(source="created_at")
    last_attempt_date = serializers.DateTimeField(source="last_attempt_at", allow_null=True)
    next_attempt_date = serializers.DateTimeField(source="next_attempt_at", allow_null=True)
    delivered_date = serializers.DateTimeField(source="delivered_at", allow_null=True)

    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "event_type",
            "webhook_id",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_date",
            "last_attempt_date",
            "next_attempt_date",
            "delivered_date",
        )
