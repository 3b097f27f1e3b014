import logging

from constance import config
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from parley.catalog.models import Order
from parley.support.constance_fields import parse_email_routing
from parley.support.models import ContactSubject

logger = logging.getLogger(__name__)

DEFAULT_OPERATION = "contact_us"
OPERATION_MAX_LENGTH = 64


def contact_subject_list() -> QuerySet[ContactSubject]:
    """Active subjects in display order; `text` reads in the active language (modeltranslation
    falls back to the default language where a translation is empty)."""
    return ContactSubject.objects.filter(is_active=True).order_by("order", "id")


def contact_subject_get_active(subject_id: int) -> ContactSubject | None:
    return ContactSubject.objects.filter(pk=subject_id, is_active=True).first()


def contact_us_email_routing() -> dict[str, list[str]]:
    """CONTACT_US_EMAIL_TO as it is right now (read through constance on every call, so a
    change in the admin holds from the next request on). The admin refuses invalid values; if
    one got in some other way, the shipped default is used and the problem logged."""
    try:
        return parse_email_routing(config.CONTACT_US_EMAIL_TO)
    except ValidationError:
        logger.error("CONTACT_US_EMAIL_TO is invalid; using the shipped default")
        return parse_email_routing(settings.CONSTANCE_CONFIG["CONTACT_US_EMAIL_TO"][0])


def contact_us_operation_keys() -> list[str]:
    """The `operation` values a submission may name right now: the routing's keys, as the
    form's field takes them (trimmed, at most OPERATION_MAX_LENGTH characters)."""
    return [
        key
        for key in contact_us_email_routing()
        if key == key.strip() and len(key) <= OPERATION_MAX_LENGTH
    ]


def order_get_for_contact(*, order_id: int, user_id: int | None, email: str) -> Order | None:
    """The order if the submitter may name it: their own with a session, one placed with the
    same e-mail (case-insensitive) without. None otherwise, whether or not it exists."""
    orders = Order.objects.filter(pk=order_id)
    if user_id is not None:
        orders = orders.filter(user_id=user_id)
    else:
        orders = orders.filter(email__iexact=email)
    return orders.first()
