import json
from typing import Any

from constance import config
from django.conf import settings

from parley.support.constance_fields import parse_email_routing
from parley.support.models import ContactSubject

# (English, Turkish, is_order_needed)
SUBJECTS = [
    ("Refund", "İade", True),
    ("Technical Support", "Teknik Destek", False),
    ("Suggestion", "Öneri", False),
    ("Franchise", "Bayilik", False),
]
EMAIL_TO = {
    "contact_us": "support@demo.parley.localhost",
    "franchise": ["franchise@demo.parley.localhost"],
}


def seed(demo: dict[str, Any]) -> None:
    for position, (text_en, text_tr, is_order_needed) in enumerate(SUBJECTS, start=1):
        subject, _ = ContactSubject.objects.get_or_create(
            text_en=text_en,
            defaults={
                "text_tr": text_tr,
                "is_order_needed": is_order_needed,
                "order": position,
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
    # Route the demo's operations apart, unless staff have already changed the setting.
    shipped = settings.CONSTANCE_CONFIG["CONTACT_US_EMAIL_TO"][0]
    if shipped == config.CONTACT_US_EMAIL_TO:
        config.CONTACT_US_EMAIL_TO = json.dumps(EMAIL_TO)
    demo["contact_us_email_to"] = parse_email_routing(config.CONTACT_US_EMAIL_TO)
