"""Writes of conversations and messages. Both the customer API and the seller API go through
these functions; the database constraints behind them decide every race."""

import functools
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from constance import config
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.catalog.models import DataSource, OrderItem, Product
from parley.conversations import selectors
from parley.conversations.models import (
    Attachment,
    Conversation,
    ConversationType,
    ItemContent,
    Message,
    ModerationStatus,
    ScanStatus,
    WriterType,
)
from parley.conversations.notifications import message_notify
from parley.conversations.selectors import message_queryset_visible
from parley.core import background
from parley.core.exceptions import ApplicationError, ListedError
from parley.core.files import JPEG, PDF, PNG, WEBP, CheckedFile, FileKind, file_check
from parley.core.virus_scan import VirusScanUnavailable, virus_scan
from parley.moderation import metrics as moderation_metrics
from parley.moderation.services import Screening, Sender, message_screen
from parley.similar import services as similar_services
from parley.webhooks.services import webhook_event_emit

logger = logging.getLogger(__name__)


class ConversationAlreadyExists(ListedError):
    """The user already has a conversation with this seller, of this type, about this item.

    The exception handler answers it with the seed's bare list `["Conversation already
    exists"]` (a ListedError)."""

    def __init__(self) -> None:
        super().__init__("Conversation already exists")


# --- Read marks (API.md §7) -------------------------------------------------------------------
# Each party's mark and unread count, by the party that reads: the customer reads the seller's
# messages and the seller the customer's.
MARK_FIELD = {
    WriterType.USER: "customer_last_read_message_id",
    WriterType.DATASOURCE: "seller_last_read_message_id",
}
COUNT_FIELD = {
    WriterType.USER: "customer_unread_count",
    WriterType.DATASOURCE: "seller_unread_count",
}
OTHER_PARTY = {WriterType.USER: WriterType.DATASOURCE, WriterType.DATASOURCE: WriterType.USER}
OWNER_COLUMN = {WriterType.USER: "user_id", WriterType.DATASOURCE: "datasource_id"}


def unread_count_expression(party: str) -> Coalesce:
    """The party's unread messages of the outer conversation, counted from the messages: the
    oracle of the kept counts, and how a data migration or a repair computes them."""
    counted = (
        Message.objects.filter(
            conversation=OuterRef("pk"),
            content_type=OTHER_PARTY[WriterType(party)],
            is_hidden=False,
            id__gt=Coalesce(OuterRef(MARK_FIELD[WriterType(party)]), Value(0)),
        )
        .order_by()
        .values("conversation")
        .annotate(total=Count("id"))
        .values("total")
    )
    return Coalesce(Subquery(counted), Value(0))


def conversation_unread_recount(*, conversation_ids: list[int] | None = None) -> int:
    """Set both unread counts from the messages and the marks (all conversations, or these);
    the number of conversations updated. The services keep the counts without it."""
    conversations = Conversation.objects.all()
    if conversation_ids is not None:
        conversations = conversations.filter(pk__in=conversation_ids)
    return conversations.update(
        customer_unread_count=unread_count_expression(WriterType.USER),
        seller_unread_count=unread_count_expression(WriterType.DATASOURCE),
    )


@dataclass(frozen=True)
class ReadState:
    """A party's read mark and unread count after a read or an unread."""

    conversation_id: int
    last_read_message_id: int | None
    unread_count: int


def _conversation_lock_for(party: str, owner_id: int, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.select_for_update()
        .filter(pk=conversation_id, **{OWNER_COLUMN[WriterType(party)]: owner_id})
        .first()
    )
    if conversation is None:
        raise Http404("No Conversation matches the given query.")
    return conversation


def _mark_set(conversation: Conversation, party: str, mark: int | None) -> ReadState:
    """Move the party's mark, and count its unread messages again (one query each)."""
    party = WriterType(party)
    mark_field, count_field = MARK_FIELD[party], COUNT_FIELD[party]
    count = Message.objects.filter(
        conversation=conversation,
        content_type=OTHER_PARTY[party],
        is_hidden=False,
        id__gt=mark or 0,
    ).count()
    if getattr(conversation, mark_field) != mark or getattr(conversation, count_field) != count:
        # modified_date stays: a read is not a change the other side's `updated_since` wants.
        Conversation.objects.filter(pk=conversation.pk).update(
            **{mark_field: mark, count_field: count}
        )
        setattr(conversation, mark_field, mark)
        setattr(conversation, count_field, count)
    return ReadState(conversation.pk, mark, count)


