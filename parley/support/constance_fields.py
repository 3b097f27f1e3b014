"""The admin form field of the CONTACT_US_EMAIL_TO dynamic setting."""

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def parse_email_routing(raw: str) -> dict[str, list[str]]:
    """`{"key": "a@x" | ["a@x", ...], ...}` -> `{"key": ["a@x", ...]}`, or ValidationError."""
    try:
        value = json.loads(raw)
    except (TypeError, ValueError) as error:
        raise ValidationError(f"Not valid JSON: {error}") from error
    if not isinstance(value, dict) or not value:
        raise ValidationError("Must be a non-empty JSON object from operation key to addresses.")
    routing: dict[str, list[str]] = {}
    for key, addresses in value.items():
        if not key.strip():
            raise ValidationError("Operation keys must not be blank.")
        if isinstance(addresses, str):
            addresses = [addresses]
        if not isinstance(addresses, list) or not addresses:
            raise ValidationError(f"{key!r}: give one address or a non-empty list of addresses.")
        for address in addresses:
            if not isinstance(address, str):
                raise ValidationError(f"{key!r}: {address!r} is not an e-mail address.")
            try:
                validate_email(address)
            except ValidationError as error:
                raise ValidationError(
                    f"{key!r}: {address!r} is not a valid e-mail address."
                ) from error
        routing[key] = list(addresses)
    return routing


class EmailRoutingField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        parse_email_routing(value)
        return value
