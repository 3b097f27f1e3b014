"""What accounts hold about a customer (API.md §11): the profile, the sessions, and the admin
log's names for them; and Django's own models that hold none. See parley/core/privacy.py.
"""

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db.models import Q, QuerySet
from django.utils import timezone

from parley.accounts.models import User
from parley.core.privacy import (
    ErasureContext,
    Holder,
    holder_register,
    no_personal_data,
)

DB_SESSION_ENGINES = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
)
ERASED_REPR = "[erased]"


def erased_email(user_id: int) -> str:
    """The address an erased account keeps: unique (the column is), personal to no one, and
    in a reserved top-level domain, so nothing is ever delivered to it."""
    return f"erased-{user_id}@erased.invalid"


def _profile_export(user: User) -> dict[str, Any] | None:
    if user.pk is None:
        return None  # a guest has no account
    fresh = User.objects.get(pk=user.pk)
    return {
        "pk": fresh.pk,
        "email": fresh.email,
        "first_name": fresh.first_name,
        "last_name": fresh.last_name,
        "phone": fresh.phone,
        "gender": fresh.gender,
        "date_of_birth": fresh.date_of_birth,
        "email_allowed": fresh.email_allowed,
        "sms_allowed": fresh.sms_allowed,
        "user_type": fresh.user_type,
        "date_joined": fresh.date_joined,
        "last_login": fresh.last_login,
    }


def _profile_erase(ctx: ErasureContext) -> int:
    """The account can no longer log in (no usable password, inactive) and keeps no name,
    e-mail or phone. A new password hash also ends every session of it wherever sessions are
    kept: Django checks a session's hash of the password on each request (see `_sessions`)."""
    if ctx.user.pk is None:
        return 0  # a guest has no account
    user = User.objects.select_for_update().get(pk=ctx.user.pk)
    user.email = erased_email(user.pk)
    user.first_name = user.last_name = ""
    user.phone = None
    user.gender = None
    user.date_of_birth = None
    user.email_allowed = user.sms_allowed = False
    user.is_active = False
    user.set_unusable_password()
    user.save()
    return 1


holder_register(
    Holder(
        section="profile",
        fields={
            User: (
                "email",
                "first_name",
                "last_name",
                "phone",
                "gender",
                "date_of_birth",
                "password",
                "email_allowed",
                "sms_allowed",
            )
        },
        count=lambda ctx: 0 if ctx.user.pk is None else 1,
        erase=_profile_erase,
        export=_profile_export,
    )
)


def _sessions(user_id: int | None) -> list[str]:
    """The keys of the user's live sessions in the database (db and cached_db engines).

    A session's data is signed and encoded, so it is read one by one: an erasure is rare and
    the live sessions are bounded by their age. With the cache or signed-cookie engines the
    sessions cannot be listed; they end anyway, at their next request, because the account's
    password hash changed and it is inactive (`_profile_erase`)."""
    if user_id is None or settings.SESSION_ENGINE not in DB_SESSION_ENGINES:
        return []
    keys = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user_id):
            keys.append(session.session_key)
    return keys


def _sessions_erase(ctx: ErasureContext) -> int:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = _sessions(ctx.user.pk)
    for key in keys:
        store(session_key=key).delete()  # the cached_db engine's cache entry too
    return len(keys)


holder_register(
    Holder(
        section="sessions",
        fields={Session: ("session_data",)},
        kept={Session: {"session_key": "a random key"}},
        count=lambda ctx: len(_sessions(ctx.user.pk)),
        erase=_sessions_erase,
        # Nothing to export: a session holds the login itself, not data about the customer.
    )
)


def _admin_log_entries(ctx: ErasureContext) -> QuerySet[LogEntry]:
    """Staff's admin history names objects by their text (`object_repr`): the account's is
    its e-mail, a contact request's the name and e-mail."""
    named = Q(object_repr__iexact=ctx.email) | Q(object_repr__icontains=f"<{ctx.email}>")
    if ctx.user.pk is not None:
        user_type = ContentType.objects.get_for_model(User)
        named |= Q(content_type=user_type, object_id=str(ctx.user.pk))
    return LogEntry.objects.filter(named).exclude(object_repr=ERASED_REPR)


def _admin_log_erase(ctx: ErasureContext) -> int:
    return _admin_log_entries(ctx).update(object_repr=ERASED_REPR, change_message="")


holder_register(
    Holder(
        section="admin_log",
        fields={LogEntry: ("object_repr", "change_message")},
        kept={LogEntry: {"object_id": "the id of the object staff changed"}},
        count=lambda ctx: _admin_log_entries(ctx).count(),
        erase=_admin_log_erase,
        # Staff's record of their own work, not data the customer gave: not exported.
    )
)

no_personal_data(Group, "staff permission groups")
no_personal_data(Permission, "Django's permission names")
no_personal_data(ContentType, "Django's model names")
