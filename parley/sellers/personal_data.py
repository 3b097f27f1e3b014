"""Seller tokens, inbox memberships and saved replies hold no customer's data. See
parley/core/privacy.py."""

from parley.core.privacy import no_personal_data
from parley.sellers.models import SavedReply, SellerMembership, SellerToken

no_personal_data(SellerToken, "a seller's API key: its name says what it is for, a hash")
no_personal_data(
    SellerMembership,
    "which account works in which seller's inbox, and its role; the account is the accounts "
    "section's",
)
no_personal_data(SavedReply, "a seller's own reply templates: written by the seller, about no one")