@transaction.atomic
def conversation_read(
    *, party: str, owner_id: int, conversation_id: int, last_read_message_id: int | None = None
) -> ReadState:
    """The party has read up to this message (default: the newest visible one). The mark only
    moves forward; a message that is not a visible one of this conversation is refused.
    `owner_id` is the customer's user id or the seller's id: another's conversation is 404."""
    conversation = _conversation_lock_for(party, owner_id, conversation_id)
    visible = Message.objects.filter(conversation=conversation, is_hidden=False)
    if last_read_message_id is None:
        target = visible.order_by("-id").values_list("id", flat=True).first()
    else:
        target = visible.filter(pk=last_read_message_id).values_list("id", flat=True).first()
        if target is None:
            raise ApplicationError(
                _("No message with this id in this conversation."), field="last_read_message_id"
            )
    previous = mark = getattr(conversation, MARK_FIELD[WriterType(party)])
    if target is not None and (mark is None or target > mark):
        mark = target
    state = _mark_set(conversation, party, mark)
    if party == WriterType.USER and mark != previous:
        # The seller's integrations hear that the customer read on (API.md §10).
        webhook_event_emit(
            event_type="conversation.read",
            seller=conversation.datasource_id,
            data={"conversation": conversation.pk, "message": mark},
        )
    return state


