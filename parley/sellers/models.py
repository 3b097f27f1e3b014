"""Seller API tokens: several per seller so a key can be rotated without downtime."""

from django.db import models

from parley.catalog.models import DataSource


class SellerToken(models.Model):
    """One API key of a seller. Only the SHA-256 of the key is stored (see docs/sellers.md):
    the key itself is shown once, when it is created, and cannot be recovered."""

    datasource = models.ForeignKey(
        DataSource, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="seller"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'ERP sync'.")
    prefix = models.CharField(
        max_length=8,
        unique=True,
        editable=False,
        help_text="The first characters of the key after 'psk_': not secret, names the token.",
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_date = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ("-created_date", "-id")
        verbose_name = "seller API token"

    def __str__(self) -> str:
        return f"psk_{self.prefix}… ({self.name})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
