"""Contact Us attachments: the extension must be allowed and the bytes must agree with it.

Nothing here trusts the client: not the name (only its last extension is read, after
sanitising), not the declared content type. PDF, JPEG and PNG are recognised by signature;
.doc/.xls must be OLE2 compound files holding a Word or Excel stream; .docx/.xlsx must be
Office Open XML packages whose main part is a Word document or an Excel workbook, and whose
declared uncompressed size stays under PARLEY_MAX_OOXML_UNCOMPRESSED_BYTES (ZIP bombs).

Files that are more than they claim are refused too (the upload attack corpus in
parley/security/tests finds them): a PDF or image with HTML markup where a browser sniffs, or
with a ZIP archive appended (readers of either format accept it); Office files carrying macros
(a VBA project, a macro-enabled part) or relationships that fetch something from elsewhere
when opened (remote templates, linked OLE objects, external workbooks): only web links may
point outside the file.
"""

import os
import re
import zipfile
from dataclasses import dataclass
from typing import IO, Any
from xml.etree import ElementTree

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
MAX_RELATIONSHIPS_BYTES = 4 * 1024 * 1024  # all .rels parts together
# What browsers and old sniffers take for a web page in the first bytes of a file.
HTML_SNIFF_BYTES = 1024
HTML_MARKUP = re.compile(
    rb"<\s*(!doctype|html|head|body|script|iframe|svg|object|embed|img|meta|a\s|\?xml)", re.I
)
OOXML_MACRO_MARKERS = (b"macroenabled", b"vbaproject", b"vbadata")
HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
OLE_MACRO_STORAGES = {"macros", "_vba_project_cur", "_vba_project", "vba"}


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
        if kind is None or kind.mime != mimetype:
            return False
        if HTML_MARKUP.search(head[:HTML_SNIFF_BYTES]):
            return False  # a polyglot: a browser sniffing it would render a page
        handle.seek(0)
        return not zipfile.is_zipfile(handle)  # an archive appended to the document
    if mimetype in OLE_STREAMS:
        return _is_ole_document(handle, OLE_STREAMS[mimetype])
    return _is_ooxml_package(handle, mimetype)


def _is_ole_document(handle: IO[bytes], streams: tuple[str, ...]) -> bool:
    try:
        if not olefile.isOleFile(handle):
            return False
        handle.seek(0)
        with olefile.OleFileIO(handle) as ole:
            entries = {part.lower() for path in ole.listdir(storages=True) for part in path}
            if entries & OLE_MACRO_STORAGES:
                return False  # a VBA project: macros
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
            if OOXML_MAIN_CONTENT_TYPES[mimetype] not in declared:
                return False
            lowered = declared.lower() + " ".join(names).lower().encode()
            if any(marker in lowered for marker in OOXML_MACRO_MARKERS):
                return False  # macros, whatever the main part claims
            return not _has_external_relationships(package, entries)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, RuntimeError):
        return False  # not a ZIP, a broken one, or an encrypted one


def _has_external_relationships(package: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> bool:
    """True when a relationship other than a web link points outside the package (a remote
    template, a linked OLE object, an external workbook), or the parts cannot be read."""
    budget = MAX_RELATIONSHIPS_BYTES
    for entry in entries:
        if not entry.filename.lower().endswith(".rels"):
            continue
        with package.open(entry) as part:
            data = part.read(budget + 1)
        budget -= len(data)
        if budget < 0:
            return True
        try:
            # Bounded input, and the bundled expat refuses entity expansion attacks.
            root = ElementTree.fromstring(data)  # noqa: S314
        except ElementTree.ParseError:
            return True
        for relationship in root.iter():
            if relationship.get("TargetMode", "").strip().lower() != "external":
                continue
            if relationship.get("Type", "").strip() != HYPERLINK_TYPE:
                return True
    return False