@transaction.atomic
def conversation_unread(*, party: str, owner_id: int, conversation_id: int) -> ReadState:
    """Mark the conversation unread for the party: the mark moves back to the visible message
    just before the other party's newest one (NULL when there is none), so that message is
    unread again. A mark already further back stays; no message of the other party, no change.
    """
    conversation = _conversation_lock_for(party, owner_id, conversation_id)
    visible = Message.objects.filter(conversation=conversation, is_hidden=False)
    newest_other = (
        visible.filter(content_type=OTHER_PARTY[WriterType(party)])
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    mark = getattr(conversation, MARK_FIELD[WriterType(party)])
    if newest_other is not None:
        before = (
            visible.filter(id__lt=newest_other).order_by("-id").values_list("id", flat=True).first()
        )
        if mark is None or before is None or before < mark:
            mark = before
    return _mark_set(conversation, party, mark)


def read_receipts_get(*, party: str, owner_id: int, conversation_id: int) -> tuple[int | None, ...]:
    """(the party's mark, the other party's mark); 404 for another's conversation."""
    party = WriterType(party)
    found = (
        Conversation.objects.filter(pk=conversation_id, **{OWNER_COLUMN[party]: owner_id})
        .values_list(MARK_FIELD[party], MARK_FIELD[OTHER_PARTY[party]])
        .first()
    )
    if found is None:
        raise Http404("No Conversation matches the given query.")
    return found


def conversation_waiting_recompute(*, conversation_ids: list[int] | None = None) -> int:
    """Set `waiting_since` from the visible messages (all conversations, or these); the number
    of conversations updated. The services keep it without it; moderation uses it for the one
    conversation whose visible messages changed."""
    conversations = Conversation.objects.all()
    if conversation_ids is not None:
        conversations = conversations.filter(pk__in=conversation_ids)
    answered = conversations.filter(is_answered=True).update(waiting_since=None)
    return answered + conversations.filter(is_answered=False).update(
        waiting_since=selectors.waiting_since_expression()
    )


def _state_after_message(conversation: Conversation, message: Message) -> list[str]:
    """The state that a new newest visible message gives its conversation: answered by a
    seller's message, waiting since the first customer message after the seller's last."""
    conversation.is_answered = message.content_type == WriterType.DATASOURCE
    conversation.last_message_date = message.created_date
    if conversation.is_answered:
        conversation.waiting_since = None
    elif conversation.waiting_since is None:
        conversation.waiting_since = message.created_date
    changed = ["is_answered", "last_message_date", "waiting_since", "modified_date"]
    if conversation.is_answered and conversation.first_response_date is None:
        conversation.first_response_date = message.created_date
        changed.append("first_response_date")
    return changed


@transaction.atomic
def message_append(
    *,
    conversation: Conversation,
    content: str,
    content_type: str,
    content_id: int,
    user_type: str,
    held: bool = False,
    attachments: Sequence[str] = (),
) -> Message:
    """Add a message to a conversation and move the conversation's state with it.

    `is_answered` becomes true for a seller's message and false for a customer's;
    `last_message_date` moves to the message; `modified_date` moves (the seller API's
    `updated_since`). The conversation row is locked while the messages are counted, so
    concurrent appends can never pass PARLEY_CONVERSATION_MAX_MESSAGES together (hidden
    messages count: they are stored). The given instance is updated in place.

    `held` (moderation's `hold`): the message is stored hidden and pending; the
    conversation's state does not move and nobody is notified until staff approve it
    (`message_approve`).

    `attachments` (public ids) are linked to the message in this transaction
    (`_attachments_link`): each must be the writer's own upload, not linked yet.
    """
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    limit = settings.PARLEY_CONVERSATION_MAX_MESSAGES
    if Message.objects.filter(conversation=locked).count() >= limit:
        raise ApplicationError(
            _("This conversation already holds the maximum of %(limit)d messages.")
            % {"limit": limit}
        )
    message = Message.objects.create(
        conversation=locked,
        message_content=content,
        content_type=content_type,
        content_id=content_id,
        user_type=user_type,
        created_date=timezone.now(),
        is_hidden=held,
        moderation_status=ModerationStatus.PENDING if held else ModerationStatus.NONE,
        has_attachments=bool(attachments),
    )
    if attachments:
        _attachments_link(message=message, conversation=locked, public_ids=attachments)
    if held:
        # Staff's integrations hear of it now (API.md §10); the seller's only once staff
        # approve it (`message_approve`).
        webhook_event_emit(
            event_type="message.held",
            seller=locked.datasource_id,
            data={"conversation": locked.pk, "message": message.pk},
        )
        message.conversation = conversation
        return message
    changed = _state_after_message(locked, message)
    # Writing moves the writer's own mark to the message: everything before it has been seen.
    writer = WriterType(content_type)
    reader = OTHER_PARTY[writer]
    setattr(locked, MARK_FIELD[writer], message.pk)
    setattr(locked, COUNT_FIELD[writer], 0)
    setattr(locked, COUNT_FIELD[reader], getattr(locked, COUNT_FIELD[reader]) + 1)
    changed += [MARK_FIELD[writer], COUNT_FIELD[writer], COUNT_FIELD[reader]]
    if writer == WriterType.USER and locked.seller_archived_at is not None:
        locked.seller_archived_at = None  # the customer wrote again: back in the inbox
        changed.append("seller_archived_at")
    locked.save(update_fields=changed)
    # The other side's e-mail, queued in this transaction (parley.conversations.notifications).
    message_notify(message=message)
    question_vector_schedule(locked)  # the first answer makes a public question visible
    # The seller's integrations, told in this transaction too (API.md §10).
    webhook_event_emit(
        event_type="message.created",
        seller=locked.datasource_id,
        data={"conversation": locked.pk, "message": message.pk},
    )
    for field in changed:
        setattr(conversation, field, getattr(locked, field))
    message.conversation = conversation
    return message


def conversation_item_validate(
    *, user: User, datasource: DataSource, item_content: str | None, item_id: int | None
) -> None:
    """The item must exist and be the seller's; an order item must also be the user's own.

    The answer is the same whether the item does not exist or is someone else's, so it
    reveals nothing about other people's orders."""
    if item_content is None and item_id is None:
        return
    if item_content is None:
        raise ApplicationError(_("item_content is required with item_id."), field="item_content")
    if item_id is None:
        raise ApplicationError(_("item_id is required with item_content."), field="item_id")
    if item_content == ItemContent.PRODUCT:
        valid = Product.objects.filter(pk=item_id, datasource=datasource).exists()
        message = _("No product with this id is sold by this seller.")
    elif item_content == ItemContent.ORDERITEM:
        valid = OrderItem.objects.filter(
            pk=item_id, datasource=datasource, order__user=user
        ).exists()
        message = _("No item of your orders with this id is sold by this seller.")
    else:
        raise ApplicationError(_("Not a valid item kind."), field="item_content")
    if not valid:
        raise ApplicationError(message, field="item_id")


@transaction.atomic
def conversation_create(
    *,
    user: User,
    datasource: DataSource,
    conversation_type: str,
    content: str,
    user_type: str,
    subject: str | None = None,
    is_public: bool = False,
    item_content: str | None = None,
    item_id: int | None = None,
    held: bool = False,
    attachments: Sequence[str] = (),
) -> Message:
    """Open a conversation with its first message, written by the user; return that message
    (its `.conversation` is the new conversation).

    One conversation per user, seller, type and item: the unique constraints decide, so two
    identical requests racing leave one conversation and the loser gets
    ConversationAlreadyExists. The insert runs in a savepoint, so the caller's transaction
    stays usable after the IntegrityError."""
    if not datasource.is_active:
        raise ApplicationError(_("This seller is not active."), field="datasource")
    conversation_item_validate(
        user=user, datasource=datasource, item_content=item_content, item_id=item_id
    )
    now = timezone.now()
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                user=user,
                datasource=datasource,
                conversation_type=conversation_type,
                subject=subject,
                is_public=is_public,
                item_content=item_content,
                item_id=item_id,
                created_date=now,
                last_message_date=now,
            )
    except IntegrityError:
        duplicate = Conversation.objects.filter(
            user=user,
            datasource=datasource,
            conversation_type=conversation_type,
            item_content=item_content,
            item_id=item_id,
        ).exists()
        if duplicate:
            raise ConversationAlreadyExists() from None
        raise
    webhook_event_emit(
        event_type="conversation.created",
        seller=datasource,
        data={"conversation": conversation.pk},
    )
    return message_append(
        conversation=conversation,
        content=content,
        content_type=WriterType.USER,
        content_id=user.pk,
        user_type=user_type,
        held=held,
        attachments=attachments,
    )


