from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from parley.accounts.models import User, UserType
from parley.core.exceptions import ApplicationError

DUPLICATE_EMAIL = "A user with this e-mail address already exists."
BAD_CREDENTIALS = "Unable to log in with the provided credentials."


def user_register(*, email: str, password: str, **profile: Any) -> User:
    """A registered customer. The unique index decides a duplicate, also under a race.

    The password is hashed before the transaction: on SQLite a transaction takes the write
    lock when it begins, and holding it through the deliberately slow hash made parallel
    registrations queue for the lock until they timed out (503).
    """
    candidate = User(email=email, user_type=UserType.REGISTERED, **profile)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as error:
        raise DjangoValidationError({"password": error.messages}) from error
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save(force_insert=True)
    except IntegrityError as error:
        raise ApplicationError(DUPLICATE_EMAIL, field="email") from error
    return candidate


def session_start(*, request: HttpRequest, user: User) -> str:
    """Log the user in on this request and return the new session key (the API's `key`)."""
    login(request, user, backend="parley.accounts.backends.UserBackend")
    if request.session.session_key is None:
        # login() flushed another user's session (a logged-in browser registering or logging
        # in as someone else): the new one has no key until saved, and the answer needs it.
        request.session.save()
    assert request.session.session_key is not None
    return request.session.session_key


def session_login(*, request: HttpRequest, email: str, password: str) -> str:
    user = authenticate(request, username=email.strip().lower(), password=password)
    # Guest accounts come from guest checkout and have no password to log in with.
    if user is None or getattr(user, "user_type", None) != UserType.REGISTERED:
        raise ApplicationError(BAD_CREDENTIALS)
    return session_start(request=request, user=user)


def session_end(*, request: HttpRequest) -> None:
    logout(request)
