"""Conversations between one customer and one seller, and their messages.

The customer API (this app) and the seller API (`parley.sellers`) both write through
`parley.conversations.services` and read pages through `parley.conversations.pages`.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from parley.accounts.models import UserType
from parley.catalog.models import DataSource

# The longest message, for the database column and both APIs' validation.
MESSAGE_MAX_LENGTH = 5000


class ConversationType(models.TextChoices):
    MESSAGE = "message", "Message"
    QUESTION = "question", "Question"
    REVIEW = "review", "Review"


class ItemContent(models.TextChoices):
    PRODUCT = "product", "Product"
    ORDERITEM = "orderitem", "Order item"


class ModerationStatus(models.TextChoices):
    """A message held by moderation (API.md §9 `hold`) and what staff decided. A pending or
    rejected message is also hidden; an approved one is visible. Empty: never held."""

    NONE = "", "Not held"
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class WriterType(models.TextChoices):
    """Who wrote a message: the API calls it the message's `content_type`."""

    USER = "user", "User"
    DATASOURCE = "datasource", "Seller"


# Newest activity first, the same for the customer and the seller listings, and walked in
# this order by the indexes below. `last_message_date` is NULL only for a conversation that
# never had a message, which the services never leave behind (a conversation is opened with
# its first message, and moderation falls back to the opening time): PostgreSQL and SQLite
# sort NULLs differently, and SQLite cannot index `NULLS LAST`, so no NULLs in practice.
CONVERSATION_ORDERING = (F("last_message_date").desc(), F("id").desc())


