"""The record of every erasure and retention run (API.md §11; KVKK keeps one at least three
years): who, when, what kind, how many rows per section. No personal data: the customer is
named by the id of their account, which after erasure names no one."""

from datetime import timedelta

from django.conf import settings
from django.db import models

# How long a record is kept before the daily job deletes it: three years (KVKK's minimum).
RECORD_KEPT_FOR = timedelta(days=3 * 365 + 1)


class PrivacyOperation(models.TextChoices):
    ERASURE = "erasure", "Erasure"
    RETENTION = "retention", "Retention run"


class PrivacyRecord(models.Model):
    operation = models.CharField(max_length=16, choices=PrivacyOperation.choices)
    performed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who erased; empty for the command line and the daily job.",
    )
    channel = models.CharField(
        max_length=32, help_text="Where it was done: admin, command line, daily job."
    )
    customer_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The erased account's id; empty for a retention run."
    )
    counts = models.JSONField(default=dict, help_text="Rows changed (or files) per section.")

    class Meta:
        ordering = ("-performed_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(operation__in=PrivacyOperation.values),
                name="privacyrecord_operation_valid",
            ),
        ]

    def __str__(self) -> str:
        who = f" of account #{self.customer_id}" if self.customer_id else ""
        return f"{self.get_operation_display()}{who} at {self.performed_at:%Y-%m-%d %H:%M}"