def customer_message_send(
    *,
    user: User,
    conversation_type: str,
    user_id: int,
    user_type: str,
    content_type: str,
    content_id: int,
    datasource_id: int,
    message_content: str,
    conversation_id: int | None = None,
    subject: str | None = None,
    is_public: bool = False,
    item_content: str | None = None,
    item_id: int | None = None,
    attachments: Sequence[str] = (),
) -> Message:
    """`POST /users/conversations/`: the customer writes, into a conversation of their own
    (`conversation_id`) or into a new one. Every id in the request must be the customer's:
    the request may name the writer, but never anyone else.

    The text is screened first (API.md §9; staff are not checked), outside the transaction
    that stores it, so that a refusal is remembered even though nothing else is stored."""
    screening = (
        Screening(held=False)
        if user.is_staff
        else message_screen(
            text=message_content,
            conversation_type=conversation_type,
            sender=Sender(user_id=user.pk),
        )
    )
    return _customer_message_store(
        user=user,
        conversation_type=conversation_type,
        user_id=user_id,
        user_type=user_type,
        content_type=content_type,
        content_id=content_id,
        datasource_id=datasource_id,
        message_content=message_content,
        conversation_id=conversation_id,
        subject=subject,
        is_public=is_public,
        item_content=item_content,
        item_id=item_id,
        held=screening.held,
        attachments=attachments,
    )


@transaction.atomic
def _customer_message_store(
    *,
    user: User,
    conversation_type: str,
    user_id: int,
    user_type: str,
    content_type: str,
    content_id: int,
    datasource_id: int,
    message_content: str,
    conversation_id: int | None,
    subject: str | None,
    is_public: bool,
    item_content: str | None,
    item_id: int | None,
    held: bool,
    attachments: Sequence[str],
) -> Message:
    if user_id != user.pk:
        raise ApplicationError(_("This must be your own user id."), field="user")
    if content_type != WriterType.USER:
        raise ApplicationError(_('This must be "user" here.'), field="content_type")
    if content_id != user.pk:
        raise ApplicationError(_("This must be your own user id."), field="content_id")
    if user_type != user.user_type:
        raise ApplicationError(_("This does not match your account."), field="user_type")
    datasource = DataSource.objects.filter(pk=datasource_id, is_active=True).first()
    if datasource is None:
        raise ApplicationError(_("No active seller with this id."), field="datasource")

    if conversation_id is None:
        return conversation_create(
            user=user,
            datasource=datasource,
            conversation_type=conversation_type,
            content=message_content,
            user_type=user_type,
            subject=subject,
            is_public=is_public,
            item_content=item_content,
            item_id=item_id,
            held=held,
            attachments=attachments,
        )

    conversation = Conversation.objects.filter(
        pk=conversation_id,
        user=user,
        datasource=datasource,
        conversation_type=conversation_type,
    ).first()
    if conversation is None:
        raise ApplicationError(
            _("No conversation of yours with this id, seller and type."), field="conversation"
        )
    return message_append(
        conversation=conversation,
        content=message_content,
        content_type=WriterType.USER,
        content_id=user.pk,
        user_type=user_type,
        held=held,
        attachments=attachments,
    )


