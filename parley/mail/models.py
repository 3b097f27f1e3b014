"""The outbox: every e-mail Parley sends is first a row here, written in the transaction of the
change that causes it, and then delivered by a task that can be retried at will."""

from django.conf import settings
from django.db import models


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutgoingEmail(models.Model):
    kind = models.CharField(
        max_length=64, blank=True, help_text="What caused the e-mail, e.g. contact_us."
    )
    from_email = models.CharField(max_length=320)
    to = models.JSONField(default=list, help_text="A list of recipient addresses.")
    reply_to = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=998)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    attachments = models.JSONField(
        default=list,
        blank=True,
        help_text="References to files in storage: storage_name, filename, mimetype.",
    )
    message_id = models.CharField(
        max_length=255, unique=True, help_text="Generated once at queue time, sent every try."
    )
    status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a pending e-mail is due (again)."
    )
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="A sending claim older than this is presumed lost."
    )
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    request_id = models.CharField(max_length=64, blank=True)
    about_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The customer the e-mail is about (erasure and export find it by this).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=("status", "next_attempt_at"), name="outgoingemail_due"),
            models.Index(fields=("kind", "-created_at"), name="outgoingemail_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="outgoingemail_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"
