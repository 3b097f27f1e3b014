"""Erasure and retention (API.md §11): one service each, over the registry that the apps fill
(parley/core/privacy.py). The command line, the admin and the daily job call these."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from constance import config
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from parley.accounts.models import User
from parley.core.privacy import HOLDERS, RETENTION_RULES, ErasureContext, Guest
from parley.privacy.models import RECORD_KEPT_FOR, PrivacyOperation, PrivacyRecord
from parley.privacy.selectors import customer_erasable_check, customer_erasure_preview

logger = logging.getLogger(__name__)

# The daily job, in the embedded default, runs when the last run is at least this old: less
# than a day, so that a run a little early (a restart, the sweeper's clock) still counts.
RETENTION_DUE_AFTER = timedelta(hours=20)


class Channel:
    ADMIN = "admin"
    COMMAND = "command line"
    DAILY_JOB = "daily job"


@dataclass(frozen=True)
class ErasureResult:
    customer_id: int | None  # None: a guest
    counts: dict[str, int]  # rows per section, and "files"
    record: PrivacyRecord | None  # None for a dry run


def customer_erase(
    *,
    user: User | Guest,
    performed_by: User | None = None,
    channel: str,
    dry_run: bool = False,
) -> ErasureResult:
    """Erase what Parley holds about the customer (an account, or a guest known by their
    address), all of it in one transaction, and keep a record that holds no personal data.
    The files it frees are deleted after the commit. `dry_run`: only count (the preview),
    change nothing, record nothing."""
    if dry_run:
        return ErasureResult(
            customer_id=user.pk, counts=customer_erasure_preview(user=user), record=None
        )
    customer_erasable_check(user)
    with transaction.atomic():
        if isinstance(user, User):
            user = User.objects.select_for_update().get(pk=user.pk)
        ctx = ErasureContext(user=user, email=user.email)
        counts = {section: holder.erase(ctx) for section, holder in HOLDERS.items()}
        counts["files"] = len(ctx.files)
        record = PrivacyRecord.objects.create(
            operation=PrivacyOperation.ERASURE,
            performed_by=performed_by,
            channel=channel,
            customer_id=user.pk,
            counts=counts,
        )
        files = list(ctx.files)
        transaction.on_commit(lambda: files_delete(files))
    who = f"account {user.pk}" if user.pk else "a guest"
    logger.info("privacy: %s erased (%s), record %s", who, channel, record.pk)
    return ErasureResult(customer_id=user.pk, counts=counts, record=record)


def files_delete(names: list[str]) -> int:
    """Delete stored files; one that will not go is logged and the rest still go. Returns how
    many went. Called after the commit, so a rolled-back erasure deletes nothing."""
    deleted = 0
    for name in names:
        try:
            default_storage.delete(name)
            deleted += 1
        except Exception:
            logger.exception("privacy: the stored file %s could not be deleted", name)
    return deleted


def retention_apply(
    *, now: datetime | None = None, channel: str = Channel.DAILY_JOB
) -> PrivacyRecord:
    """The daily job: every registered retention rule with its current setting (0 days: off),
    and the privacy records past three years deleted; in one transaction, recorded. Files go
    after the commit."""
    now = now or timezone.now()
    files: list[str] = []
    counts: dict[str, int] = {}
    with transaction.atomic():
        for rule in RETENTION_RULES.values():
            days = int(getattr(config, rule.setting))
            counts[rule.name] = rule.apply(now - timedelta(days=days), files) if days > 0 else 0
        counts["files"] = len(files)
        counts["privacy_records"] = PrivacyRecord.objects.filter(
            performed_at__lt=now - RECORD_KEPT_FOR
        ).delete()[0]
        record = PrivacyRecord.objects.create(
            operation=PrivacyOperation.RETENTION, channel=channel, counts=counts
        )
        transaction.on_commit(lambda: files_delete(files))
    logger.info("privacy: retention run %s: %s", record.pk, counts)
    return record


def retention_apply_if_due() -> PrivacyRecord | None:
    """The embedded default's sweeper calls this often; it runs the daily job once a day."""
    last = PrivacyRecord.objects.filter(operation=PrivacyOperation.RETENTION).first()
    if last is not None and timezone.now() - last.performed_at < RETENTION_DUE_AFTER:
        return None
    return retention_apply()
