import json
from typing import Any

from constance import config
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models

from parley.support.constance_fields import parse_email_routing
from parley.support.models import ContactSubject

# The storefront template's contact page hard-codes ids: subject 2 is the one that needs an
# order (API.md §6). So the demo's subjects are keyed by id, id = position:
# id -> (English, Turkish, is_order_needed).
SUBJECTS = {
    1: ("Technical Support", "Teknik Destek", False),
    2: ("Refund", "İade", True),
    3: ("Suggestion", "Öneri", False),
    4: ("Franchise", "Bayilik", False),
}
EMAIL_TO = {
    "contact_us": "support@demo.parley.localhost",
    "franchise": ["franchise@demo.parley.localhost"],
}


def seed(demo: dict[str, Any]) -> None:
    for subject_id, (text_en, text_tr, is_order_needed) in SUBJECTS.items():
        # Converge, also on a database seeded before the ids were fixed: the template's ids
        # must name these subjects whatever an earlier run stored under them.
        subject, _ = ContactSubject.objects.update_or_create(
            pk=subject_id,
            defaults={
                "text_en": text_en,
                "text_tr": text_tr,
                "is_order_needed": is_order_needed,
                "order": subject_id,
                "is_active": True,
            },
        )
        demo["subjects"].append(
            {
                "id": subject.pk,
                "text_en": subject.text_en,  # type: ignore[attr-defined]
                "text_tr": subject.text_tr,  # type: ignore[attr-defined]
                "is_order_needed": subject.is_order_needed,
            }
        )
    _sequence_reset(ContactSubject)
    # Route the demo's operations apart, unless staff have already changed the setting.
    shipped = settings.CONSTANCE_CONFIG["CONTACT_US_EMAIL_TO"][0]
    if shipped == config.CONTACT_US_EMAIL_TO:
        config.CONTACT_US_EMAIL_TO = json.dumps(EMAIL_TO)
    demo["contact_us_email_to"] = parse_email_routing(config.CONTACT_US_EMAIL_TO)


def _sequence_reset(model: type[models.Model]) -> None:
    """Rows inserted with explicit ids leave PostgreSQL's id sequence behind them; move it past
    them so the next subject staff add does not collide. (SQLite keeps up by itself.)"""
    statements = connection.ops.sequence_reset_sql(no_style(), [model])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
