"""Similar questions' vectors follow the public questions through the conversation services:
computed by the worker after the commit when a question becomes visible or changes, removed
when it is withdrawn, hidden or erased; never by a search."""

from io import StringIO
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory, ProductFactory
from parley.conversations import services
from parley.conversations.models import Conversation, ConversationType, ItemContent, Message
from parley.sellers.services import seller_message_send
from parley.similar import embeddings
from parley.similar.models import QuestionVector

pytestmark = pytest.mark.django_db

QUESTION = "Siparişim hangi gün kargoya verilir?"


@pytest.fixture
def product() -> Any:
    return ProductFactory.create(datasource=DataSourceFactory.create())


def _ask(product: Any, text: str = QUESTION, *, is_public: bool = True, **kwargs: Any) -> Message:
    user = kwargs.pop("user", None) or UserFactory.create()
    return services.conversation_create(
        user=user,
        datasource=product.datasource,
        conversation_type=kwargs.pop("conversation_type", ConversationType.QUESTION),
        content=text,
        user_type=user.user_type,
        is_public=is_public,
        item_content=ItemContent.PRODUCT,
        item_id=product.pk,
        **kwargs,
    )


def _answer(conversation: Conversation, text: str = "Ertesi iş günü kargodadır.") -> Message:
    return seller_message_send(
        datasource=conversation.datasource, conversation_id=conversation.pk, content=text
    )


