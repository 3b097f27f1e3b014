import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import serializers

# The largest id a path or a body may name: a signed 64-bit integer, the primary keys' type.
MAX_ID = 2**63 - 1


def reject_control_characters(value: str) -> None:
    """Single-line fields carry no CR, LF, NUL or other control characters (header safety)."""
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValidationError("Control characters (such as line breaks) are not allowed here.")


def reject_nul(value: str) -> None:
    """Multi-line text may hold line breaks but never NUL, which PostgreSQL cannot store."""
    if "\x00" in value:
        raise ValidationError("NUL characters are not allowed.")


def given_fields(
    data: Mapping[str, Any], names: Iterable[str], *, optional: Iterable[str]
) -> dict[str, Any]:
    """The one "blank means absent" rule (API.md §1): of `data`, the fields in `names` (extras
    are ignored) as a plain dict (so that DRF does not read a missing boolean of a QueryDict
    as false), without the `optional` ones that arrive as "" or null: they mean "not given".
    A serializer names them once, in `absent_when_empty` (core.schema.SchemaPrecision), which
    the OpenAPI schema reads too."""
    blank_means_absent = set(optional)
    return {
        name: data[name]
        for name in names
        if name in data and not (name in blank_means_absent and data[name] in ("", None))
    }


class StringField(serializers.CharField):
    """A string and only a string, as the schema says: DRF's CharField would also take the
    number 5 as "5" (and JSON `true` is refused there already)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class SingleLineField(StringField):
    """A trimmed one-line string: names, e-mails, phones, subjects."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(reject_control_characters)


class TextField(StringField):
    """Free text (messages): line breaks allowed, NUL refused."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(reject_nul)


class EmailAddressField(serializers.EmailField):
    """An e-mail address, trimmed, lower-cased, at most 254 characters, on one line."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)
        self.validators.insert(0, reject_control_characters)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data).lower()


class IdField(serializers.IntegerField):
    """A database id, given as a number or a numeric string; never a bool or a float."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, (bool, float)):
            self.fail("invalid")
        # ASCII digits only: str.isdigit() and int() also take "٣" or "１２", which no client
        # means as an id and which would let one id be spelled many ways.
        if isinstance(data, str) and not (data.strip().isascii() and data.strip().isdigit()):
            self.fail("invalid")
        return super().to_internal_value(data)
