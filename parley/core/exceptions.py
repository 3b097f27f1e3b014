"""The one error contract (API.md §1): domain errors and Django's own map onto DRF's shapes
here. The middlewares that answer before a view runs (body cap, database outage, storefront
ceiling) build their answers with `error_response`, so their texts and shape are these."""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A domain rule refused the request. `field` names the input it is about, if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ListedError(ApplicationError):
    """A domain refusal answered `400` as a bare JSON list `[message]`: API.md §1's one
    exception to DRF's shapes, the seed's `["Conversation already exists"]`."""


class RateLimited(ApplicationError):
    """A domain rule throttled the caller: `429 {"detail": ...}` with `Retry-After`."""

    def __init__(self, message: str, *, wait: float) -> None:
        super().__init__(message)
        self.wait = wait


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service temporarily unavailable; try again shortly."
    default_code = "service_unavailable"
    wait = 5  # seconds, sent as Retry-After


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self, cap: int) -> None:
        super().__init__(f"Request body too large: at most {cap} bytes.")


def error_response(exc: exceptions.APIException) -> JsonResponse:
    """The answer the exception handler gives for `exc` (`{"detail": ...}`, its status and,
    as DRF's handler does, Retry-After from `wait`), for code that runs outside DRF's views:
    the middlewares."""
    response = JsonResponse({"detail": str(exc.detail)}, status=exc.status_code)
    if getattr(exc, "wait", None):
        response["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ListedError):
        exc = exceptions.ValidationError([exc.message])
    elif isinstance(exc, RateLimited):
        exc = exceptions.Throttled(wait=max(1.0, exc.wait), detail=exc.message)
    elif isinstance(exc, ApplicationError):
        detail: Any = (
            {exc.field: [exc.message]} if exc.field else {"non_field_errors": [exc.message]}
        )
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, RequestDataTooBig):
        # Past the middleware's cap only a multipart body's fields (files aside) can be.
        exc = PayloadTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc) or "Malformed request.")
    elif isinstance(exc, OperationalError | InterfaceError):
        # The database is unreachable (restarting, failing over): fail fast and say so.
        logger.error("database unavailable: %s", exc)
        exc = ServiceUnavailable()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)
