from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def body_cap(content_type: str) -> int:
    """The largest body of this type: multipart (which may carry a file) or anything else."""
    if content_type.startswith("multipart/"):
        return settings.PARLEY_MAX_MULTIPART_BODY_BYTES
    return settings.PARLEY_MAX_JSON_BODY_BYTES


class BodySizeLimitMiddleware:
    """Refuse an over-large body from its declared length, before anything reads it.

    JSON and forms are capped at PARLEY_MAX_JSON_BODY_BYTES, multipart (which may carry a
    file) at PARLEY_MAX_MULTIPART_BODY_BYTES. A body without a length is read as empty by
    Django's WSGI handler, so it cannot slip past; a chunked one is measured before Django sees
    it (parley.core.wsgi). Files are capped again while they stream
    (parley.core.uploads), since a multipart body can hold several.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
        cap = body_cap(request.META.get("CONTENT_TYPE", ""))
        if length > cap:
            # No `Connection: close`: a WSGI application may not set hop-by-hop headers (PEP
            # 3333; waitress and wsgiref refuse the response). The server reads and discards
            # what the client still sends, or closes the connection itself.
            response = JsonResponse(
                {"detail": f"Request body too large: at most {cap} bytes."}, status=413
            )
            # Answered before SecurityMiddleware runs, so set what it would have set.
            response["X-Content-Type-Options"] = "nosniff"
            return response
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """While the database is unreachable, answer a prompt `503` instead of a `500` page.

    DRF views get the same answer from the exception handler; this covers the rest. With
    CONN_HEALTH_CHECKS on, the next request after the outage reconnects by itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return service_unavailable()
        return None


def service_unavailable() -> JsonResponse:
    response = JsonResponse(
        {"detail": "Service temporarily unavailable; try again shortly."}, status=503
    )
    response["Retry-After"] = "5"
    return response
