"""Seller tokens hold no customer's data. See parley/core/privacy.py."""

from parley.core.privacy import no_personal_data
from parley.sellers.models import SellerToken

no_personal_data(SellerToken, "a seller's API key: its name says what it is for, a hash")