def _conversation_state_recompute(conversation: Conversation) -> None:
    """After moderation: the state follows the newest visible message; with none left,
    `last_message_date` falls back to the opening time (never NULL, see models)."""
    newest = message_queryset_visible().filter(conversation=conversation).last()
    if newest is None:
        conversation.is_answered = False
        conversation.last_message_date = conversation.created_date
        conversation.waiting_since = None
        conversation.save(
            update_fields=["is_answered", "last_message_date", "waiting_since", "modified_date"]
        )
        return
    conversation.save(update_fields=_state_after_message(conversation, newest))
    if conversation.is_answered:
        return
    # Which customer message the wait started with depends on every visible message: counted
    # again (one query; moderation is rare).
    conversation_waiting_recompute(conversation_ids=[conversation.pk])
    conversation.refresh_from_db(fields=["waiting_since"])


def _unread_follow_visibility(conversation: Conversation, message: Message) -> None:
    """A message became hidden or visible again: its reader's count is counted again (one
    query; moderation is rare, and a recount cannot drift)."""
    reader = OTHER_PARTY[WriterType(message.content_type)]
    _mark_set(conversation, reader, getattr(conversation, MARK_FIELD[reader]))


@transaction.atomic
def message_hide(*, message: Message, hidden_by: User | None) -> Message:
    """Moderation: the message disappears from every API answer. `is_answered` and
    `last_message_date` are recomputed from the visible messages; `modified_date` moves;
    the reader's unread count drops if the message was unread."""
    conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
    message.is_hidden = True
    message.hidden_by = hidden_by
    message.hidden_at = timezone.now()
    message.save(update_fields=["is_hidden", "hidden_by", "hidden_at"])
    _unread_follow_visibility(conversation, message)
    _conversation_state_recompute(conversation)
    question_vector_schedule(conversation)  # its text or its visibility may have changed
    webhook_event_emit(
        event_type="message.hidden",
        seller=conversation.datasource_id,
        data={"conversation": conversation.pk, "message": message.pk},
    )
    return message


@transaction.atomic
def message_unhide(*, message: Message) -> Message:
    """Show a hidden message again; a held one is approved (`message_approve`)."""
    if message.moderation_status in (ModerationStatus.PENDING, ModerationStatus.REJECTED):
        return message_approve(message=message)
    conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
    message.is_hidden = False
    message.hidden_by = None
    message.hidden_at = None
    message.save(update_fields=["is_hidden", "hidden_by", "hidden_at"])
    _unread_follow_visibility(conversation, message)
    _conversation_state_recompute(conversation)
    question_vector_schedule(conversation)
    return message


def messages_hide(*, messages: QuerySet[Message], hidden_by: User | None) -> int:
    """Hide each visible one of `messages` (`message_hide`); returns how many."""
    visible = list(messages.filter(is_hidden=False))
    for message in visible:
        message_hide(message=message, hidden_by=hidden_by)
    return len(visible)


def messages_unhide(*, messages: QuerySet[Message]) -> int:
    """Show each hidden one of `messages` again (`message_unhide`); returns how many."""
    hidden = list(messages.filter(is_hidden=True))
    for message in hidden:
        message_unhide(message=message)
    return len(hidden)


def conversation_staff_edit(*, conversation: Conversation) -> Conversation:
    """The admin's change form: staff may edit the subject and withdraw a conversation from
    public view (`is_public`); the rest is the conversation's history and is not written.
    `modified_date` moves, so `updated_since` reports the change."""
    conversation.save(update_fields=["subject", "is_public", "modified_date"])
    question_vector_schedule(conversation)  # public again or withdrawn: the vector follows
    return conversation


