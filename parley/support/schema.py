"""OpenAPI: the Contact Us `operation` field names the keys of CONTACT_US_EMAIL_TO as they are
when the schema is read."""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

from parley.support import selectors


class OperationKeyFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "parley.support.apis.OperationKeyField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {
            "type": "string",
            "enum": selectors.contact_us_operation_keys(),
            "description": "A key of the dynamic setting `CONTACT_US_EMAIL_TO`, which staff "
            "edit at run time: these are its keys when this schema was generated (fetch it "
            f"again after a change). Absent, empty or null means "
            f"`{selectors.DEFAULT_OPERATION}`; any other value is `400` naming `operation`.",
        }
