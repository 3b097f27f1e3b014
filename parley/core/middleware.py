from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class BodySizeLimitMiddleware:
    """Refuse an over-large body from its declared length, before anything reads it.

    JSON and forms are capped at PARLEY_MAX_JSON_BODY_BYTES, multipart (which may carry a
    file) at PARLEY_MAX_MULTIPART_BODY_BYTES. A body without a length is read as empty by
    Django's WSGI handler, so it cannot slip past. Files are capped again while they stream
    (parley.core.uploads), since a multipart body can hold several.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/"):
            cap = settings.PARLEY_MAX_MULTIPART_BODY_BYTES
        else:
            cap = settings.PARLEY_MAX_JSON_BODY_BYTES
        if length > cap:
            response = JsonResponse(
                {"detail": f"Request body too large: at most {cap} bytes."}, status=413
            )
            response["Connection"] = "close"
            return response
        return self.get_response(request)