def test_the_first_answer_computes_the_vector_after_the_commit(
    product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        question = _ask(product).conversation
    assert not QuestionVector.objects.exists()  # unanswered: the public list does not show it
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _answer(question)
    assert not QuestionVector.objects.exists()  # nothing inside the transaction
    for callback in callbacks:
        callback()
    vector = QuestionVector.objects.get()
    assert (vector.conversation_id, vector.product_id, vector.text) == (
        question.pk,
        product.pk,
        QUESTION,
    )
    assert vector.model == embeddings.USE_MULTILINGUAL
    stored = np.frombuffer(bytes(vector.vector), dtype=np.float32)
    np.testing.assert_allclose(stored, embeddings.embed([QUESTION])[0], rtol=1e-5, atol=1e-6)


def test_a_second_answer_computes_nothing_again(
    product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        question = _ask(product).conversation
        _answer(question)
    computed_at = QuestionVector.objects.get().computed_at
    with django_capture_on_commit_callbacks(execute=True):
        _answer(question, "Bir de şunu ekleyelim.")
    assert QuestionVector.objects.get().computed_at == computed_at


def test_private_questions_and_other_conversations_get_no_vector(
    product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        private = _ask(product, is_public=False).conversation
        _answer(private)
        message = _ask(product, conversation_type=ConversationType.MESSAGE).conversation
        _answer(message)
    assert not QuestionVector.objects.exists()


def test_hiding_the_question_recomputes_and_hiding_the_answer_removes(
    product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = _ask(product, "Bu nevresim kaç derecede yıkanır?")
        question = first.conversation
        second = services.customer_message_send(
            user=question.user,
            conversation_type=ConversationType.QUESTION,
            user_id=question.user.pk,
            user_type=question.user.user_type,
            content_type="user",
            content_id=question.user.pk,
            datasource_id=product.datasource_id,
            message_content="Kumaşı pamuk mu?",
            conversation_id=question.pk,
        )
        answer = _answer(question)
    assert QuestionVector.objects.get().text == "Bu nevresim kaç derecede yıkanır?"
    with django_capture_on_commit_callbacks(execute=True):
        services.message_hide(message=first, hidden_by=None)
    assert QuestionVector.objects.get().text == second.message_content
    with django_capture_on_commit_callbacks(execute=True):
        services.message_hide(message=answer, hidden_by=None)
    assert not QuestionVector.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_unhide(message=answer)
    assert QuestionVector.objects.get().text == second.message_content


def test_withdrawing_removes_the_vector_in_the_same_transaction(
    product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        question = _ask(product).conversation
        _answer(question)
    other = QuestionVector.objects.get()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        withdrawn = Conversation.objects.filter(pk=question.pk)
        assert services.conversations_withdraw_from_public(conversations=withdrawn) == 1
        assert not QuestionVector.objects.filter(pk=other.pk).exists()
    assert callbacks == []
    assert Conversation.objects.get(pk=question.pk).is_public is False


def test_an_erased_conversation_takes_its_vector_with_it(
    product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        question = _ask(product).conversation
        _answer(question)
    Conversation.objects.filter(pk=question.pk).delete()
    assert not QuestionVector.objects.exists()


def test_with_model_none_nothing_is_computed(
    product: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.PARLEY_SIMILAR_MODEL = embeddings.MODEL_NONE
    with django_capture_on_commit_callbacks(execute=True):
        question = _ask(product).conversation
        _answer(question)
    assert not QuestionVector.objects.exists()


def test_the_refresh_task_is_idempotent_and_follows_the_state(product: Any) -> None:
    from parley.conversations.tasks import question_vector_refresh

    question = _ask(product).conversation
    _answer(question)
    question_vector_refresh.delay(question.pk)
    question_vector_refresh.delay(question.pk)
    assert QuestionVector.objects.filter(conversation_id=question.pk).count() == 1
    Conversation.objects.filter(pk=question.pk).update(is_public=False)
    question_vector_refresh.delay(question.pk)
    assert not QuestionVector.objects.exists()


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


def test_the_admin_withdraw_action_removes_the_vector(
    product: Any, staff_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        question = _ask(product).conversation
        _answer(question)
        kept = _ask(product, "Garanti süresi ne kadar?").conversation
        _answer(kept)
    response = staff_client.post(
        "/admin/conversations/conversation/",
        {"action": "withdraw_from_public", "_selected_action": [question.pk]},
    )
    assert response.status_code == 302
    assert list(QuestionVector.objects.values_list("conversation_id", flat=True)) == [kept.pk]


def test_editing_is_public_in_the_admin_moves_the_vector(
    product: Any, staff_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        question = _ask(product).conversation
        _answer(question)
    url = f"/admin/conversations/conversation/{question.pk}/change/"
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url,
            {"subject": "Kargo", "message_set-TOTAL_FORMS": "0", "message_set-INITIAL_FORMS": "0"},
        )
    assert response.status_code == 302, response.content
    assert Conversation.objects.get(pk=question.pk).is_public is False
    assert not QuestionVector.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            url,
            {
                "subject": "Kargo",
                "is_public": "on",
                "message_set-TOTAL_FORMS": "0",
                "message_set-INITIAL_FORMS": "0",
            },
        )
    assert QuestionVector.objects.get().conversation_id == question.pk


def test_the_rebuild_command_computes_the_missing_and_drops_the_stale(product: Any) -> None:
    # Written with the background off, as data that predates the feature would be.
    question = _ask(product).conversation
    _answer(question)
    unanswered = _ask(product, "Rengi soluk mu?").conversation
    withdrawn = _ask(product, "Kaç yastık kılıfı var?").conversation
    _answer(withdrawn)
    QuestionVector.objects.all().delete()
    services.question_vector_refresh(conversation_id=withdrawn.pk)
    Conversation.objects.filter(pk=withdrawn.pk).update(is_public=False)  # behind the services

    out = StringIO()
    call_command("question_vectors_rebuild", stdout=out)
    assert out.getvalue() == "1 question vector(s) computed\n"
    assert list(QuestionVector.objects.values_list("conversation_id", flat=True)) == [question.pk]
    assert unanswered.pk not in QuestionVector.objects.values_list("conversation_id", flat=True)
    call_command("question_vectors_rebuild", stdout=out)
    assert out.getvalue().endswith("0 question vector(s) computed\n")
