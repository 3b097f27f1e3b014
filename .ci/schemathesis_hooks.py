"""Hooks of the live schema run (.ci/schemathesis_live.py): half the generated ids in paths,
and half the ids in a new conversation's body, name what exists in the demo shop and belongs
to the logged-in customer, so that the run also reaches past the first 404 or 400 into the
services. The other half stay as generated."""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis
from hypothesis import strategies as st

DEMO = json.loads(open(os.environ["PARLEY_FUZZ_DEMO"]).read())  # noqa: SIM115
CUSTOMER = DEMO["customers"][0]["id"]
SELLER = DEMO["sellers"][0]["id"]
OWN_CONVERSATIONS = [c["id"] for c in DEMO["conversations"] if c["user"] == CUSTOMER]
SELLER_CONVERSATIONS = [c["id"] for c in DEMO["conversations"] if c["datasource"] == SELLER]
PRODUCTS = [p["pk"] for p in DEMO["products"] if p["datasource"] == SELLER]


def _real_ids(path: str, parameters: dict[str, Any]) -> dict[str, Any]:
    real = dict(parameters)
    if "product_id" in real:
        real["product_id"] = PRODUCTS[0]
    if "conversation_id" in real:
        owned = SELLER_CONVERSATIONS if path.startswith("/seller/") else OWN_CONVERSATIONS
        real["conversation_id"] = owned[0]
    return real


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: Any) -> Any:
    if context.operation is None or not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, _real_ids(context.operation.path, path_parameters)])


@schemathesis.hook
def flatmap_body(context: Any, body: Any) -> Any:
    if (
        context.operation is None
        or context.operation.path != "/users/conversations/"
        or not isinstance(body, dict)
    ):
        return st.just(body)
    own = body | {"user": CUSTOMER, "content_id": CUSTOMER, "datasource": SELLER}
    return st.sampled_from([body, own])
