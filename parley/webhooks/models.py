"""Webhooks (API.md §10): endpoints that sellers and staff register, the events Parley emits,
and one delivery row per (event, endpoint), written in the transaction of the change and sent
by the worker as the mail outbox sends e-mail."""

from django.db import models

from parley.catalog.models import DataSource


class EventType(models.TextChoices):
    CONVERSATION_CREATED = "conversation.created", "conversation.created"
    MESSAGE_CREATED = "message.created", "message.created"
    MESSAGE_HIDDEN = "message.hidden", "message.hidden"
    CONVERSATION_READ = "conversation.read", "conversation.read"
    CONTACT_REQUEST_CREATED = "contact_request.created", "contact_request.created"
    MESSAGE_HELD = "message.held", "message.held"


# A seller's endpoints hear about that seller's conversations; operator endpoints (no seller,
# registered by staff) hear about what the back office acts on.
SELLER_EVENT_TYPES: tuple[str, ...] = (
    EventType.CONVERSATION_CREATED,
    EventType.MESSAGE_CREATED,
    EventType.MESSAGE_HIDDEN,
    EventType.CONVERSATION_READ,
)
OPERATOR_EVENT_TYPES: tuple[str, ...] = (
    EventType.CONTACT_REQUEST_CREATED,
    EventType.MESSAGE_HELD,
)


class DisabledReason(models.TextChoices):
    GONE = "endpoint_gone", "The receiver answered 410 Gone"
    FAILING = "attempts_exhausted", "A delivery failed its last attempt"
    OWNER = "disabled_by_owner", "Switched off by its owner"


class WebhookEndpoint(models.Model):
    datasource = models.ForeignKey(
        DataSource,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name="seller",
        help_text="Empty for an operator endpoint (contact requests, held messages).",
    )
    url = models.URLField(max_length=2000)
    event_types = models.JSONField(default=list, help_text="The event types it subscribes to.")
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(
        max_length=32, choices=DisabledReason.choices, blank=True, default=""
    )
    # The signing keys, `whsec_` + base64. They must be readable to sign (an HMAC key cannot
    # be stored as a hash); docs/SECURITY.md says how they are protected.
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_date = models.DateTimeField(auto_now_add=True)
    modified_date = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_date", "-id")
        indexes = [models.Index(fields=("datasource", "is_active"), name="webhookendpoint_owner")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_active=True, disabled_reason="")
                | models.Q(is_active=False) & ~models.Q(disabled_reason=""),
                name="webhookendpoint_disabled_has_reason",
            ),
        ]

    def __str__(self) -> str:
        owner = self.datasource.name if self.datasource_id else "operator"  # type: ignore[union-attr]
        return f"#{self.pk} {owner} → {self.url}"

    @property
    def is_operator(self) -> bool:
        return self.datasource_id is None


class WebhookEvent(models.Model):
    """One thing that happened, with the exact body every endpoint receives, every try."""

    message_id = models.CharField(
        max_length=40, unique=True, help_text="The `webhook-id` header, the same on every try."
    )
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    datasource = models.ForeignKey(
        DataSource, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    body = models.TextField(help_text="The JSON payload, signed and sent as is.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=("status", "next_attempt_at"), name="webhookdelivery_due"),
            models.Index(fields=("endpoint", "-created_at", "-id"), name="webhookdelivery_list"),
            models.Index(fields=("endpoint", "status"), name="webhookdelivery_inflight"),
        ]
        constraints = [
            models.UniqueConstraint(fields=("event", "endpoint"), name="webhookdelivery_once"),
            models.CheckConstraint(
                condition=~models.Q(status="delivered") | models.Q(delivered_at__isnull=False),
                name="webhookdelivery_delivered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.status}"
