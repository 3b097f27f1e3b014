"""The authentication backend: Django's `ModelBackend`, reading the session's user with a
compiled query (`parley.core.compiled`). Every logged-in request reads its user; building
and compiling `User.objects.get(pk=...)` cost more Python time than the query itself.

`AUTHENTICATION_BACKENDS` names Django's `ModelBackend` after this one only so that sessions
made before (which name it) stay logged in; see `UserBackend.authenticate`."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from parley.accounts.models import User
from parley.core.compiled import compiled_query

USER_FIELDS = tuple(field.attname for field in User._meta.concrete_fields)


@compiled_query
def _user_by_id(user_id: int) -> QuerySet[User]:
    return User._default_manager.filter(pk=user_id).values_list(*USER_FIELDS)


class UserBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and username is not None and password is not None:
            # Wrong credentials are judged here, once: stop Django from asking the
            # ModelBackend listed after this one, which would hash the password again.
            raise PermissionDenied
        return user

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        rows = _user_by_id.rows(pk)
        if not rows:
            return None
        user = User.from_db(User._default_manager.db, list(USER_FIELDS), rows[0])
        return user if self.user_can_authenticate(user) else None
