"""One API token per demo seller, written in clear into var/demo.json (`sellers[].token`).

The demo is the one place a key is kept in clear. The key is derived from SECRET_KEY and the
seller's name, so every `make run` finds the same token (it is re-activated if staff revoked
it) and var/demo.json always holds a working key; no key is stored in the database. A demo
token derived from an earlier SECRET_KEY is revoked, since its key is written nowhere now.
"""

from typing import Any

from django.conf import settings

from parley.catalog.models import DataSource
from parley.sellers import keys, services
from parley.sellers.models import SellerToken

DEMO_TOKEN_NAME = "demo"  # noqa: S105 - the token's label, not a secret


def seed(demo: dict[str, Any]) -> None:
    for entry in demo["sellers"]:
        seller = DataSource.objects.get(pk=entry["id"])
        key = keys.key_derive(
            secret=settings.SECRET_KEY, label=f"parley-demo-seller-token:{seller.name}"
        )
        token = SellerToken.objects.filter(key_hash=keys.key_hash(key)).first()
        if token is None:
            token = services.seller_token_create(
                datasource=seller, name=DEMO_TOKEN_NAME, key=key
            ).token
        elif token.revoked_at is not None:
            SellerToken.objects.filter(pk=token.pk).update(revoked_at=None)
        # A demo token derived from an earlier SECRET_KEY is no longer written anywhere.
        for stale in SellerToken.objects.filter(
            datasource=seller, name=DEMO_TOKEN_NAME, revoked_at__isnull=True
        ).exclude(pk=token.pk):
            services.seller_token_revoke(token=stale)
        entry["token"] = key