@transaction.atomic
def conversations_withdraw_from_public(*, conversations: QuerySet[Conversation]) -> int:
    """Moderation: the public ones among `conversations` leave the product's public questions
    (`is_public` cleared), and their similar-questions vectors go with them in the same
    transaction; `modified_date` moves, so `updated_since` reports it. Returns how many were
    public."""
    ids = list(conversations.values_list("pk", flat=True))
    count = Conversation.objects.filter(pk__in=ids, is_public=True).update(
        is_public=False, modified_date=timezone.now()
    )
    similar_services.question_vectors_delete(conversation_ids=ids)
    return count


# --- Similar questions' vectors (docs/SIMILAR.md) -------------------------------------------


def question_vector_refresh(*, conversation_id: int) -> bool:
    """The worker's job: bring a question's vector in line with what the public questions
    endpoint shows. A visible public product question gets its vector (computed only when
    its text or the model changed); anything else loses its vector. Idempotent; returns
    whether a vector was computed."""
    source = selectors.public_question_text_get(conversation_id)
    if source is None:
        similar_services.question_vectors_delete(conversation_ids=[conversation_id])
        return False
    return similar_services.question_vector_store(
        conversation_id=conversation_id, product_id=source.product_id, text=source.text
    )


def question_vectors_rebuild() -> int:
    """(Re)compute the vector of every public question and drop every other vector, inline:
    for existing data, a model change, or jobs lost with a process (`manage.py
    question_vectors_rebuild`, and `seed_demo`). Returns how many were computed."""
    computed = 0
    ids = set(selectors.public_question_ids()) | set(similar_services.question_vector_ids())
    for conversation_id in sorted(ids):
        computed += question_vector_refresh(conversation_id=conversation_id)
    return computed


def question_vector_schedule(conversation: Conversation) -> None:
    """After the commit, have the worker refresh this product question's vector (a Celery
    task in production, the background thread in the embedded default); never at search
    time. Other conversations have none, and nothing is scheduled for them."""
    if (
        conversation.conversation_type != ConversationType.QUESTION
        or conversation.item_content != ItemContent.PRODUCT
    ):
        return
    from parley.conversations import tasks

    transaction.on_commit(
        functools.partial(
            background.task_dispatch,
            tasks.question_vector_refresh,
            question_vector_refresh,
            conversation_id=conversation.pk,
        ),
        robust=True,
    )


# --- The moderation queue (API.md §9 `hold`) -------------------------------------------------


@transaction.atomic
def message_approve(*, message: Message) -> Message:
    """A held message becomes visible: the conversation's state follows it, and the other
    party is notified now (not when it was written)."""
    conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.moderation_status == ModerationStatus.APPROVED:
        return message
    message.is_hidden = False
    message.hidden_by = None
    message.hidden_at = None
    message.moderation_status = ModerationStatus.APPROVED
    message.save(update_fields=["is_hidden", "hidden_by", "hidden_at", "moderation_status"])
    _conversation_state_recompute(conversation)
    _unread_follow_visibility(conversation, message)  # now visible: unread for its reader
    message.conversation = conversation
    message_notify(message=message)
    question_vector_schedule(conversation)  # an approved answer may make a question visible
    webhook_event_emit(  # the seller's integrations learn of it now, as of any new message
        event_type="message.created",
        seller=conversation.datasource_id,
        data={"conversation": conversation.pk, "message": message.pk},
    )
    transaction.on_commit(lambda: moderation_metrics.reviews.labels(decision="approved").inc())
    return message


