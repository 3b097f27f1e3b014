"""Compiled queries answer exactly what their querysets answer, for any values, and compile
once per shape."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Subquery
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parley.catalog.models import ProductImage
from parley.conversations.models import Conversation, Message
from parley.conversations.tests.factories import ConversationFactory, MessageFactory
from parley.core.compiled import CompiledQuery, compiled_query, padded

pytestmark = pytest.mark.django_db


class Counting:
    """The builder, counting its calls in `.calls`."""

    def __init__(self, build):
        self.build = build
        self.calls = 0
        self.__name__ = build.__name__

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.build(*args, **kwargs)


def messages_of(conversation_ids, *, newest_first=False):
    order = ("-created_date", "-id") if newest_first else ("created_date", "id")
    return (
        Message.objects.filter(conversation_id__in=conversation_ids, is_hidden=False)
        .order_by(*order)
        .values_list("id", "conversation_id", "message_content", "created_date", "is_hidden")
    )


def owned_page(user_id, *, start, stop):
    return (
        Conversation.objects.filter(user_id=user_id)
        .order_by("-last_message_date", "-id")
        .values_list("id", "subject", "is_public", "last_message_date", "user__email")[start:stop]
    )


@pytest.fixture
def threads():
    """Three conversations of one user with messages (one hidden), one of another user."""
    base = timezone.now() - timedelta(days=1)
    conversations = [ConversationFactory.create() for _ in range(3)]
    for user_conversation in conversations[1:]:
        user_conversation.user = conversations[0].user
        user_conversation.save()
    for n, conversation in enumerate(conversations):
        conversation.last_message_date = base + timedelta(minutes=n)
        conversation.save()
        for m in range(3):
            MessageFactory.create(
                conversation=conversation,
                created_date=base + timedelta(seconds=10 * m + n),
                is_hidden=(m == 1 and n == 0),
            )
    return conversations


def test_rows_equal_the_querysets_for_every_shape_and_value(threads):
    query = CompiledQuery(messages_of)
    ids = [conversation.pk for conversation in threads]
    for chosen in ([ids[0]], [ids[2]], ids[:2], ids[1:], ids, [ids[2], ids[0]], [999_999]):
        assert query.rows(chosen) == list(messages_of(chosen))
        assert query.rows(chosen, newest_first=True) == list(messages_of(chosen, newest_first=True))


def test_rows_are_tuples_with_the_fields_converted_as_the_orm_does(threads):
    rows = CompiledQuery(messages_of).rows([threads[0].pk])
    assert [type(row) for row in rows] == [tuple, tuple]  # the hidden one is left out
    created = rows[0][3]
    assert created.tzinfo is not None and created == Message.objects.get(pk=rows[0][0]).created_date
    assert rows[0][4] is False


def test_slices_and_joins_are_part_of_the_shape(threads):
    query = CompiledQuery(owned_page)
    user_id = threads[0].user_id
    for start, stop in ((0, 1), (0, 20), (1, 3), (2, 4), (5, 10)):
        assert query.rows(user_id, start=start, stop=stop) == list(
            owned_page(user_id, start=start, stop=stop)
        )
    assert [row[0] for row in query.rows(user_id, start=0, stop=20)] == [
        threads[2].pk,
        threads[1].pk,
        threads[0].pk,
    ]


def test_a_shape_compiles_once_then_only_substitutes_values(threads):
    build = Counting(messages_of)
    query = compiled_query(build)
    first, second, third = (conversation.pk for conversation in threads)
    query.rows([first])
    query.rows([second])
    query.rows([third])
    assert build.calls == 1
    query.rows([first, second])
    query.rows([second, third])
    assert build.calls == 2
    query.rows([first], newest_first=True)
    assert build.calls == 3


def test_each_call_runs_one_query(threads):
    query = CompiledQuery(messages_of)
    query.rows([threads[0].pk])
    with CaptureQueriesContext(connection) as context:
        query.rows([threads[1].pk])
    assert len(context.captured_queries) == 1


def test_each_thread_compiles_its_own(threads):
    build = Counting(messages_of)
    query = compiled_query(build)
    query.rows([threads[0].pk])
    seen = []

    def other_thread():
        # Only compiling: another thread's connection would not see this test's rows.
        query._prepare(([threads[0].pk],), {})
        seen.append(build.calls)

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert seen == [2]


def test_a_shape_that_matches_nothing_runs_no_query(threads):
    with CaptureQueriesContext(connection) as context:
        assert CompiledQuery(messages_of).rows([]) == []
        assert CompiledQuery(owned_page).rows(threads[0].user_id, start=0, stop=0) == []
    assert context.captured_queries == []


def test_a_value_the_sql_does_not_carry_is_refused(threads):
    def ignores_its_value(user_id):
        return Conversation.objects.values_list("id")

    with pytest.raises(ValueError, match="must reach the SQL"):
        CompiledQuery(ignores_its_value).rows(threads[0].user_id)


def test_explain_shows_the_plan_of_the_compiled_sql(threads):
    plan = CompiledQuery(owned_page).explain(threads[0].user_id, start=0, stop=20)
    assert "conversations_conversation" in plan


def test_id_lists_share_a_shape_up_to_the_next_power_of_two(threads):
    build = Counting(messages_of)
    query = compiled_query(build)
    ids = [conversation.pk for conversation in threads]
    assert query.rows(ids) == list(messages_of(ids))  # 3 ids, padded to 4: no row twice
    assert query.rows([*ids, 999_999]) == list(messages_of(ids))
    assert build.calls == 1
    query.rows([*ids, 999_998, 999_999])
    assert build.calls == 2


def test_padding_repeats_the_last_id():
    assert padded([]) == []
    assert padded([7]) == [7]
    assert padded([7, 8, 9]) == [7, 8, 9, 9]
    assert padded(list(range(5))) == [0, 1, 2, 3, 4, 4, 4, 4]
    assert len(padded(list(range(100)))) == 128


def test_a_value_may_reach_the_sql_more_than_once(threads):
    def older_than_the_newest(user_id):
        newest = (
            Conversation.objects.filter(user_id=user_id)
            .order_by("-last_message_date")
            .values("last_message_date")[:1]
        )
        return (
            Conversation.objects.filter(user_id=user_id, last_message_date__lt=Subquery(newest))
            .order_by("id")
            .values_list("id")
        )

    query = CompiledQuery(older_than_the_newest)
    for conversation in threads:
        assert query.rows(conversation.user_id) == list(older_than_the_newest(conversation.user_id))
    assert len(query.rows(threads[0].user_id)) == 2


def test_a_string_is_not_taken_for_a_list_of_ids(threads):
    with pytest.raises(TypeError):
        CompiledQuery(messages_of).rows(str(threads[0].pk))  # type: ignore[arg-type]


def test_a_field_that_cannot_take_the_stand_ins_is_refused_not_cached_as_empty(threads):
    def by_image_order(order):
        return ProductImage.objects.filter(order=order).values_list("id")

    query = CompiledQuery(by_image_order)
    with pytest.raises(ValueError, match="stand-ins"):
        query.rows(1)
    with pytest.raises(ValueError, match="stand-ins"):
        query.rows(1)
