"""Contact Us attachments: the extension must be allowed and the bytes must agree with it.

Nothing here trusts the client: not the name (only its last extension is read, after
sanitising), not the declared content type. PDF, JPEG and PNG are recognised by signature;
.doc/.xls must be OLE2 compound files holding a Word or Excel stream; .docx/.xlsx must be
Office Open XML packages whose main part is a Word document or an Excel workbook, and whose
declared uncompressed size stays under PARLEY_MAX_OOXML_UNCOMPRESSED_BYTES (ZIP bombs).
"""

import os
import zipfile
from dataclasses import dataclass
from typing import IO, Any

import filetype
import olefile
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from parley.core.exceptions import ApplicationError
from parley.mail.headers import filename_sanitise

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ALLOWED_EXTENSIONS: dict[str, str] = {
    ".pdf": PDF,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".png": PNG,
    ".doc": DOC,
    ".xls": XLS,
    ".docx": DOCX,
    ".xlsx": XLSX,
}
# The main part of a package, as [Content_Types].xml declares it (macro-enabled kinds differ).
OOXML_MAIN_CONTENT_TYPES = {
    DOCX: b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    XLSX: b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
OOXML_MAIN_PARTS = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}
OLE_STREAMS = {DOC: ("WordDocument",), XLS: ("Workbook", "Book")}
MAX_OOXML_ENTRIES = 10_000
MAX_CONTENT_TYPES_BYTES = 1024 * 1024


@dataclass(frozen=True)
class CheckedAttachment:
    upload: UploadedFile
    filename: str  # sanitised display name
    extension: str  # lower case, from ALLOWED_EXTENSIONS
    mimetype: str  # ours, from the extension; never the client's
    size: int


def _refuse(message: str) -> ApplicationError:
    return ApplicationError(message, field="file")


def attachment_check(upload: UploadedFile) -> CheckedAttachment:
    """Accept the upload or raise ApplicationError(field="file") saying why not."""
    filename = filename_sanitise(upload.name or "")
    extension = os.path.splitext(filename)[1].lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise _refuse(
            _("Unsupported file type. Allowed: %(allowed)s.")
            % {"allowed": ", ".join(ALLOWED_EXTENSIONS)}
        )
    size = upload.size or 0
    if size == 0:
        raise _refuse(_("The submitted file is empty."))
    limit = settings.PARLEY_MAX_UPLOAD_BYTES
    if size > limit:
        raise _refuse(
            _("The file is too large: at most %(limit)s bytes are allowed.") % {"limit": limit}
        )
    mimetype = ALLOWED_EXTENSIONS[extension]
    upload.seek(0)
    try:
        matches = _content_matches(upload, mimetype)
    finally:
        upload.seek(0)
    if not matches:
        raise _refuse(
            _("The file's content is not a valid %(extension)s file.") % {"extension": extension}
        )
    return CheckedAttachment(
        upload=upload, filename=filename, extension=extension, mimetype=mimetype, size=size
    )


def _content_matches(handle: Any, mimetype: str) -> bool:
    if mimetype in (PDF, JPEG, PNG):
        head = handle.read(8192)
        kind = filetype.guess(head)
        return kind is not None and kind.mime == mimetype
    if mimetype in OLE_STREAMS:
        return _is_ole_document(handle, OLE_STREAMS[mimetype])
    return _is_ooxml_package(handle, mimetype)


def _is_ole_document(handle: IO[bytes], streams: tuple[str, ...]) -> bool:
    try:
        if not olefile.isOleFile(handle):
            return False
        handle.seek(0)
        with olefile.OleFileIO(handle) as ole:
            return any(ole.exists(stream) for stream in streams)
    except Exception:  # a forged or truncated compound file; olefile raises many kinds
        return False


def _is_ooxml_package(handle: IO[bytes], mimetype: str) -> bool:
    try:
        with zipfile.ZipFile(handle) as package:
            entries = package.infolist()
            if len(entries) > MAX_OOXML_ENTRIES:
                return False
            # The declared sizes are what a reader unpacks; zipfile stops at the declared
            # size, so a lying header cannot make us read more than this either.
            if sum(entry.file_size for entry in entries) > (
                settings.PARLEY_MAX_OOXML_UNCOMPRESSED_BYTES
            ):
                return False
            names = {entry.filename for entry in entries}
            if "[Content_Types].xml" not in names or OOXML_MAIN_PARTS[mimetype] not in names:
                return False
            with package.open("[Content_Types].xml") as content_types:
                declared = content_types.read(MAX_CONTENT_TYPES_BYTES)
            return OOXML_MAIN_CONTENT_TYPES[mimetype] in declared
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, RuntimeError):
        return False  # not a ZIP, a broken one, or an encrypted one
