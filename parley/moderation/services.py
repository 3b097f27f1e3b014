"""Moderation's decisions about a message about to be stored: check it, apply the policy of
its conversation kind, keep count of the senders it refuses.

The conversations services call `message_screen` before they store a customer's or a
seller's message (the customer API, the seller API and the seller inbox all go through them);
staff messages and the Contact Us form never come here.
"""

import logging
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from constance import config
from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parley.core.exceptions import ApplicationError, RateLimited
from parley.moderation import metrics
from parley.moderation.checks import Rules, finding_kinds, forbidden_words_compile, text_check
from parley.moderation.detectors import FindingKind
from parley.moderation.models import BlockedMessage, ForbiddenWord, SenderFlag

logger = logging.getLogger(__name__)


class Policy(models.TextChoices):
    BLOCK = "block", "block: refuse the message (400)"
    HOLD = "hold", "hold: store it hidden until staff approve it"
    OFF = "off", "off: do not check"


# What each kind of detail is called in a refusal (API.md §9: the kind, never the text).
DETAIL_NAMES = {
    FindingKind.PHONE: gettext_lazy("phone numbers"),
    FindingKind.EMAIL: gettext_lazy("e-mail addresses"),
    FindingKind.LINK: gettext_lazy("links to other websites"),
    FindingKind.IBAN: gettext_lazy("bank account numbers (IBAN)"),
    FindingKind.MESSAGING: gettext_lazy("messaging app or social media accounts"),
    FindingKind.FORBIDDEN_WORD: gettext_lazy("words that are not allowed"),
}


@dataclass(frozen=True)
class Sender:
    """Who wrote a message: a customer account, or a seller (for all its people)."""

    user_id: int | None = None
    datasource_id: int | None = None

    def __str__(self) -> str:
        return f"seller {self.datasource_id}" if self.datasource_id else f"user {self.user_id}"


class MessageRefused(ApplicationError):
    """Policy `block`: `400 {"message_content": ["<what kind of detail is not allowed>"]}`."""

    def __init__(self, kinds: list[str]) -> None:
        names = [str(DETAIL_NAMES[kind]) for kind in kinds]
        details = names[0] if len(names) == 1 else ", ".join(names[:-1]) + _(" and ") + names[-1]
        super().__init__(
            _("Messages may not contain %(details)s.") % {"details": details},
            field="message_content",
        )
        self.kinds = kinds


class SenderThrottled(RateLimited):
    """A repeat offender: `429` on message posts until the flag's hour is over."""


@dataclass(frozen=True)
class Screening:
    """The outcome for a message allowed to be stored: `held` means stored hidden, pending."""

    held: bool
    kinds: tuple[str, ...] = ()


ALLOWED = Screening(held=False)


def policy_get(conversation_type: str) -> str:
    """The runtime policy (constance) for a kind of conversation; `block` if unreadable."""
    value = getattr(config, f"MODERATION_POLICY_{conversation_type.upper()}", Policy.BLOCK)
    return value if value in Policy.values else Policy.BLOCK


# --- forbidden words: one compiled pattern per process, rebuilt when the list changes --------

_WORDS_VERSION_KEY = "parley:moderation:forbidden-words-version"
_words_lock = threading.Lock()
_words_compiled: tuple[str, re.Pattern[str] | None] | None = None


def forbidden_words_changed() -> None:
    """Call after any change to the list: every process rebuilds its pattern on its next check
    (the version lives in the shared cache)."""
    cache.set(_WORDS_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def forbidden_words_pattern() -> re.Pattern[str] | None:
    global _words_compiled
    version = cache.get(_WORDS_VERSION_KEY)
    if version is None:
        cache.add(_WORDS_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(_WORDS_VERSION_KEY)
    compiled = _words_compiled
    if compiled is not None and compiled[0] == version:
        return compiled[1]
    with _words_lock:
        words = ForbiddenWord.objects.filter(is_active=True).values_list("word", flat=True)
        pattern = forbidden_words_compile(list(words))
        _words_compiled = (version, pattern)
    return pattern


def rules_current() -> Rules:
    return Rules(
        phone_region=settings.PARLEY_MODERATION_PHONE_REGION,
        allowed_domains=tuple(settings.PARLEY_MODERATION_ALLOWED_DOMAINS),
        forbidden_words=forbidden_words_pattern(),
    )


# --- repeat offenders ------------------------------------------------------------------------


def sender_throttled_until(sender: Sender) -> datetime | None:
    now = timezone.now()
    return (
        SenderFlag.objects.of_sender(user_id=sender.user_id, datasource_id=sender.datasource_id)
        .filter(throttled_until__gt=now)
        .aggregate(until=Max("throttled_until"))["until"]
    )


@transaction.atomic
def _block_record(*, sender: Sender, conversation_type: str, kinds: list[str]) -> None:
    """Remember the refusal (its kinds, not its text); the one that makes
    PARLEY_MODERATION_BLOCKS_BEFORE_THROTTLE within a day flags the sender and throttles its
    message posts for PARLEY_MODERATION_THROTTLE_SECONDS."""
    now = timezone.now()
    BlockedMessage.objects.create(
        user_id=None if sender.datasource_id else sender.user_id,
        datasource_id=sender.datasource_id,
        conversation_type=conversation_type,
        kinds=",".join(kinds),
        created_at=now,
    )
    blocks = (
        BlockedMessage.objects.of_sender(user_id=sender.user_id, datasource_id=sender.datasource_id)
        .filter(created_at__gt=now - timedelta(hours=24))
        .count()
    )
    if blocks >= settings.PARLEY_MODERATION_BLOCKS_BEFORE_THROTTLE:
        SenderFlag.objects.create(
            user_id=None if sender.datasource_id else sender.user_id,
            datasource_id=sender.datasource_id,
            blocks=blocks,
            created_at=now,
            throttled_until=now + timedelta(seconds=settings.PARLEY_MODERATION_THROTTLE_SECONDS),
        )
        metrics.senders_flagged.inc()
        logger.warning("moderation: %s flagged after %d blocked messages in 24 h", sender, blocks)


def message_screen(*, text: str, conversation_type: str, sender: Sender) -> Screening:
    """Check a message before it is stored.

    Raises SenderThrottled (429) for a flagged sender, whatever the message; MessageRefused
    (400) when the policy is `block` and the text carries a contact detail or forbidden word
    (and records the refusal, in a transaction of its own so that it outlives the request's
    rollback); returns `Screening(held=True)` under `hold`, ALLOWED otherwise."""
    until = sender_throttled_until(sender)
    if until is not None:
        metrics.throttled_posts.inc()
        raise SenderThrottled(
            _("Too many messages were refused; you can write again later."),
            wait=(until - timezone.now()).total_seconds(),
        )
    policy = policy_get(conversation_type)
    if policy == Policy.OFF:
        return ALLOWED
    findings = text_check(text, rules=rules_current())
    if not findings:
        return ALLOWED
    kinds = finding_kinds(findings)
    for kind in kinds:
        metrics.findings.labels(kind=kind, decision=policy).inc()
    # The spans say where, for whoever reads the log; the text itself is never logged.
    logger.info(
        "moderation: %s message of %s %s (%s)",
        conversation_type,
        sender,
        policy,
        ", ".join(f"{f.kind} {f.start}-{f.end}" for f in findings),
    )
    if policy == Policy.HOLD:
        return Screening(held=True, kinds=tuple(kinds))
    _block_record(sender=sender, conversation_type=conversation_type, kinds=kinds)
    raise MessageRefused(kinds)
