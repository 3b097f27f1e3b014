import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.exceptions import ParseError

from parley.core.exceptions import PayloadTooLarge, ServiceUnavailable, error_response

logger = logging.getLogger(__name__)

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
            return error_response(ParseError("Invalid Content-Length header."))
        cap = body_cap(request.META.get("CONTENT_TYPE", ""))
        if length > cap:
            # No `Connection: close`: a WSGI application may not set hop-by-hop headers (PEP
            # 3333; waitress and wsgiref refuse the response). The server reads and discards
            # what the client still sends, or closes the connection itself.
            response = error_response(PayloadTooLarge(cap))
            # Answered before SecurityMiddleware runs, so set what it would have set.
            response["X-Content-Type-Options"] = "nosniff"
            return response
        return self.get_response(request)


LANGUAGE_INDEPENDENT = "parley_language_independent"


def mark_language_independent(response: HttpResponse) -> HttpResponse:
    """Say that this answer reads the same in every language (SharedCacheMiddleware)."""
    setattr(response, LANGUAGE_INDEPENDENT, True)
    return response


class SharedCacheMiddleware:
    """An answer meant for shared caches (a CDN, the storefront's cache) that reads the same
    in every language loses the `Vary: Accept-Language` and `Content-Language` that
    LocaleMiddleware adds to every response: otherwise a cache keeps one copy per
    Accept-Language a browser sends, and hands out whichever language the first asker had.
    Only answers marked with `mark_language_independent` are touched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(response, LANGUAGE_INDEPENDENT, False):
            vary = [
                value.strip()
                for value in response.headers.get("Vary", "").split(",")
                if value.strip() and value.strip().lower() != "accept-language"
            ]
            if vary:
                response.headers["Vary"] = ", ".join(vary)
            else:
                response.headers.pop("Vary", None)
            response.headers.pop("Content-Language", None)
        return response


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
            return error_response(ServiceUnavailable())
        return None


# --- The committed answer is final (API.md §6) ----------------------------------------------
_COMMITTED_ANSWER = "parley_committed_answer"


def committed_answer_keep(request: HttpRequest, response: HttpResponseBase) -> None:
    """Remember a committed request's rendered 2xx answer, for CommittedAnswerMiddleware."""
    answer = (
        response.status_code,
        bytes(getattr(response, "content", b"")),
        response.get("Content-Type", ""),
    )
    setattr(request, _COMMITTED_ANSWER, answer)


class CommittedAnswerMiddleware:
    """Once a request has committed, it answers 2xx whatever happens after: a failure in a
    later middleware (metrics, session, cookies, logging) would otherwise turn the answer into
    a 500, and the storefront's proxy retries every non-2xx answer. The outermost middleware,
    so that it sees every later failure."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except Exception:
            answer = getattr(request, _COMMITTED_ANSWER, None)
            if answer is None:
                raise
            logger.exception(
                "a step after the commit failed; answering the committed %s", answer[0]
            )
            return _committed_response(answer)
        answer = getattr(request, _COMMITTED_ANSWER, None)
        if answer is not None and not 200 <= response.status_code < 300:
            logger.error(
                "a step after the commit answered %s; answering the committed %s instead",
                response.status_code,
                answer[0],
            )
            return _committed_response(answer)
        return response


def _committed_response(answer: tuple[int, bytes, str]) -> HttpResponse:
    status, content, content_type = answer
    response = HttpResponse(content, status=status, content_type=content_type or None)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- No cookies from proxied endpoints (API.md §6) ------------------------------------------


class NoCookiesMiddleware:
    """No `Set-Cookie` from the endpoints the storefront proxies: its proxy forwards one
    folded `Set-Cookie` header, which two cookies would break. The session and CSRF
    middlewares may still want to (re)set or delete a cookie there (a session saved on every
    request, a stale session cookie, a malformed CSRF cookie); this drops what they set. Only
    §2's endpoints set cookies.

    The endpoints are named by URL name in PARLEY_COOKIELESS_URL_NAMES; a new proxied endpoint
    joins by adding its name there. Listed before the session and CSRF middlewares, so that it
    sees their cookies.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.func in cookieless_views():
            for name in list(response.cookies):
                del response.cookies[name]
        return response


def cookieless_views() -> frozenset[Any]:
    """The views of PARLEY_COOKIELESS_URL_NAMES, slash-less twins included (they share the
    view but have no name of their own)."""
    return _views_named(tuple(settings.PARLEY_COOKIELESS_URL_NAMES), id(get_resolver()))


@lru_cache(maxsize=4)
def _views_named(names: tuple[str, ...], resolver_id: int) -> frozenset[Any]:
    found: dict[str, Any] = {}

    def walk(patterns: list[Any]) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns)
            elif isinstance(entry, URLPattern) and entry.name in names:
                found[entry.name] = entry.callback

    walk(get_resolver().url_patterns)
    return frozenset(found.values())
