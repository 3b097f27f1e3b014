"""OpenAPI generation: one entry per path (the slash-less twins are the same operation),
unique component names for the nested Input/Output serializers of thin views, and the
session-cookie and CSRF security scheme."""

from typing import Any, Literal

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


def drop_slashless_twins(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    return [endpoint for endpoint in endpoints if endpoint[0].endswith("/")]


_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_FIELD_ERRORS = {
    "type": "object",
    "description": "Field errors `{field: [message, ...]}` or `{non_field_errors: [...]}`.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def _error(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


class AutoSchema(SpectacularAutoSchema):
    """Names nested serializers after their view and adds the error answers every endpoint
    can give, derived from what the view declares (methods, auth, throttles, paths)."""

    def _get_serializer_name(
        self, serializer: Any, direction: Any, bypass_extensions: bool = False
    ) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        cls = serializer if isinstance(serializer, type) else type(serializer)
        outer, _, _ = cls.__qualname__.rpartition(".")
        if outer and "<locals>" not in outer:
            # RegistrationApi.InputSerializer -> RegistrationInput
            prefix = outer.replace(".", "").removesuffix("Api")
            name = prefix + name
        return name

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        view = self.view
        unsafe = self.method not in ("GET", "HEAD", "OPTIONS")
        token_auth = any(
            getattr(auth, "authenticate_header", lambda request: None)(None)
            for auth in view.get_authenticators()
        )
        needs_login = any(
            getattr(permission, "__name__", "") != "AllowAny"
            for permission in getattr(view, "permission_classes", [])
        )
        errors: dict[str, dict[str, Any]] = {}
        if unsafe:
            errors["400"] = _error("Invalid input", _FIELD_ERRORS)
            errors["413"] = _error("Request body too large", _DETAIL)
            errors["415"] = _error("Unsupported media type", _DETAIL)
        elif self._is_list_view() or self.path_regex.count("(?P<"):
            errors["400"] = _error("Invalid filter value", _FIELD_ERRORS)
        if token_auth:
            errors["401"] = _error("Missing, malformed, unknown or revoked token", _DETAIL)
        if needs_login or (unsafe and not token_auth and view.get_authenticators()):
            errors["403"] = _error("Not logged in, or CSRF failed", _DETAIL)
        if "{" in self.path or self._is_list_view():
            errors["404"] = _error("Not found (or invalid page)", _DETAIL)
        if getattr(view, "throttle_classes", None):
            errors["429"] = _error("Throttled; see Retry-After", _DETAIL)
        for code, body in errors.items():
            responses.setdefault(code, body)
        return responses


class CsrfSessionAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "parley.core.authentication.CsrfSessionAuthentication"
    name = "sessionCookie"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "osessionid",
            "description": "Django session; unsafe requests also need the X-CSRFToken header.",
        }
