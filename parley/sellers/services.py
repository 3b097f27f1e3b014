"""Writes of the seller side: API tokens, inbox members and saved replies here; answers go
through the conversations services."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from parley.accounts.models import User
from parley.catalog.models import DataSource
from parley.conversations.models import Conversation, Message, WriterType
from parley.conversations.services import message_append
from parley.core.exceptions import ApplicationError
from parley.moderation.services import Sender, message_screen
from parley.sellers import keys
from parley.sellers.models import SavedReply, SellerMembership, SellerRole, SellerToken

# `last_used` is written at most this often per token, so a busy integration does not turn
# every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_CREATE_ATTEMPTS = 5


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its key: the only moment the key exists outside the caller's hands."""

    token: SellerToken
    key: str


def seller_token_create(
    *, datasource: DataSource, name: str, key: str | None = None
) -> IssuedToken:
    """Issue a token for the seller. `key` is for the demo only, which derives a fixed one."""
    name = name.strip()
    if not name:
        raise ApplicationError("A token needs a name.", field="name")
    if len(name) > SellerToken._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ApplicationError("The name is too long.", field="name")
    for _ in range(_CREATE_ATTEMPTS):
        candidate = key or keys.key_generate()
        if not keys.key_is_well_formed(candidate):
            raise ApplicationError("A key must be 'psk_' and 40 letters or digits.", field="key")
        try:
            with transaction.atomic():
                token = SellerToken.objects.create(
                    datasource=datasource,
                    name=name,
                    prefix=keys.key_prefix(candidate),
                    key_hash=keys.key_hash(candidate),
                )
        except IntegrityError:
            if key is not None:
                raise
            continue  # an 8-character prefix collided with another token's: draw again
        return IssuedToken(token=token, key=candidate)
    raise RuntimeError("could not draw a unique token prefix")  # pragma: no cover


@transaction.atomic
def seller_token_revoke(*, token: SellerToken) -> SellerToken:
    """Revoke the token now; revoking a revoked token keeps its first revocation time."""
    token = SellerToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def seller_tokens_revoke(*, tokens: QuerySet[SellerToken]) -> int:
    """Revoke each unrevoked one of `tokens`; returns how many."""
    live = list(tokens.filter(revoked_at__isnull=True))
    for token in live:
        seller_token_revoke(token=token)
    return len(live)


def seller_token_rename(*, token: SellerToken, name: str) -> SellerToken:
    """The admin's change form: a token's name is the one thing staff may change."""
    token.name = name
    token.save(update_fields=["name"])
    return token


def seller_token_touch(*, token: SellerToken) -> None:
    """Record that the token was just used (at most once per LAST_USED_RESOLUTION)."""
    now = timezone.now()
    if token.last_used is not None and now - token.last_used < LAST_USED_RESOLUTION:
        return
    SellerToken.objects.filter(pk=token.pk).update(last_used=now)
    token.last_used = now


# --- Answers ---------------------------------------------------------------------------------


def seller_message_send(
    *,
    datasource: DataSource,
    conversation_id: int,
    content: str,
    attachments: Sequence[str] = (),
) -> Message:
    """The seller answers one of its own conversations (404 for any other).

    The message is the seller's (`content_type` datasource, `content_id` the seller); its
    `user_type` is the conversation's customer's, since the field only knows customer kinds.
    `message_append` moves `is_answered`, `last_message_date` and `first_response_date`.

    The text is screened first (API.md §9), outside the transaction that stores it, so that a
    refusal is remembered even though the message is not stored."""
    conversation = get_object_or_404(
        Conversation.objects.select_related("user"), pk=conversation_id, datasource=datasource
    )
    screening = message_screen(
        text=content,
        conversation_type=conversation.conversation_type,
        sender=Sender(datasource_id=datasource.pk),
    )
    return message_append(
        conversation=conversation,
        content=content,
        content_type=WriterType.DATASOURCE,
        content_id=datasource.pk,
        user_type=conversation.user.user_type,
        held=screening.held,
        attachments=attachments,
    )


# --- Inbox members and saved replies ---------------------------------------------------------


@transaction.atomic
def seller_member_add(*, datasource: DataSource, user: User, role: str) -> SellerMembership:
    """Make the user a member of the seller with this role (a member already keeps the row
    and takes the new role). The unique constraint decides a race."""
    if role not in SellerRole.values:
        raise ApplicationError("The role must be owner or agent.", field="role")
    membership, created = SellerMembership.objects.get_or_create(
        user=user, datasource=datasource, defaults={"role": role}
    )
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def seller_member_remove(*, datasource: DataSource, user: User) -> bool:
    """End the membership; False when there was none. The person's sessions stay, but every
    inbox request checks the membership again, so the next one is refused."""
    deleted, _ = SellerMembership.objects.filter(user=user, datasource=datasource).delete()
    return deleted > 0


def saved_reply_create(*, datasource: DataSource, title: str, body: str) -> SavedReply:
    title, body = title.strip(), body.strip()
    if not title:
        raise ApplicationError("A saved reply needs a title.", field="title")
    if not body:
        raise ApplicationError("A saved reply needs a text.", field="body")
    try:
        with transaction.atomic():
            return SavedReply.objects.create(datasource=datasource, title=title, body=body)
    except IntegrityError:
        raise ApplicationError(
            "A saved reply with this title already exists.", field="title"
        ) from None


def saved_reply_delete(*, datasource: DataSource, reply_id: int) -> None:
    """Delete one of the seller's saved replies (404 for any other)."""
    get_object_or_404(SavedReply, pk=reply_id, datasource=datasource).delete()
