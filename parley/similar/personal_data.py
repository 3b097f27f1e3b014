"""What similar questions hold about a customer (API.md §11, §12): a copy of each public
question's text and its embedding, both derived from the asker's words; the conversations
section exports the words themselves. See parley/core/privacy.py."""

from django.db.models import QuerySet

from parley.core.privacy import ErasureContext, Holder, holder_register
from parley.similar.models import QuestionVector


def _vectors(ctx: ErasureContext) -> QuerySet[QuestionVector]:
    if ctx.user.pk is None:  # a guest asks no questions
        return QuestionVector.objects.none()
    return QuestionVector.objects.filter(conversation__user_id=ctx.user.pk)


def _erase(ctx: ErasureContext) -> int:
    deleted, _ = _vectors(ctx).delete()
    return deleted


holder_register(
    Holder(
        section="question_vectors",
        fields={QuestionVector: ("text", "vector")},
        count=lambda ctx: _vectors(ctx).count(),
        erase=_erase,
    )
)
