"""The back office: staff register operator endpoints (contact requests, held messages), see
every endpoint and delivery, switch endpoints off and on, rotate secrets and retry."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from parley.core.exceptions import ApplicationError
from parley.webhooks import services
from parley.webhooks.models import (
    OPERATOR_EVENT_TYPES,
    SELLER_EVENT_TYPES,
    WebhookDelivery,
    WebhookEndpoint,
)


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=[(t, t) for t in OPERATOR_EVENT_TYPES + SELLER_EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        help_text="Operator endpoints receive contact_request.created and message.held.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "event_types", "description", "is_active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        operator = self.instance.pk is None or self.instance.is_operator
        try:
            if "event_types" in cleaned:
                services.event_types_validate(cleaned["event_types"], operator=operator)
            if "url" in cleaned:
                services.webhook_url_validate(cleaned["url"])
        except ApplicationError as error:
            raise ValidationError({error.field or "__all__": error.message}) from error
        return cleaned


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("id", "owner", "url", "is_active", "disabled_reason", "created_date")
    list_filter = ("is_active", "disabled_reason", ("datasource", admin.EmptyFieldListFilter))
    search_fields = ("url", "description", "datasource__name")
    readonly_fields = ("datasource", "disabled_reason", "created_date", "modified_date")
    actions = ("rotate_secret",)

    @admin.display(description="Owner")
    def owner(self, endpoint: WebhookEndpoint) -> str:
        return endpoint.datasource.name if endpoint.datasource else "operator"

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            services.webhook_endpoint_update(
                endpoint=obj,
                url=data["url"],
                event_types=data["event_types"],
                is_active=data["is_active"],
                description=data.get("description", ""),
            )
            return
        created = services.webhook_endpoint_create(
            datasource=None,
            url=data["url"],
            event_types=data["event_types"],
            description=data.get("description", ""),
        )
        obj.pk = created.pk
        self.message_user(
            request,
            f"Operator endpoint #{created.pk} registered. Its signing secret, shown only now: "
            f"{created.secret}",
            messages.WARNING,
        )

    @admin.action(description="Rotate the signing secret (the old one signs 24 h more)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            services.webhook_endpoint_secret_rotate(endpoint=endpoint)
            self.message_user(
                request,
                f"Endpoint #{endpoint.pk}: new secret, shown only now: {endpoint.secret}",
                messages.WARNING,
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "event__event_type")
    list_select_related = ("event", "endpoint", "endpoint__datasource")
    search_fields = ("event__message_id", "endpoint__url")
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    exclude = ("claim_token",)
    actions = ("retry_now",)

    @admin.action(description="Send the selected deliveries again now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        retried, refused = 0, 0
        for delivery in queryset:
            try:
                services.webhook_delivery_retry(delivery=delivery)
                retried += 1
            except ApplicationError:
                refused += 1
        self.message_user(
            request,
            f"{retried} delivery(ies) queued again; {refused} left alone (endpoint off, or "
            "being sent).",
            messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