@transaction.atomic
def message_reject(*, message: Message, rejected_by: User | None) -> Message:
    """A held message stays hidden for good; nobody is notified."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.moderation_status != ModerationStatus.PENDING:
        raise ApplicationError(_("Only a pending message can be rejected."))
    message.moderation_status = ModerationStatus.REJECTED
    message.hidden_by = rejected_by
    message.hidden_at = timezone.now()
    message.save(update_fields=["moderation_status", "hidden_by", "hidden_at"])
    # Rejected for good: its files go (hiding keeps them, for an unhide; they answer 404).
    attachments_delete(attachments=Attachment.objects.filter(message=message))
    Conversation.objects.filter(pk=message.conversation_id).update(modified_date=timezone.now())
    transaction.on_commit(lambda: moderation_metrics.reviews.labels(decision="rejected").inc())
    return message


@transaction.atomic
def conversation_archive(*, datasource_id: int, conversation_id: int, archived: bool) -> None:
    """The seller puts the conversation away in its inbox, or brings it back (404 for
    another seller's). A new customer message brings it back by itself (`message_append`)."""
    conversation = _conversation_lock_for(WriterType.DATASOURCE, datasource_id, conversation_id)
    conversation.seller_archived_at = timezone.now() if archived else None
    conversation.save(update_fields=["seller_archived_at"])


# --- Attachments (API.md §8) -----------------------------------------------------------------

ATTACHMENT_KINDS = (
    FileKind(JPEG, (".jpg", ".jpeg"), cleaned=True),
    FileKind(PNG, (".png",), cleaned=True),
    FileKind(WEBP, (".webp",), cleaned=True),
    FileKind(PDF, (".pdf",), cleaned=True),
)
# A pending scan older than this was lost with its task: the sweep hands it on again.
SCAN_LOST_AFTER = timedelta(minutes=10)


class AttachmentScanUnavailable(Exception):
    """clamd could not be reached: the scan is tried again later (the task retries, and the
    sweep hands lost scans on)."""


def attachment_check(upload: UploadedFile) -> CheckedFile:
    """The shared file checker with the message kinds: JPEG, PNG, WebP (re-encoded) and PDF
    (inspected), at most ATTACHMENT_MAX_BYTES (a runtime setting)."""
    limit = min(int(config.ATTACHMENT_MAX_BYTES), settings.PARLEY_MAX_UPLOAD_BYTES)
    return file_check(upload, kinds=ATTACHMENT_KINDS, max_bytes=limit)


def attachment_upload(
    *, upload: UploadedFile, user_id: int | None = None, datasource_id: int | None = None
) -> Attachment:
    """Check the upload and store it under a random name in private storage, as an upload
    of the customer (`user_id`) or the seller (`datasource_id`), unlinked. With
    PARLEY_CLAMD_URL set it is `pending` and the worker scans it after the commit."""
    if (user_id is None) == (datasource_id is None):
        raise TypeError("an upload has one uploader: a user or a seller")
    checked = attachment_check(upload)
    name = f"attachments/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{checked.extension}"
    stored = default_storage.save(name, checked.stored_file())
    scanning = bool(settings.PARLEY_CLAMD_URL)
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                file=stored,
                name=checked.filename,
                size=checked.size,
                content_type=checked.mimetype,
                uploader_user_id=user_id,
                uploader_datasource_id=datasource_id,
                scan_status=ScanStatus.PENDING if scanning else ScanStatus.NOT_SCANNED,
            )
            if scanning:
                attachment_scan_schedule(attachment.pk)
    except BaseException:
        default_storage.delete(stored)  # nothing half-saved
        raise
    return attachment


def _attachments_link(
    *, message: Message, conversation: Conversation, public_ids: Sequence[str]
) -> None:
    """Link the writer's own unlinked uploads to the new message, in its transaction (the
    conversation row is locked by the caller, so the per-conversation limit holds under
    concurrency). The conditional UPDATE decides a race: of two messages naming the same
    upload, the second finds it linked, and its whole transaction rolls back."""
    ids = list(public_ids)
    if len(set(ids)) != len(ids):
        raise ApplicationError(_("An attachment may be named only once."), field="attachments")
    per_message = int(config.ATTACHMENTS_PER_MESSAGE)
    if len(ids) > per_message:
        raise ApplicationError(
            _("A message may carry at most %(limit)d attachments.") % {"limit": per_message},
            field="attachments",
        )
    per_conversation = int(config.ATTACHMENTS_PER_CONVERSATION)
    already = Attachment.objects.filter(message__conversation=conversation).count()
    if already + len(ids) > per_conversation:
        raise ApplicationError(
            _("A conversation may hold at most %(limit)d attachments.")
            % {"limit": per_conversation},
            field="attachments",
        )
    writer = WriterType(message.content_type)
    uploader = (
        {"uploader_user_id": message.content_id}
        if writer == WriterType.USER
        else {"uploader_datasource_id": message.content_id}
    )
    linked = (
        Attachment.objects.filter(public_id__in=ids, message__isnull=True, **uploader)
        .exclude(file="")
        .update(message=message)
    )
    if linked != len(ids):
        raise ApplicationError(
            _("Each attachment must be an upload of yours that is not linked to a message yet."),
            field="attachments",
        )


