"""JSON rendering with orjson, for the endpoints whose answers are large."""

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer

# Datetimes and dataclasses go through DRF's encoder (its own ISO format, milliseconds), as
# does anything orjson does not know (Decimal, lazy strings, ...); non-string keys become
# strings as with the json module.
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
)
_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class OrjsonRenderer(JSONRenderer):
    """DRF's `JSONRenderer`, byte for byte (compact, UTF-8, U+2028/U+2029 escaped), faster
    (figures: docs/PERFORMANCE.md). An indented answer (`Accept: application/json;
    indent=4`) and anything orjson refuses (an integer beyond 64 bits) go through DRF's
    renderer. One difference: a
    float NaN or infinity renders as null where DRF's strict renderer fails; none of these
    endpoints has a float."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}) is None:
            try:
                rendered = orjson.dumps(data, default=self.encoder_class().default, option=_OPTIONS)
            except (orjson.JSONEncodeError, ValueError, TypeError):
                pass
            else:
                if _LINE_SEPARATOR in rendered or _PARAGRAPH_SEPARATOR in rendered:
                    rendered = rendered.replace(_LINE_SEPARATOR, b"\\u2028").replace(
                        _PARAGRAPH_SEPARATOR, b"\\u2029"
                    )
                return rendered
        return super().render(data, accepted_media_type, renderer_context)
