"""Contact Us attachments: the extension must be allowed and the bytes must agree with it.

The judging is the project's one file checker (`parley.core.files`); this module names the
kinds the Contact Us form takes, judged by signature (API.md §3): PDF, JPEG, PNG, DOC, XLS,
DOCX, XLSX. The bytes are stored and mailed as they came.
"""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from parley.core.files import (
    DOC,
    DOCX,
    JPEG,
    OOXML_MAIN_CONTENT_TYPES,
    PDF,
    PNG,
    XLS,
    XLSX,
    CheckedFile,
    FileKind,
    file_check,
    kinds_by_extension,
)

__all__ = ["DOCX", "OOXML_MAIN_CONTENT_TYPES", "XLSX", "CheckedAttachment", "attachment_check"]

CONTACT_US_KINDS = (
    FileKind(PDF, (".pdf",)),
    FileKind(JPEG, (".jpg", ".jpeg")),
    FileKind(PNG, (".png",)),
    FileKind(DOC, (".doc",)),
    FileKind(XLS, (".xls",)),
    FileKind(DOCX, (".docx",)),
    FileKind(XLSX, (".xlsx",)),
)
ALLOWED_EXTENSIONS: dict[str, str] = {
    extension: kind.mimetype for extension, kind in kinds_by_extension(CONTACT_US_KINDS).items()
}
CheckedAttachment = CheckedFile


def attachment_check(upload: UploadedFile) -> CheckedAttachment:
    """Accept the upload or raise ApplicationError(field="file") saying why not."""
    return file_check(upload, kinds=CONTACT_US_KINDS, max_bytes=settings.PARLEY_MAX_UPLOAD_BYTES)