class Conversation(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="conversations",
        db_index=False,  # led by every conv_user_* index below
    )
    datasource = models.ForeignKey(
        DataSource,
        on_delete=models.PROTECT,
        related_name="conversations",
        db_index=False,  # led by the conv_seller_* indexes below
    )
    conversation_type = models.CharField(max_length=16, choices=ConversationType.choices)
    subject = models.CharField(max_length=255, null=True, blank=True)
    item_content = models.CharField(
        max_length=16, choices=ItemContent.choices, null=True, blank=True
    )
    item_id = models.PositiveBigIntegerField(null=True, blank=True)
    is_public = models.BooleanField(default=False)
    is_answered = models.BooleanField(default=False)
    last_message_date = models.DateTimeField(null=True, blank=True)
    first_response_date = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the seller first answered; set once by the first seller message.",
    )
    # Since when the customer has been waiting for the seller (docs/sellers.md, "Stats"): the
    # first visible customer message after the seller's last visible one; NULL when nobody
    # waits (answered, or no visible customer message). Kept by the services with every
    # message and moderation, so the inbox's "needs reply" tab and the stats read an index
    # instead of three subqueries per conversation.
    waiting_since = models.DateTimeField(null=True, blank=True)
    created_date = models.DateTimeField(default=timezone.now)
    modified_date = models.DateTimeField(
        auto_now=True, help_text="Any change: a message, a moderation, an edit."
    )
    # Read marks (API.md §7): the id of the newest message each party has read; NULL before
    # it read anything. A message is unread for a party when it is visible, written by the
    # other party and newer than the mark. The counts follow from the marks and are kept here,
    # changed in the transaction of every message, hide, read and unread (services), so a
    # list and the storefront's badge read them without counting messages.
    customer_last_read_message_id = models.BigIntegerField(null=True, blank=True)
    seller_last_read_message_id = models.BigIntegerField(null=True, blank=True)
    customer_unread_count = models.PositiveIntegerField(default=0)
    seller_unread_count = models.PositiveIntegerField(default=0)
    # The seller put it away in the inbox; a new customer message brings it back.
    seller_archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = CONVERSATION_ORDERING
        constraints = [
            # One conversation per user, seller, type and item. Two partial constraints,
            # because a unique constraint treats NULLs as distinct on PostgreSQL.
            models.UniqueConstraint(
                fields=("user", "datasource", "conversation_type"),
                condition=Q(item_content__isnull=True),
                name="conversation_unique_without_item",
            ),
            models.UniqueConstraint(
                fields=("user", "datasource", "conversation_type", "item_content", "item_id"),
                condition=Q(item_content__isnull=False),
                name="conversation_unique_with_item",
            ),
            models.CheckConstraint(
                condition=Q(item_content__isnull=True, item_id__isnull=True)
                | Q(item_content__isnull=False, item_id__isnull=False),
                name="conversation_item_content_and_id_together",
            ),
            models.CheckConstraint(
                condition=Q(conversation_type__in=ConversationType.values),
                name="conversation_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(item_content__isnull=True) | Q(item_content__in=ItemContent.values),
                name="conversation_item_content_valid",
            ),
        ]
        indexes = [
            # The customer's listing and each of its filters, in the listing's order.
            models.Index(F("user"), *CONVERSATION_ORDERING, name="conv_user_activity"),
            models.Index(
                F("user"),
                F("conversation_type"),
                *CONVERSATION_ORDERING,
                name="conv_user_type_activity",
            ),
            models.Index(
                F("user"),
                F("is_answered"),
                *CONVERSATION_ORDERING,
                name="conv_user_answered_activity",
            ),
            models.Index(
                F("user"),
                F("datasource"),
                *CONVERSATION_ORDERING,
                name="conv_user_seller_activity",
            ),
            models.Index(fields=("user", "item_content", "item_id"), name="conv_user_item"),
            # The seller's listing, and its `updated_since` filter.
            models.Index(F("datasource"), *CONVERSATION_ORDERING, name="conv_seller_activity"),
            models.Index(fields=("datasource", "modified_date"), name="conv_seller_modified"),
            # The inbox's "needs reply" tab (oldest waiting first) and the `unanswered` figures.
            models.Index(
                fields=("datasource", "waiting_since", "id"),
                name="conv_seller_waiting",
                condition=Q(waiting_since__isnull=False),
            ),
            # The stats' 30-day window, read from the index alone on PostgreSQL.
            models.Index(
                fields=("datasource", "created_date"),
                name="conv_seller_opened",
                include=("first_response_date",),
            ),
            # A product's questions: their public list, and the newest change and number
            # that the list's ETag is made of (read from the index alone).
            models.Index(
                fields=("item_content", "item_id", "conversation_type", "modified_date"),
                name="conv_item_modified",
            ),
            # The storefront's badge (`GET /users/conversations/unread/`) and the seller's
            # unread tab walk only the conversations with something unread.
            models.Index(
                F("user"),
                *CONVERSATION_ORDERING,
                name="conv_user_unread_activity",
                condition=Q(customer_unread_count__gt=0),
            ),
            models.Index(
                F("datasource"),
                *CONVERSATION_ORDERING,
                name="conv_seller_unread_activity",
                condition=Q(seller_unread_count__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.conversation_type}: {self.subject or '(no subject)'}"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        db_index=False,  # led by message_conversation_time
    )
    message_content = models.CharField(max_length=MESSAGE_MAX_LENGTH)
    content_type = models.CharField(max_length=16, choices=WriterType.choices)
    content_id = models.PositiveBigIntegerField(help_text="The writer's id: a user or a seller.")
    user_type = models.CharField(max_length=16, choices=UserType.choices)
    created_date = models.DateTimeField(default=timezone.now)
    # Moderation: a hidden message stays stored but disappears from every API answer.
    is_hidden = models.BooleanField(default=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    moderation_status = models.CharField(
        max_length=8, choices=ModerationStatus.choices, blank=True, default=ModerationStatus.NONE
    )
    # Set when attachments are linked (API.md §8), so a page reads the attachments only when
    # one of its messages has any (a database default: bulk loads need not name it).
    has_attachments = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ("created_date", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=WriterType.values), name="message_content_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(user_type__in=UserType.values), name="message_user_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(moderation_status__in=ModerationStatus.values),
                name="message_moderation_status_valid",
            ),
            # Held and not yet approved means hidden.
            models.CheckConstraint(
                condition=~Q(moderation_status__in=("pending", "rejected")) | Q(is_hidden=True),
                name="message_held_is_hidden",
            ),
        ]
        indexes = [
            models.Index(
                fields=("conversation", "created_date", "id"), name="message_conversation_time"
            ),
            # The moderation queue: the few pending messages, oldest first.
            models.Index(
                fields=("created_date", "id"),
                condition=Q(moderation_status="pending"),
                name="message_pending_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_type} #{self.content_id}: {self.message_content[:50]}"


class HeldMessage(Message):
    """The moderation queue (API.md §9 `hold`): messages held for a contact detail or a
    forbidden word, for staff to approve or reject in the admin."""

    class Meta:
        proxy = True
        verbose_name = "held message"
        verbose_name_plural = "moderation queue"


# --- Attachments (API.md §8) ------------------------------------------------------------------

ATTACHMENT_ID_PREFIX = "att_"


def attachment_public_id() -> str:
    """`att_` and 22 random URL-safe characters (128 bits): not enumerable, not guessable."""
    return ATTACHMENT_ID_PREFIX + secrets.token_urlsafe(16)


class ScanStatus(models.TextChoices):
    """ClamAV's verdict (PARLEY_CLAMD_URL). Without scanning an upload is `not_scanned` and
    both parties may download it; with scanning it is `pending` until the worker says `clean`
    (the other party gets 404 until then; the uploader may download their own) or `infected`
    (the file is deleted, the row and the signature stay for staff)."""

    NOT_SCANNED = "not_scanned", "Not scanned"
    PENDING = "pending", "Pending"
    CLEAN = "clean", "Clean"
    INFECTED = "infected", "Infected"


class Attachment(models.Model):
    """A file uploaded by a customer or a seller. It belongs to its uploader until it is
    linked, once, to a message of theirs; unlinked uploads are deleted after 48 hours
    (`attachment_sweep`). The file is stored under a random name in private storage; `name`
    is the sanitised original name, shown and sent as the download's file name."""

    public_id = models.CharField(max_length=32, unique=True, default=attachment_public_id)
    file = models.FileField(max_length=255, blank=True, help_text="Empty once deleted.")
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    # The uploader: a customer, or a seller (whether through a token or an inbox member).
    uploader_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # led by attachment_user_created
    )
    uploader_datasource = models.ForeignKey(
        DataSource,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # led by attachment_seller_created
    )
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    created_at = models.DateTimeField(default=timezone.now)
    scan_status = models.CharField(
        max_length=16, choices=ScanStatus.choices, default=ScanStatus.NOT_SCANNED
    )
    scan_signature = models.CharField(
        max_length=255, blank=True, help_text="What ClamAV found in an infected file."
    )
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(uploader_user__isnull=True, uploader_datasource__isnull=False)
                | Q(uploader_user__isnull=False, uploader_datasource__isnull=True),
                name="attachment_one_uploader",
            ),
            models.CheckConstraint(
                condition=Q(scan_status__in=ScanStatus.values), name="attachment_scan_status_valid"
            ),
        ]
        indexes = [
            # The 48-hour sweep walks the unlinked uploads, oldest first.
            models.Index(
                fields=("created_at",),
                condition=Q(message__isnull=True),
                name="attachment_unlinked_created",
            ),
            # An uploader's own uploads (linking checks them; erasure deletes a customer's).
            models.Index(fields=("uploader_user", "created_at"), name="attachment_user_created"),
            models.Index(
                fields=("uploader_datasource", "created_at"), name="attachment_seller_created"
            ),
            # Scans the worker lost, handed on again by the sweep.
            models.Index(
                fields=("created_at",),
                condition=Q(scan_status="pending"),
                name="attachment_scan_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.name}"
