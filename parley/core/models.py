from django.db import models


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` of one caller (API.md §6): claimed while its request runs
    (`status_code` empty), then holding the answer that a repeat gets. Kept 24 hours."""

    scope = models.CharField(
        max_length=80, help_text="The caller: user:<id>, seller:<id> or csrf:<sha256>."
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the method, path and body of the first request."
    )
    status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty while the first request is in progress."
    )
    content_type = models.CharField(max_length=100, blank=True)
    response_body = models.BinaryField(default=b"")
    created_date = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("scope", "key"), name="idempotencykey_scope_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
