from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request


class CsrfSessionAuthentication(SessionAuthentication):
    """Session authentication that checks CSRF on every unsafe request, anonymous ones too.

    DRF's own class checks CSRF only for logged-in users, which would leave the public
    Contact Us form open to cross-site posting; the contract asks for the token there too.
    """

    def authenticate(self, request: Request):
        if request.method not in SAFE_METHODS:
            self.enforce_csrf(request)
        user = getattr(request._request, "user", None)
        if not user or not user.is_active:
            return None
        return (user, None)
