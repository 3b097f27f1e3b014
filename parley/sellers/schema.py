"""How the OpenAPI schema describes seller token authentication."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SellerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "parley.sellers.authentication.SellerTokenAuthentication"
    name = "sellerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`, a seller API key (`psk_` and 40 letters or digits).",
        }
