"""`OrjsonRenderer` writes the bytes DRF's `JSONRenderer` writes."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from parley.core.renderers import OrjsonRenderer

SAMPLES = [
    {"results": [{"id": 1, "name": "Kazak ğüşiöç", "ok": True, "none": None}], "count": 2},
    [1, 2.5, "a\u2028b\u2029c", {"nested": ["x", {"y": []}]}],
    {"when": datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=UTC), "day": date(2026, 11, 27)},
    {"price": Decimal("12.30"), "id": uuid.UUID(int=7), 3: "int key", "lazy": gettext_lazy("x")},
    {"detail": "Not found.", "escaped": 'quote " back \\ slash \n tab \t ctrl \x01'},
    {"big": 2**70},
    [],
    "",
]


@pytest.mark.parametrize("data", SAMPLES)
def test_the_bytes_are_drfs(data):
    assert OrjsonRenderer().render(data) == JSONRenderer().render(data)


def test_an_indented_answer_is_drfs():
    data = {"a": [1, {"b": "c"}]}
    media_type = "application/json; indent=4"
    rendered = OrjsonRenderer().render(data, media_type, {})
    assert rendered == JSONRenderer().render(data, media_type, {})
    assert b"\n    " in rendered


def test_nothing_renders_as_nothing():
    assert OrjsonRenderer().render(None) == b""
