"""OpenAPI generation: one entry per path (the slash-less twins are the same operation),
unique component names for the nested Input/Output serializers of thin views, and the
session-cookie and CSRF security scheme."""

from typing import Any, Literal

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter


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


# A 400 names fields, or says what was wrong with the request as a whole (a body that is
# not JSON): `{"detail": "JSON parse error - ..."}`.
BAD_REQUEST = {"anyOf": [_FIELD_ERRORS, _DETAIL]}


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

    def _is_idempotent(self) -> bool:
        handler = getattr(self.view, self.method.lower(), None)
        return bool(getattr(handler, "idempotent", False))

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._is_idempotent():
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="1 to 255 printable ASCII characters. A repeat with the same "
                    "key and body answers the first answer again and does nothing else; kept "
                    "24 hours per caller.",
                )
            )
        return parameters

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
            errors["400"] = _error("Invalid input", BAD_REQUEST)
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
        if self._is_idempotent():
            errors["409"] = _error("A request with this Idempotency-Key is in progress", _DETAIL)
            errors["422"] = _error("This Idempotency-Key was used for another request", _DETAIL)
        for code, body in errors.items():
            declared = responses.setdefault(code, body)
            # A view that names an error only to describe it still answers the shared body:
            # say so, so that clients (and the schema fuzzer) can check it.
            declared.setdefault("content", body["content"])
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


# OpenAPI links: what a client can do next with the conversation it just opened or wrote to.
# The stateful schema fuzzer follows them (open, read, append, and the seller's read and answer).
_CONVERSATION_ID = "$response.body#/id"
CONVERSATION_LINKS = {
    "ReadConversation": {
        "operationId": "users_conversations_retrieve",
        "parameters": {"conversation_id": _CONVERSATION_ID},
        "description": "The conversation just opened or written to.",
    },
    "AppendToConversation": {
        "operationId": "users_conversations_create",
        "requestBody": {
            "conversation": _CONVERSATION_ID,
            "datasource": "$response.body#/datasource",
            "conversation_type": "$response.body#/conversation_type",
            "user": "$response.body#/user",
            "content_id": "$response.body#/content_id",
            "user_type": "$response.body#/user_type",
        },
        "description": "Another message from the customer into the same conversation.",
    },
    "SellerReadsConversation": {
        "operationId": "seller_conversations_retrieve",
        "parameters": {"conversation_id": _CONVERSATION_ID},
        "description": "The seller's view of the same conversation.",
    },
    "SellerAnswers": {
        "operationId": "seller_conversations_messages_create",
        "parameters": {"conversation_id": _CONVERSATION_ID},
        "description": "The seller's answer.",
    },
}


def add_links(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: the links of POST /users/conversations/ (201)."""
    created = result["paths"]["/users/conversations/"]["post"]["responses"]["201"]
    created["links"] = CONVERSATION_LINKS
    return result
