"""Read marks and the kept unread counts (API.md §7): after any interleaving of messages from
both sides, hides, unhides, reads and unreads, each kept count equals a recount from the
messages and the marks, and the kept `waiting_since` equals its definition."""

from typing import Any

import pytest
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory
from parley.conversations import services
from parley.conversations.models import Conversation, Message, WriterType
from parley.core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db(transaction=False)

CUSTOMER, SELLER = WriterType.USER.value, WriterType.DATASOURCE.value


def _open() -> Conversation:
    user, seller = UserFactory.create(), DataSourceFactory.create()
    return services.conversation_create(
        user=user,
        datasource=seller,
        conversation_type="message",
        content="hello",
        user_type="registered",
    ).conversation


def _owner(conversation: Conversation, party: str) -> int:
    return conversation.user_id if party == CUSTOMER else conversation.datasource_id


def _write(conversation: Conversation, party: str) -> Message:
    return services.message_append(
        conversation=conversation,
        content=f"by {party}",
        content_type=party,
        content_id=_owner(conversation, party),
        user_type="registered",
    )


def _recount(conversation: Conversation) -> tuple[int, int]:
    """The unread messages of each party counted from the messages, by the rule itself."""
    conversation.refresh_from_db()
    messages = list(Message.objects.filter(conversation=conversation, is_hidden=False))
    customer_mark = conversation.customer_last_read_message_id or 0
    seller_mark = conversation.seller_last_read_message_id or 0
    return (
        sum(1 for m in messages if m.content_type == SELLER and m.pk > customer_mark),
        sum(1 for m in messages if m.content_type == CUSTOMER and m.pk > seller_mark),
    )


def _waiting_since(conversation: Conversation) -> Any:
    """Since when the customer waits, by the definition (docs/sellers.md, "Stats"): the first
    visible customer message after the seller's last visible one; None when the newest
    visible message is the seller's or no visible customer message is left."""
    visible = list(
        Message.objects.filter(conversation=conversation, is_hidden=False).order_by(
            "created_date", "id"
        )
    )
    if not visible or visible[-1].content_type == SELLER:
        return None
    seller_times = [m.created_date for m in visible if m.content_type == SELLER]
    after = max(seller_times) if seller_times else None
    return min(
        m.created_date
        for m in visible
        if m.content_type == CUSTOMER and (after is None or m.created_date > after)
    )


def _kept(conversation: Conversation) -> tuple[int, int]:
    conversation.refresh_from_db()
    return conversation.customer_unread_count, conversation.seller_unread_count


PARTIES = st.sampled_from([CUSTOMER, SELLER])
OPERATIONS = st.one_of(
    st.tuples(st.just("write"), PARTIES),
    st.tuples(st.just("hide"), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("unhide"), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("read"), PARTIES, st.none() | st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("unread"), PARTIES),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=25))
def test_kept_counts_equal_a_recount_after_any_interleaving(operations: list[Any]) -> None:
    conversation = _open()
    for operation in operations:
        kind = operation[0]
        messages = list(Message.objects.filter(conversation=conversation).order_by("id"))
        if kind == "write":
            _write(conversation, operation[1])
        elif kind in ("hide", "unhide"):
            message = messages[operation[1] % len(messages)]
            if kind == "hide":
                services.message_hide(message=message, hidden_by=None)
            else:
                services.message_unhide(message=message)
        elif kind == "read":
            party, index = operation[1], operation[2]
            wanted = None if index is None else messages[index % len(messages)]
            try:
                services.conversation_read(
                    party=party,
                    owner_id=_owner(conversation, party),
                    conversation_id=conversation.pk,
                    last_read_message_id=None if wanted is None else wanted.pk,
                )
            except ApplicationError:
                assert wanted is not None and wanted.is_hidden  # only hidden ones are refused
        else:
            services.conversation_unread(
                party=operation[1],
                owner_id=_owner(conversation, operation[1]),
                conversation_id=conversation.pk,
            )
        assert _kept(conversation) == _recount(conversation), operation
        assert conversation.waiting_since == _waiting_since(conversation), operation


def test_writing_moves_the_writers_mark_and_counts_for_the_reader() -> None:
    conversation = _open()
    conversation.refresh_from_db()
    opening = Message.objects.get(conversation=conversation)
    assert conversation.customer_last_read_message_id == opening.pk
    assert conversation.seller_last_read_message_id is None
    assert _kept(conversation) == (0, 1)
    answer = _write(conversation, SELLER)
    conversation.refresh_from_db()
    assert conversation.seller_last_read_message_id == answer.pk
    assert conversation.customer_last_read_message_id == opening.pk
    assert _kept(conversation) == (1, 0)
    _write(conversation, SELLER)
    assert _kept(conversation) == (2, 0)


def test_read_moves_forward_only_and_unread_back_to_before_the_newest_other_message() -> None:
    conversation = _open()
    first = Message.objects.get(conversation=conversation)
    second = _write(conversation, CUSTOMER)
    seller = conversation.datasource_id
    state = services.conversation_read(
        party=SELLER, owner_id=seller, conversation_id=conversation.pk
    )
    assert (state.last_read_message_id, state.unread_count) == (second.pk, 0)
    # An older message does not move the mark back.
    state = services.conversation_read(
        party=SELLER,
        owner_id=seller,
        conversation_id=conversation.pk,
        last_read_message_id=first.pk,
    )
    assert (state.last_read_message_id, state.unread_count) == (second.pk, 0)
    state = services.conversation_unread(
        party=SELLER, owner_id=seller, conversation_id=conversation.pk
    )
    assert (state.last_read_message_id, state.unread_count) == (first.pk, 1)
    assert _kept(conversation) == (0, 1)


