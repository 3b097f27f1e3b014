"""Every throttle scope (API.md §1, §6). Behind the storefront's proxy every shopper has the
proxy's address, so the per-client scopes count the shopper there (parley.core.callers), and
the contact form and login also count per submitted e-mail, wherever a request comes from."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from parley.core.callers import client_address, digest, is_from_storefront, shopper_ident
from parley.core.exceptions import error_response


class ClientThrottle(SimpleRateThrottle):
    """Per client, logged in or not: the client address (DRF's get_ident, which believes
    X-Forwarded-For only as far as PARLEY_TRUSTED_PROXY_COUNT allows), or from the
    storefront's servers the shopper behind them."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": shopper_ident(request)}


class ContactUsThrottle(ClientThrottle):
    scope = "contact_us"


class ContactUsDailyThrottle(ClientThrottle):
    scope = "contact_us_daily"


class LoginThrottle(ClientThrottle):
    scope = "login"


def _submitted_email(request: Request) -> str | None:
    data = request.data
    email = data.get("email") if hasattr(data, "get") else None
    if not isinstance(email, str) or not email.strip():
        return None
    return email.strip().lower()


class SubmittedEmailThrottle(SimpleRateThrottle):
    """The scope's rate per submitted `email` too (lower-cased), so neither many addresses nor
    many shoppers can pile on one address. Its own key, beside the client's."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        email = _submitted_email(request)
        if email is None:
            return None
        return f"throttle_{self.scope}_email_{digest(email)}"


class ContactUsEmailThrottle(SubmittedEmailThrottle):
    scope = "contact_us"


class ContactUsDailyEmailThrottle(SubmittedEmailThrottle):
    scope = "contact_us_daily"


class LoginAccountThrottle(SubmittedEmailThrottle):
    """The `login` rate per account, so spreading guesses over addresses does not help;
    registration counts against it too."""

    scope = "login"


class SimilarQuestionsThrottle(ClientThrottle):
    """A storefront asks as the shopper types: a per-client budget keeps the model's CPU for
    everyone."""

    scope = "similar_questions"


class UserThrottle(SimpleRateThrottle):
    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class ConversationCreateThrottle(UserThrottle):
    scope = "conversation_create"


class AttachmentUploadThrottle(SimpleRateThrottle):
    """`attachment_upload` per caller (API.md §8): a customer by user id, a seller by seller
    (all its tokens and inbox members together)."""

    scope = "attachment_upload"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        datasource = getattr(request.user, "datasource", None)  # a seller's principal
        if datasource is not None:
            ident = f"seller-{datasource.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class SellerThrottle(SimpleRateThrottle):
    """The `seller` rate per API token (`request.auth`, a `SellerToken` of the seller API's
    authentication): each integration has its own budget. No token, no throttle."""

    scope = "seller"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        token_id = getattr(request.auth, "pk", None)
        if token_id is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": token_id}


class StorefrontThrottle(SimpleRateThrottle):
    """The ceiling of one storefront server: all its unsafe requests together."""

    scope = "storefront"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE") or not is_from_storefront(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class StorefrontCeilingMiddleware:
    """Applies the `storefront` scope to every unsafe request, whatever view it reaches, and
    answers 429 as the throttled views do."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.PARLEY_STOREFRONT_NETWORKS:
            throttle = StorefrontThrottle()
            if not throttle.allow_request(request, None):  # type: ignore[arg-type]
                return error_response(Throttled(throttle.wait()))
        return self.get_response(request)
