import hashlib

from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView


class ClientAddressThrottle(AnonRateThrottle):
    """Per client address, logged in or not. The address comes from DRF's get_ident, which
    believes X-Forwarded-For only as far as PARLEY_TRUSTED_PROXY_COUNT allows."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ContactUsThrottle(ClientAddressThrottle):
    scope = "contact_us"


class ContactUsDailyThrottle(ClientAddressThrottle):
    scope = "contact_us_daily"


class LoginThrottle(ClientAddressThrottle):
    scope = "login"


class UserThrottle(SimpleRateThrottle):
    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class ConversationCreateThrottle(UserThrottle):
    scope = "conversation_create"


class LoginAccountThrottle(SimpleRateThrottle):
    """The `login` rate per account too, so spreading guesses over addresses does not help."""

    scope = "login"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return f"throttle_login_account_{ident}"
