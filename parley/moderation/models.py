"""What moderation keeps: the forbidden words staff manage, and each sender's blocked
attempts (never their text), from which repeat offenders are throttled and flagged."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from parley.catalog.models import DataSource


class ForbiddenWord(models.Model):
    """A word or phrase no message may carry. Every active word applies to every message
    whatever its language; `language` says which language it belongs to, for the staff who
    keep the list. Matched whole, case- and accent-insensitively (Turkish-aware)."""

    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    word = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("language", "word")
        constraints = [
            models.UniqueConstraint(fields=("language", "word"), name="forbidden_word_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.word} ({self.language})"


class SenderQuerySet(models.QuerySet):
    def of_sender(self, *, user_id: int | None, datasource_id: int | None) -> "SenderQuerySet":
        if datasource_id is not None:
            return self.filter(datasource_id=datasource_id)
        return self.filter(user_id=user_id, datasource__isnull=True)


def _one_sender() -> Q:
    return Q(user__isnull=False, datasource__isnull=True) | Q(
        user__isnull=True, datasource__isnull=False
    )


class BlockedMessage(models.Model):
    """One refused message: who sent it, where, and what kinds of detail it carried. Its
    text is not kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The customer who sent it (empty for a seller's message).",
    )
    datasource = models.ForeignKey(
        DataSource,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The seller who sent it (empty for a customer's message).",
    )
    conversation_type = models.CharField(max_length=16)
    kinds = models.CharField(max_length=100, help_text="The kinds of detail found.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = SenderQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [models.CheckConstraint(condition=_one_sender(), name="blocked_one_sender")]
        indexes = [
            models.Index(fields=("user", "created_at"), name="blocked_user_time"),
            models.Index(fields=("datasource", "created_at"), name="blocked_seller_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kinds} from {self.user or self.datasource}"


class SenderFlag(models.Model):
    """A sender blocked PARLEY_MODERATION_BLOCKS_BEFORE_THROTTLE times within a day: throttled
    on message posts until `throttled_until`, and shown to staff until reviewed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    datasource = models.ForeignKey(
        DataSource, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    blocks = models.PositiveIntegerField(help_text="Blocked messages in the day before.")
    created_at = models.DateTimeField(default=timezone.now)
    throttled_until = models.DateTimeField()
    is_reviewed = models.BooleanField(default=False)

    objects = SenderQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [models.CheckConstraint(condition=_one_sender(), name="flag_one_sender")]
        indexes = [
            models.Index(fields=("user", "throttled_until"), name="flag_user_until"),
            models.Index(fields=("datasource", "throttled_until"), name="flag_seller_until"),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.datasource}: {self.blocks} blocked messages"
