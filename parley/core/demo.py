"""The demo shop that `make run` serves. Each app seeds its own part, in this order, into one
shared description that is written to var/demo.json for scripts and people."""

import importlib
from typing import Any

from django.db import transaction

DEMO_SEEDERS = [
    "parley.accounts.demo",
    "parley.catalog.demo",
    "parley.support.demo",
    "parley.conversations.demo",
    "parley.sellers.demo",
]


@transaction.atomic
def demo_seed() -> dict[str, Any]:
    """Create the demo data if it is missing (idempotent) and describe it."""
    demo: dict[str, Any] = {
        "customers": [],
        "sellers": [],
        "products": [],
        "orders": [],
        "subjects": [],
        "contact_us_email_to": {},
    }
    for module in DEMO_SEEDERS:
        importlib.import_module(module).seed(demo)
    return demo
