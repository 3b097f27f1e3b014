"""What core holds about a customer (API.md §11): the answers kept for Idempotency-Key
repeats. See parley/core/privacy.py for the registry."""

from constance.models import Constance
from django.db.models import QuerySet

from parley.core.models import IdempotencyKey
from parley.core.privacy import ErasureContext, Holder, holder_register, no_personal_data


def _idempotency_keys(ctx: ErasureContext) -> QuerySet[IdempotencyKey]:
    if ctx.user.pk is None:
        return IdempotencyKey.objects.none()  # a guest's keys are a cookie's: 24 hours
    return IdempotencyKey.objects.filter(scope=f"user:{ctx.user.pk}")


holder_register(
    Holder(
        section="idempotency_answers",
        fields={IdempotencyKey: ("response_body",)},
        kept={IdempotencyKey: {"content_type": "the answer's media type"}},
        count=lambda ctx: _idempotency_keys(ctx).count(),
        erase=lambda ctx: _idempotency_keys(ctx).delete()[0],
        # Copies, for 24 hours, of answers that other sections export: not exported.
    )
)

no_personal_data(Constance, "the operator's dynamic settings (the shop's own addresses)")
