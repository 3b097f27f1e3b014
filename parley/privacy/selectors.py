"""Reads of personal data (API.md §11): the export, the erasure's preview, and finding the
account a request names."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import ApplicationError
from parley.core.privacy import HOLDERS, ErasureContext, Guest
from parley.core.validators import MAX_ID


def customer_export(user: User | Guest) -> dict[str, Any]:
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


def customer_or_guest_find(identifier: str) -> User | Guest:
    """The account named by its id or e-mail address; for an address that is no account's,
    the guest who may have written from it (the command line's export and erasure)."""
    try:
        return customer_find(identifier)
    except ApplicationError:
        address = identifier.strip().lower()
        try:
            validate_email(address)
        except ValidationError:
            raise ApplicationError(_("No account with this id or e-mail address.")) from None
        return Guest(email=address)


def customer_erasable_check(user: User | Guest) -> None:
    """Staff accounts are not customers: erasing one would lock staff out of the back office."""
    if isinstance(user, User) and (user.is_staff or user.is_superuser):
        raise ApplicationError(
            _("Staff accounts are not erased as customers: remove their staff status first.")
        )


def customer_erasure_preview(*, user: User | Guest) -> dict[str, int]:
    """What an erasure would change, section by section, and how many files it would delete."""
    customer_erasable_check(user)
    ctx = ErasureContext(user=user, email=user.email)
    counts = {section: holder.count(ctx) for section, holder in HOLDERS.items()}
    counts["files"] = sum(len(holder.files(ctx)) for holder in HOLDERS.values() if holder.files)
    return counts
