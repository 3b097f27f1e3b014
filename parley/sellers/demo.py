"""One API token and one inbox member per demo seller, written into var/demo.json
(`sellers[].token`, `sellers[].inbox`).

The demo is the one place a key is kept in clear. The key is derived from SECRET_KEY and the
seller's name, so every `make run` finds the same token (it is re-activated if staff revoked
it) and var/demo.json always holds a working key; no key is stored in the database. A demo
token derived from an earlier SECRET_KEY is revoked, since its key is written nowhere now.
"""

from typing import Any

from django.conf import settings

from parley.accounts.models import User
from parley.catalog.models import DataSource
from parley.sellers import keys, services
from parley.sellers.models import SellerRole, SellerToken

DEMO_TOKEN_NAME = "demo"  # noqa: S105 - the token's label, not a secret
# Each demo seller's inbox member (owner of that seller only): inbox@<seller name>.demo...
DEMO_INBOX_PASSWORD = "parley-inbox-2026"  # noqa: S105 - a published demo password, by design


def inbox_member_seed(seller: DataSource) -> dict[str, str]:
    """The seller's demo inbox member, a member of this seller only; its password is set once
    (a changed password stays changed, like the demo customers')."""
    email = f"inbox@{seller.name}.demo.parley.localhost"
    user, created = User.objects.get_or_create(
        email=email, defaults={"first_name": "Inbox", "last_name": seller.title or seller.name}
    )
    if created:
        user.set_password(DEMO_INBOX_PASSWORD)
        user.save(update_fields=["password"])
    services.seller_member_add(datasource=seller, user=user, role=SellerRole.OWNER)
    return {"email": email, "password": DEMO_INBOX_PASSWORD}


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
        entry["inbox"] = inbox_member_seed(seller)
