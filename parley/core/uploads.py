"""Upload handlers that stop a file at the size limit while it streams in."""

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import (
    MemoryFileUploadHandler,
    TemporaryFileUploadHandler,
)
from rest_framework.exceptions import ValidationError


class _SizeLimitMixin:
    field_name: str

    def _check(self, received: int) -> None:
        limit = settings.PARLEY_MAX_UPLOAD_BYTES
        if received > limit:
            raise ValidationError(
                {self.field_name: [f"The file is too large: at most {limit} bytes are allowed."]}
            )


class SizeLimitedMemoryFileUploadHandler(_SizeLimitMixin, MemoryFileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        self._received = 0
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._received = start + len(raw_data)
        self._check(self._received)
        return super().receive_data_chunk(raw_data, start)


class SizeLimitedTemporaryFileUploadHandler(_SizeLimitMixin, TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._check(start + len(raw_data))
        return super().receive_data_chunk(raw_data, start)
