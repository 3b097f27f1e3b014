"""OpenAPI generation: one entry per path (the slash-less twins are the same operation),
unique component names for the nested Input/Output serializers of thin views, the
session-cookie and CSRF security schemes, and what the server accepts that a field's own
mapping does not say (optional fields given empty, rules between fields)."""

import copy
from typing import Any, ClassVar, Literal

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import force_instance, is_basic_serializer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import SAFE_METHODS

from parley.core.authentication import CsrfSessionAuthentication
from parley.core.idempotency import IDEMPOTENCY_KEY_PATTERN


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


def absent_or(schema: dict[str, Any], *, null: bool) -> dict[str, Any]:
    """`schema`, or the empty string (and `null` too when `null`): what an optional field
    accepts when an empty value means "not given" (API.md §1)."""
    schema = copy.deepcopy(schema)
    if "enum" in schema:
        schema.pop("minLength", None)
        schema["enum"] = [*schema["enum"], *([""] if "" not in schema["enum"] else [])]
        if null:
            schema["nullable"] = True
            schema["enum"] = [*schema["enum"], *([None] if None not in schema["enum"] else [])]
        return schema
    if schema.get("type") == "string" and "pattern" not in schema and "format" not in schema:
        schema.pop("minLength", None)
        if null:
            schema["nullable"] = True
        return schema
    description = schema.pop("description", None)
    empty: dict[str, Any] = {"type": "string", "maxLength": 0}
    if null:
        empty["nullable"] = True
    wrapped: dict[str, Any] = {"anyOf": [schema, empty]}
    if description:
        wrapped["description"] = description
    return wrapped


class SchemaPrecision:
    # Declarations a serializer adds for the schema (read by `AutoSchema`; comments rather
    # than a docstring, which would become every such serializer's description):
    # - `absent_when_empty`: optional fields that may arrive as "" and then mean "not given";
    # - `absent_when_null`: the same for null (JSON bodies; a query string has no null);
    # - `schema_extra`: JSON Schema keywords added to the serializer's object, for rules
    #   between fields (`allOf`, `anyOf`, ...), written against the property names.

    absent_when_empty: ClassVar[tuple[str, ...]] = ()
    absent_when_null: ClassVar[tuple[str, ...]] = ()
    schema_extra: ClassVar[dict[str, Any]] = {}


class AutoSchema(SpectacularAutoSchema):
    """Names nested serializers after their view and adds the error answers every endpoint
    can give, derived from what the view declares (methods, auth, throttles, paths). The one
    way errors enter the schema: a view lists an error code only to say more than the
    derivation can (a precise description, the body still the derived one), when its body
    differs (the bare list of `ConversationAlreadyExists`), or for a refusal the view makes
    itself (logout checks CSRF in its own code)."""

    _form_body = False  # mapping a form or multipart body, where no value can be null

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        result: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        if direction != "request" or not isinstance(serializer, SchemaPrecision):
            return result
        properties = result.get("properties", {})
        for name in serializer.absent_when_empty:
            if name in properties:
                properties[name] = absent_or(
                    properties[name],
                    null=name in serializer.absent_when_null and not self._form_body,
                )
        result.update(copy.deepcopy(serializer.schema_extra))
        return result

    def _get_request_body(self, direction: str = "request") -> Any:
        """A form or multipart body cannot carry null: where the JSON body's component
        accepts null for "not given", those media types get the same object without it."""
        body = super()._get_request_body(direction)
        if body is None:
            return body
        declared = self.get_request_serializer()
        for media_type, content in body["content"].items():
            serializer = declared.get(media_type) if isinstance(declared, dict) else declared
            if media_type == "application/json" or not is_basic_serializer(serializer):
                continue
            serializer = force_instance(serializer)
            if isinstance(serializer, SchemaPrecision) and serializer.absent_when_null:
                self._form_body = True
                try:
                    content["schema"] = self._map_basic_serializer(serializer, direction)
                finally:
                    self._form_body = False
        return body

    def get_auth(self) -> list[dict[str, Any]]:
        """An unsafe request that anyone may make still needs the CSRF pair (API.md §1):
        where DRF would say "no authentication" (`{}`), the schema says "the CSRF cookie
        and header"."""
        auths: list[dict[str, Any]] = super().get_auth()
        checks_csrf = any(
            isinstance(auth, CsrfSessionAuthentication) for auth in self.view.get_authenticators()
        )
        if self.method in SAFE_METHODS or not checks_csrf:
            return auths
        return [auth or {name: [] for name in CSRF_SCHEMES} for auth in auths]

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
                    # HTTP servers strip the spaces around a header value: none at either end.
                    pattern=IDEMPOTENCY_KEY_PATTERN,
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
            errors["401"] = _error(
                "No token, or a malformed, unknown or revoked one (`WWW-Authenticate: Token`)",
                _DETAIL,
            )
        checks_csrf = unsafe and not token_auth and bool(view.get_authenticators())
        if needs_login or checks_csrf:
            refusal = {
                (True, False): "Not logged in",
                (True, True): "Not logged in, or CSRF failed",
                (False, True): "CSRF failed",
            }[(needs_login, checks_csrf)]
            errors["403"] = _error(refusal, _DETAIL)
        if "{" in self.path or self._is_list_view():
            errors["404"] = _error("Not found (or invalid page)", _DETAIL)
        if view.get_throttles():  # the view's own choice too (per method)
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


CSRF_SCHEMES = ("csrfCookie", "csrfHeader")


class CsrfSessionAuthenticationScheme(OpenApiAuthenticationExtension):
    """The session cookie; an unsafe request needs the CSRF cookie and header with it."""

    target_class = "parley.core.authentication.CsrfSessionAuthentication"
    name = ["sessionCookie", *CSRF_SCHEMES]

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list[Any]]:
        if auto_schema.method in SAFE_METHODS:
            return {"sessionCookie": []}
        return {name: [] for name in self.name}

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, str]]:
        return [
            {
                "type": "apiKey",
                "in": "cookie",
                "name": "osessionid",
                "description": "Django session; unsafe requests also need the CSRF pair.",
            },
            {
                "type": "apiKey",
                "in": "cookie",
                "name": "csrftoken",
                "description": "The CSRF cookie (`GET /csrf_token/` sets it); unsafe "
                "requests send it with the same token in `X-CSRFToken`.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-CSRFToken",
                "description": "The CSRF token, matching the `csrftoken` cookie.",
            },
        ]


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
