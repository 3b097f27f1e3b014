"""Reads of personal data (API.md §11): the export, and finding the account a request names."""

from typing import Any

from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import ApplicationError
from parley.core.privacy import HOLDERS
from parley.core.validators import MAX_ID


def customer_export(user: User) -> dict[str, Any]:
    """Everything Parley holds about the user, one section per holder of the registry; each
    section reads in a fixed number of queries, whatever the amount of data."""
    return {
        section: holder.export(user)
        for section, holder in HOLDERS.items()
        if holder.export is not None
    }


def customer_find(identifier: str) -> User:
    """The account named by its id or its e-mail address (case-insensitive)."""
    identifier = identifier.strip()
    if identifier.isdigit() and int(identifier) <= MAX_ID:
        user = User.objects.filter(pk=int(identifier)).first()
    else:
        user = User.objects.filter(email=identifier.lower()).first()
    if user is None:
        raise ApplicationError(_("No account with this id or e-mail address."))
    return user
