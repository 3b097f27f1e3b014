"""What moderation holds about a customer (API.md §9, §11): the record of their refused
messages (the kinds of detail found and when, never the text) and the flags that throttled
them. See parley/core/privacy.py."""

from typing import Any

from django.db.models import QuerySet

from parley.core.privacy import ErasureContext, Holder, holder_register, no_personal_data
from parley.moderation.models import BlockedMessage, ForbiddenWord, SenderFlag


def _blocked(user_id: int | None) -> QuerySet[BlockedMessage]:
    # A guest (no account) sends no conversation messages: nothing is recorded about one.
    return (
        BlockedMessage.objects.filter(user_id=user_id) if user_id else BlockedMessage.objects.none()
    )


def _flags(user_id: int | None) -> QuerySet[SenderFlag]:
    return SenderFlag.objects.filter(user_id=user_id) if user_id else SenderFlag.objects.none()


def _export(user: Any) -> dict[str, list[Any]]:
    """Two queries: the refused messages and the flags."""
    return {
        "refused_messages": list(
            _blocked(user.pk).values("conversation_type", "kinds", "created_at")
        ),
        "sender_flags": list(
            _flags(user.pk).values("blocks", "created_at", "throttled_until", "is_reviewed")
        ),
    }


def _count(ctx: ErasureContext) -> int:
    return _blocked(ctx.user.pk).count() + _flags(ctx.user.pk).count()


def _erase(ctx: ErasureContext) -> int:
    """The records go: they say what the customer wrote, if not in words."""
    blocked, _ = _blocked(ctx.user.pk).delete()
    flags, _ = _flags(ctx.user.pk).delete()
    return blocked + flags


holder_register(
    Holder(
        section="moderation",
        fields={BlockedMessage: ("user", "kinds"), SenderFlag: ("user",)},
        count=_count,
        erase=_erase,
        export=_export,
    )
)
no_personal_data(ForbiddenWord, "staff's list of forbidden words")
