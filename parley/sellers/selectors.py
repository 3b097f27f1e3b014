"""Reads of the seller side."""

from parley.sellers import keys
from parley.sellers.models import SellerToken


def seller_token_get_for_key(key: str) -> SellerToken | None:
    """The token this key belongs to, with its seller, revoked or not; None if there is none."""
    if not keys.key_is_well_formed(key):
        return None
    return (
        SellerToken.objects.select_related("datasource").filter(key_hash=keys.key_hash(key)).first()
    )
