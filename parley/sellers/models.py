"""Seller API tokens (several per seller, so a key can be rotated without downtime), the
people who work in the seller inbox, and their saved replies."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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


class SellerRole(models.TextChoices):
    """What a member may do in the seller inbox: both answer; owners also keep the saved
    replies."""

    OWNER = "owner", _("Owner")
    AGENT = "agent", _("Agent")


class SellerMembership(models.Model):
    """A person who works for a seller in the web inbox (`/seller/inbox/`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seller_memberships"
    )
    datasource = models.ForeignKey(
        DataSource, on_delete=models.CASCADE, related_name="memberships", verbose_name="seller"
    )
    role = models.CharField(max_length=16, choices=SellerRole.choices, default=SellerRole.AGENT)
    created_date = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("datasource_id", "user_id")
        verbose_name = "seller inbox member"
        constraints = [
            models.UniqueConstraint(fields=("user", "datasource"), name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=SellerRole.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) at {self.datasource}"


class SavedReply(models.Model):
    """A text a seller's members insert into the reply box instead of typing it again."""

    datasource = models.ForeignKey(
        DataSource, on_delete=models.CASCADE, related_name="saved_replies", verbose_name="seller"
    )
    title = models.CharField(max_length=100)
    body = models.CharField(max_length=5000)
    created_date = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("datasource_id", "title", "id")
        verbose_name_plural = "saved replies"
        constraints = [
            models.UniqueConstraint(fields=("datasource", "title"), name="saved_reply_unique"),
        ]

    def __str__(self) -> str:
        return self.title
