"""`Idempotency-Key` on the POSTs that create something (API.md §6), in one decorator:

    @idempotent
    def post(self, request, ...): ...

A repeat of a finished request with the same key and the same body answers the first answer's
status and body and does nothing else; with another body `422`; while the first is still in
progress `409`. Keys are the caller's own (the user, the seller, anonymously the `csrftoken`
cookie's secret) and kept 24 hours; the periodic job sweeps expired ones. Only 2xx answers are
kept: an answer that is not 2xx stored nothing (API.md §6), so a retry with the same key runs
again, which is what a retry after a 429 or a 503 needs. Without the header nothing changes.
"""

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseBase, QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from rest_framework import exceptions, status
from rest_framework.request import Request

from parley.core.callers import csrf_cookie_secret, digest
from parley.core.middleware import committed_answer_keep
from parley.core.models import IdempotencyKey

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# For the schema: what `idempotency_key_check` accepts, less a space at either end, which
# HTTP servers strip from a header value before Parley sees it.
IDEMPOTENCY_KEY_PATTERN = rf"^[!-~]([ -~]{{0,{MAX_KEY_LENGTH - 2}}}[!-~])?$"


class IdempotencyKeyInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Idempotency-Key must be 1 to 255 printable ASCII characters."
    default_code = "idempotency_key_invalid"


class IdempotencyKeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still in progress; retry later."
    default_code = "idempotency_key_in_progress"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used for another request."
    default_code = "idempotency_key_reused"


def idempotency_key_check(raw: str) -> str:
    if not 1 <= len(raw) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in raw):
        raise IdempotencyKeyInvalid()
    return raw


def caller_scope(request: Request) -> str | None:
    """Whose keys these are: a principal that names its own scope (a seller), the logged-in
    user, else the secret of the `csrftoken` cookie. None: no caller to keep keys for."""
    principal = request.user
    own = getattr(principal, "idempotency_scope", None)
    if own:
        return str(own)
    if principal is not None and principal.is_authenticated and principal.pk is not None:
        return f"user:{principal.pk}"
    secret = csrf_cookie_secret(request._request)
    return f"csrf:{digest(secret)}" if secret else None


def _canonical(value: Any) -> Any:
    if hasattr(value, "chunks") and hasattr(value, "size"):  # an uploaded file
        content = hashlib.sha256()
        for chunk in value.chunks():
            content.update(chunk)
        value.seek(0)
        return {
            "file": getattr(value, "name", ""),
            "size": value.size,
            "sha256": content.hexdigest(),
        }
    return value


def request_fingerprint(request: Request) -> str:
    """SHA-256 of the method, the path (with or without its slash: one view) and the body as
    parsed (so a form's random multipart boundary does not make a repeat look different)."""
    data = request.data
    if isinstance(data, QueryDict | MultiValueDict):
        body: Any = sorted(
            [name, [_canonical(value) for value in data.getlist(name)]] for name in data
        )
    else:
        body = data
    text = json.dumps(
        [request.method, request.path.rstrip("/") + "/", body], sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    """Either the right to run the request (`key` claimed) or the first answer to repeat."""

    key: IdempotencyKey | None
    replay: IdempotencyKey | None


def idempotency_key_claim(*, scope: str, key: str, fingerprint: str) -> Claim:
    """Claim the key, committed at once so that a concurrent repeat sees it in progress."""
    for _ in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                claimed = IdempotencyKey.objects.create(
                    scope=scope, key=key, fingerprint=fingerprint, expires_at=now + KEY_LIFETIME
                )
            return Claim(key=claimed, replay=None)
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(scope=scope, key=key).first()
        if existing is None:
            continue  # released in between: claim again
        if existing.expires_at <= now:
            IdempotencyKey.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
            continue  # expired but not yet swept: as good as absent
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if existing.status_code is None:
            raise IdempotencyKeyInProgress()
        return Claim(key=None, replay=existing)
    raise IdempotencyKeyInProgress()


def idempotency_key_complete(*, claimed: IdempotencyKey, response: HttpResponseBase) -> None:
    """Keep the answer for repeats. Runs after the request committed, so a failure here must
    not change the answer (API.md §6): it is logged, and the key stays in progress (a repeat
    gets 409 until the key expires, never a second run)."""
    try:
        IdempotencyKey.objects.filter(pk=claimed.pk).update(
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            response_body=getattr(response, "content", b""),
        )
    except Exception:
        logger.exception("idempotency: could not keep the answer for key %s", claimed.pk)


def idempotency_key_release(*, claimed: IdempotencyKey) -> None:
    """The request stored nothing (an error answer): the key may be used again."""
    try:
        IdempotencyKey.objects.filter(pk=claimed.pk).delete()
    except Exception:
        logger.exception("idempotency: could not release key %s", claimed.pk)


def idempotency_key_sweep() -> int:
    """Delete the keys past their 24 hours; run by the periodic job."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


Handler = TypeVar("Handler", bound=Callable[..., Any])


def idempotent(handler: Handler) -> Handler:
    """Make a POST handler that creates something honour `Idempotency-Key`, and make its
    committed answer final. It runs after authentication, CSRF and throttling, so the key is
    the caller's and a refused request claims nothing. A 2xx from the handler means the
    request committed: from there on its answer is that 2xx, whatever fails after (rendering,
    keeping the key's answer, the middlewares: parley.core.middleware.CommittedAnswerMiddleware).
    """

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Any:
        claimed: IdempotencyKey | None = None
        raw = request.META.get("HTTP_IDEMPOTENCY_KEY")
        if raw is not None:
            key = idempotency_key_check(raw)
            scope = caller_scope(request)
            if scope is not None:
                fingerprint = request_fingerprint(request)
                claim = idempotency_key_claim(scope=scope, key=key, fingerprint=fingerprint)
                if claim.replay is not None:
                    return _replay(claim.replay)
                claimed = claim.key
        try:
            response = handler(view, request, *args, **kwargs)
        except BaseException:
            if claimed is not None:
                idempotency_key_release(claimed=claimed)
            raise
        if not 200 <= response.status_code < 300:
            if claimed is not None:
                idempotency_key_release(claimed=claimed)
            return response
        response = _rendered(view, request, response, *args, **kwargs)
        committed_answer_keep(request._request, response)
        if claimed is not None:
            idempotency_key_complete(claimed=claimed, response=response)
        return response

    wrapper.idempotent = True  # type: ignore[attr-defined]  # read by the OpenAPI schema
    return wrapper  # type: ignore[return-value]


def _replay(stored: IdempotencyKey) -> HttpResponse:
    return HttpResponse(
        bytes(stored.response_body),
        status=stored.status_code,
        content_type=stored.content_type or None,
    )


def _rendered(view: Any, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
    """The answer rendered now, so that it can be kept; if rendering fails after the commit,
    the answer's data as plain JSON instead of a 500."""
    try:
        response = view.finalize_response(request, response, *args, **kwargs)
        render = getattr(response, "render", None)
        if render is not None:
            render()
        return response
    except Exception:
        logger.exception("rendering the answer of a committed request failed")
        data = getattr(response, "data", None)
        body = b"" if data is None else json.dumps(data, default=str).encode()
        return HttpResponse(body, status=response.status_code, content_type="application/json")
