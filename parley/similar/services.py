"""Writes of question vectors. The conversations app decides what a public question is and
calls these from its worker task; this module knows texts and vectors only."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from parley.similar import embeddings
from parley.similar.models import QuestionVector


def question_vector_store(*, conversation_id: int, product_id: int, text: str) -> bool:
    """Embed `text` and store it as the conversation's vector; return whether it was computed.

    Nothing is computed when the stored row already holds this text from this model, so
    running the task twice costs one query. With PARLEY_SIMILAR_MODEL `none` nothing is
    stored."""
    if not embeddings.is_enabled():
        return False
    model = embeddings.model_name()
    stored = QuestionVector.objects.filter(
        conversation_id=conversation_id, model=model, text=text, product_id=product_id
    ).exists()
    if stored:
        return False
    vector = embeddings.embed([text])[0]  # float32
    values = {
        "product_id": product_id,
        "model": model,
        "text": text,
        "vector": vector.tobytes(),
        "computed_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            QuestionVector.objects.update_or_create(
                conversation_id=conversation_id, defaults=values
            )
    except IntegrityError:
        # Another worker inserted this conversation's row between our read and our insert
        # (two jobs for one question): the row exists now, so write ours over it.
        QuestionVector.objects.filter(conversation_id=conversation_id).update(**values)
    return True


def question_vectors_delete(*, conversation_ids: list[int]) -> int:
    """Forget the vectors of questions that are no longer public (withdrawn, hidden, erased)."""
    deleted, _ = QuestionVector.objects.filter(conversation_id__in=conversation_ids).delete()
    return deleted


def question_vector_ids() -> list[int]:
    """The conversations that hold a vector, of any model (for a rebuild)."""
    return list(QuestionVector.objects.values_list("conversation_id", flat=True))