def test_another_partys_conversation_is_not_found_and_nothing_moves() -> None:
    from django.http import Http404

    conversation = _open()
    other = DataSourceFactory.create()
    before = Conversation.objects.filter(pk=conversation.pk).values().get()
    with pytest.raises(Http404):
        services.conversation_read(party=SELLER, owner_id=other.pk, conversation_id=conversation.pk)
    with pytest.raises(Http404):
        services.conversation_unread(
            party=CUSTOMER, owner_id=conversation.user_id + 1000, conversation_id=conversation.pk
        )
    assert Conversation.objects.filter(pk=conversation.pk).values().get() == before


def test_recount_repairs_counts() -> None:
    conversation = _open()
    _write(conversation, CUSTOMER)
    Conversation.objects.filter(pk=conversation.pk).update(
        seller_unread_count=F("seller_unread_count") + 40, customer_unread_count=7
    )
    assert services.conversation_unread_recount(conversation_ids=[conversation.pk]) == 1
    assert _kept(conversation) == (0, 2)


def test_the_data_migration_marks_each_side_read_up_to_its_own_newest_message() -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("parley.conversations.migrations.0004_read_marks")
    conversation = _open()
    _write(conversation, SELLER)
    _write(conversation, CUSTOMER)
    _write(conversation, CUSTOMER)
    hidden = _write(conversation, CUSTOMER)
    services.message_hide(message=hidden, hidden_by=None)
    untouched = _open()
    ids = list(Message.objects.filter(conversation=conversation).order_by("id"))
    # As a conversation stored before the marks existed.
    Conversation.objects.update(
        customer_last_read_message_id=None,
        seller_last_read_message_id=None,
        customer_unread_count=0,
        seller_unread_count=0,
    )
    migration.read_marks_compute(apps, None)
    conversation.refresh_from_db()
    assert conversation.customer_last_read_message_id == hidden.pk
    assert conversation.seller_last_read_message_id == ids[1].pk
    assert _kept(conversation) == (0, 2)  # the two visible customer messages after the answer
    assert _kept(untouched) == (0, 1)


def test_a_held_message_counts_as_unread_only_once_approved() -> None:
    # Moderation's `hold` (API.md §9): stored hidden and pending, nobody's to read yet.
    conversation = _open()
    assert _kept(conversation) == (0, 1)
    held = services.message_append(
        conversation=conversation,
        content="call me on 0555 555 55 55",
        content_type=CUSTOMER,
        content_id=conversation.user_id,
        user_type="registered",
        held=True,
    )
    assert _kept(conversation) == (0, 1)
    services.message_approve(message=held)
    assert _kept(conversation) == (0, 2)
    assert services.conversation_unread_recount(conversation_ids=[conversation.pk]) == 1
    assert _kept(conversation) == (0, 2)


def test_waiting_since_follows_answers_follow_ups_and_moderation() -> None:
    conversation = _open()
    conversation.refresh_from_db()
    opened = conversation.waiting_since
    assert opened == Message.objects.get(conversation=conversation).created_date
    _write(conversation, CUSTOMER)  # "hello?" does not reset the clock
    conversation.refresh_from_db()
    assert conversation.waiting_since == opened
    answer = _write(conversation, SELLER)
    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    follow_up = _write(conversation, CUSTOMER)
    conversation.refresh_from_db()
    assert conversation.waiting_since == follow_up.created_date
    # Hiding the answer: waiting again since the first message, as if it was never answered.
    services.message_hide(message=answer, hidden_by=None)
    conversation.refresh_from_db()
    assert conversation.waiting_since == opened
    services.message_unhide(message=answer)
    conversation.refresh_from_db()
    assert conversation.waiting_since == follow_up.created_date
    # A held customer message waits for nobody until staff approve it.
    _write(conversation, SELLER)
    held = services.message_append(
        conversation=conversation,
        content="call me",
        content_type=CUSTOMER,
        content_id=conversation.user_id,
        user_type="registered",
        held=True,
    )
    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    services.message_approve(message=held)
    conversation.refresh_from_db()
    assert conversation.waiting_since == held.created_date


def test_the_data_migration_fills_waiting_since_from_the_visible_messages() -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("parley.conversations.migrations.0005_waiting_since")
    waiting = _open()
    first = Message.objects.get(conversation=waiting)
    _write(waiting, CUSTOMER)
    answered = _open()
    _write(answered, SELLER)
    again = _open()
    _write(again, SELLER)
    follow_up = _write(again, CUSTOMER)
    _write(again, CUSTOMER)
    hidden_only = _open()
    services.message_hide(message=Message.objects.get(conversation=hidden_only), hidden_by=None)
    Conversation.objects.update(waiting_since=None)  # as stored before the column existed
    migration.waiting_since_compute(apps, None)
    kept = dict(Conversation.objects.values_list("pk", "waiting_since"))
    assert kept == {
        waiting.pk: first.created_date,
        answered.pk: None,
        again.pk: follow_up.created_date,
        hidden_only.pk: None,
    }
    assert services.conversation_waiting_recompute() == 4
    assert dict(Conversation.objects.values_list("pk", "waiting_since")) == kept