def attachment_files_delete(names: Iterable[str]) -> None:
    """The one place that deletes attachment files: after the commit (outside a
    transaction, at once), so a rollback never leaves a row without its file."""
    doomed = [name for name in names if name]
    if doomed:

        def attachment_files_delete_now() -> None:
            _storage_delete(doomed)

        transaction.on_commit(attachment_files_delete_now, robust=True)


def _storage_delete(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # a storage outage: the file is orphaned, the row is gone
            logger.exception("attachment file %s could not be deleted", name)


def attachments_delete(*, attachments: QuerySet[Attachment]) -> int:
    """Delete these attachments, rows now and files after the commit; how many."""
    rows = list(attachments.values_list("pk", "file"))
    if not rows:
        return 0
    Attachment.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    attachment_files_delete(name for _, name in rows)
    return len(rows)


def attachment_sweep(*, now: datetime | None = None) -> int:
    """The periodic job (Celery beat, or the embedded sweeper of `make run`): uploads never
    linked within PARLEY_ATTACHMENT_UNLINKED_HOURS are deleted, and scans a lost task left
    pending are handed on again. Returns how many uploads were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.PARLEY_ATTACHMENT_UNLINKED_HOURS)
    with transaction.atomic():
        # Locked, so an upload being linked right now either links first (and is no longer
        # unlinked here) or finds itself deleted (and its message is refused).
        stale = list(
            Attachment.objects.select_for_update()
            .filter(message__isnull=True, created_at__lt=cutoff)
            .values_list("pk", flat=True)[:1000]
        )
        deleted = attachments_delete(attachments=Attachment.objects.filter(pk__in=stale))
    if settings.PARLEY_CLAMD_URL:
        lost = Attachment.objects.filter(
            scan_status=ScanStatus.PENDING, created_at__lt=now - SCAN_LOST_AFTER
        ).values_list("pk", flat=True)[:1000]
        for attachment_id in lost:
            attachment_scan_schedule(attachment_id)
    return deleted


def attachment_scan_schedule(attachment_id: int) -> None:
    """After the commit, have the worker scan the file (a Celery task in production, the
    background thread in the embedded default)."""
    from parley.conversations import tasks

    def attachment_scan_dispatch() -> None:
        background.task_dispatch(
            tasks.attachment_scan, attachment_scan, attachment_id=attachment_id
        )

    transaction.on_commit(attachment_scan_dispatch, robust=True)


def attachment_scan(*, attachment_id: int) -> str:
    """The worker's job: scan a pending file with ClamAV (`parley.core.virus_scan`). Clean:
    the other party may download it. Infected: the file is deleted (`attachment_files_delete`),
    the row keeps the status and the signature for staff. Idempotent: a file no longer
    pending is left alone. Returns the status it leaves."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        return "gone"
    if attachment.scan_status != ScanStatus.PENDING or not attachment.file:
        return str(attachment.scan_status)
    try:
        with default_storage.open(str(attachment.file.name), "rb") as handle:
            signature = virus_scan(handle)
    except VirusScanUnavailable as error:
        raise AttachmentScanUnavailable(str(error)) from error
    with transaction.atomic():
        locked = (
            Attachment.objects.select_for_update()
            .filter(pk=attachment_id, scan_status=ScanStatus.PENDING)
            .first()
        )
        if locked is None:
            return "done elsewhere"
        locked.scanned_at = timezone.now()
        if signature:
            logger.warning("attachment %s infected: %s", locked.public_id, signature)
            attachment_files_delete([str(locked.file.name)])
            locked.file = ""
            locked.scan_status = ScanStatus.INFECTED
            locked.scan_signature = str(signature)[:255]
        else:
            locked.scan_status = ScanStatus.CLEAN
        locked.save(update_fields=["file", "scan_status", "scan_signature", "scanned_at"])
        return str(locked.scan_status)
