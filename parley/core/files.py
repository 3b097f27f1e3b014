"""The one file checker of the project: what an upload really is, judged from its bytes.

Nothing here trusts the client: not the name (only its last extension is read, after
sanitising), not the declared content type. Each use passes its own list of allowed kinds:
the Contact Us form (`parley.support.attachments`: PDF, JPEG, PNG, DOC, XLS, DOCX, XLSX) and
message attachments (`parley.conversations`: JPEG, PNG, WebP, PDF; API.md §8).

Two levels of judging:
- by signature (the Contact Us kinds): PDF, JPEG and PNG are recognised by their first bytes;
  .doc/.xls must be OLE2 compound files holding a Word or Excel stream; .docx/.xlsx must be
  Office Open XML packages whose main part is a Word document or an Excel workbook, and whose
  declared uncompressed size stays under PARLEY_MAX_OOXML_UNCOMPRESSED_BYTES (ZIP bombs);
- cleaned (the message kinds): images are decoded and re-encoded with Pillow, which drops
  EXIF (a photo's GPS position) and any bytes appended after the image; images over
  PARLEY_MAX_IMAGE_PIXELS (decompression bombs) and truncated ones are refused. PDFs are
  opened with pikepdf and refused when they carry JavaScript, launch actions or embedded
  files, or cannot be parsed.

Files that are more than they claim are refused at both levels (the upload attack corpus in
parley/security/tests finds them): a file with HTML markup where a browser sniffs (a
polyglot), a PDF or a signature-checked image with a ZIP archive appended (readers of either
format accept it); Office files carrying macros (a VBA project, a macro-enabled part) or
relationships that fetch something from elsewhere when opened (remote templates, linked OLE
objects, external workbooks): only web links may point outside the file.
"""

import io
import os
import re
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any
from xml.etree import ElementTree

import filetype
import olefile
import pikepdf
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from parley.core.exceptions import ApplicationError
from parley.core.filenames import filename_sanitise

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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
# A PDF's objects walked at most (a forged file could nest without end): more is refused.
MAX_PDF_NODES = 500_000
# What a PDF may not carry: script, actions that start programs, files inside it.
PDF_FORBIDDEN_KEYS = {"/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/EF"}
PDF_FORBIDDEN_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/Rendition", "/SubmitForm"}
PDF_FORBIDDEN_SUBTYPES = {"/FileAttachment", "/RichMedia", "/Sound", "/Movie", "/3D"}
# Pillow's format names for the image kinds, and how each is written back.
PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
# The kinds a browser may sniff as a page when markup sits in their first bytes (a ZIP-based
# Office file holds XML by design, and is judged by its parts instead).
SNIFFED = (PDF, JPEG, PNG, WEBP)


class FileRefused(ApplicationError):
    """The upload is not an allowed file; `field` names the form field (`file`)."""


@dataclass(frozen=True)
class FileKind:
    """An allowed kind of file for one use: its type, the names it may carry, and whether
    it is cleaned (images re-encoded, PDFs inspected) or judged by its signature only."""

    mimetype: str
    extensions: tuple[str, ...]
    cleaned: bool = False


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    filename: str  # sanitised display name
    extension: str  # lower case, one of the kind's
    mimetype: str  # ours, from the kind; never the client's
    size: int  # of what is stored
    content: bytes | None = None  # the cleaned bytes (a re-encoded image), to store instead

    def stored_file(self) -> "File[Any]":
        """What to save in storage: the cleaned bytes, or the upload as it came."""
        if self.content is not None:
            return ContentFile(self.content)
        self.upload.seek(0)
        return self.upload


def kinds_by_extension(kinds: Sequence[FileKind]) -> dict[str, FileKind]:
    return {extension: kind for kind in kinds for extension in kind.extensions}


def _refuse(message: str, field: str) -> FileRefused:
    return FileRefused(message, field=field)


def file_check(
    upload: UploadedFile, *, kinds: Sequence[FileKind], max_bytes: int, field: str = "file"
) -> CheckedFile:
    """Accept the upload as one of `kinds` or raise FileRefused(field=field) saying why not."""
    allowed = kinds_by_extension(kinds)
    filename = filename_sanitise(upload.name or "")
    extension = os.path.splitext(filename)[1].lower()
    if extension not in allowed:
        raise _refuse(
            _("Unsupported file type. Allowed: %(allowed)s.") % {"allowed": ", ".join(allowed)},
            field,
        )
    size = upload.size or 0
    if size == 0:
        raise _refuse(_("The submitted file is empty."), field)
    if size > max_bytes:
        raise _refuse(
            _("The file is too large: at most %(limit)s bytes are allowed.") % {"limit": max_bytes},
            field,
        )
    kind = allowed[extension]
    not_valid = _("The file's content is not a valid %(extension)s file.") % {
        "extension": extension
    }
    upload.seek(0)
    try:
        head = upload.read(8192)
        upload.seek(0)
        if kind.mimetype in SNIFFED and HTML_MARKUP.search(head[:HTML_SNIFF_BYTES]):
            raise _refuse(not_valid, field)  # a polyglot: a browser sniffing it renders a page
        content = None
        if kind.cleaned and kind.mimetype in PIL_FORMATS:
            content = _image_reencode(upload, kind.mimetype, not_valid, field)
        elif not _content_matches(upload, head, kind.mimetype):
            raise _refuse(not_valid, field)
        elif kind.cleaned and kind.mimetype == PDF:
            upload.seek(0)
            _pdf_inspect(upload, not_valid, field)
    finally:
        upload.seek(0)
    if content is not None:
        size = len(content)
        if size > max_bytes:
            raise _refuse(
                _("The file is too large: at most %(limit)s bytes are allowed.")
                % {"limit": max_bytes},
                field,
            )
    return CheckedFile(
        upload=upload,
        filename=filename,
        extension=extension,
        mimetype=kind.mimetype,
        size=size,
        content=content,
    )


def _content_matches(handle: Any, head: bytes, mimetype: str) -> bool:
    if mimetype in (PDF, JPEG, PNG, WEBP):
        kind = filetype.guess(head)
        if kind is None or kind.mime != mimetype:
            return False
        handle.seek(0)
        return not zipfile.is_zipfile(handle)  # an archive appended to the document
    if mimetype in OLE_STREAMS:
        return _is_ole_document(handle, OLE_STREAMS[mimetype])
    return _is_ooxml_package(handle, mimetype)


# --- Cleaned kinds: images re-encoded, PDFs inspected ----------------------------------------


def _image_reencode(handle: Any, mimetype: str, not_valid: str, field: str) -> bytes:
    """Decode the image and write it again: only the pixels survive (no EXIF, no GPS, no
    comments, nothing appended after the image). The pixel count is read from the header and
    refused before anything is decoded; a truncated image fails to decode and is refused."""
    limit = settings.PARLEY_MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(handle, formats=[PIL_FORMATS[mimetype]]) as image:
                width, height = image.size
                if width * height > limit:
                    raise _refuse(
                        _("The image is too large: at most %(limit)s pixels are allowed.")
                        % {"limit": limit},
                        field,
                    )
                image.load()
                upright = ImageOps.exif_transpose(image)  # the EXIF turn, before EXIF goes
                pixels = upright.copy()
                # Pillow writes back what `info` holds (EXIF, comments, ICC, XMP): nothing.
                pixels.info = {}
                return _image_write(pixels, mimetype)
    except FileRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(
            _("The image is too large: at most %(limit)s pixels are allowed.") % {"limit": limit},
            field,
        ) from None
    except Exception:  # Pillow raises many kinds for broken, truncated or forged images
        raise _refuse(not_valid, field) from None


def _image_write(image: Image.Image, mimetype: str) -> bytes:
    output = io.BytesIO()
    if mimetype == JPEG:
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(output, format="JPEG", quality=90, optimize=True)
    elif mimetype == PNG:
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
            image = image.convert("RGBA")
        image.save(output, format="PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.mode else "RGB")
        image.save(output, format="WEBP", quality=90)
    return output.getvalue()


def _pdf_inspect(handle: Any, not_valid: str, field: str) -> None:
    """Open the PDF with pikepdf and walk every object: JavaScript (`/JS`, the `/JavaScript`
    name tree, a JavaScript open action), `/Launch` and the other actions that run or send
    something, embedded files (`/EmbeddedFiles`, `/FileAttachment` annotations) are refused,
    and so is a file that cannot be parsed or is encrypted."""
    try:
        with pikepdf.open(handle) as pdf:
            if pdf.is_encrypted:
                raise _refuse(not_valid, field)
            if _pdf_has_active_content(pdf):
                raise _refuse(
                    _("PDF files with scripts, actions or embedded files are not allowed."),
                    field,
                )
    except FileRefused:
        raise
    except Exception:  # pikepdf raises PdfError and others for broken or forged files
        raise _refuse(not_valid, field) from None


def _pdf_has_active_content(pdf: pikepdf.Pdf) -> bool:
    budget = MAX_PDF_NODES
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [pdf.trailer, *pdf.objects]
    while stack:
        budget -= 1
        if budget < 0:
            return True  # too deep or too large to judge: refused
        node = stack.pop()
        if isinstance(node, pikepdf.Object) and node.is_indirect:
            ref = node.objgen
            if ref in seen:
                continue
            seen.add(ref)
        if isinstance(node, pikepdf.Stream):
            node = node.stream_dict
        if isinstance(node, pikepdf.Dictionary):
            keys = set(node.keys())
            if keys & PDF_FORBIDDEN_KEYS:
                return True
            if str(node.get("/S", "")) in PDF_FORBIDDEN_ACTIONS:
                return True
            if str(node.get("/Subtype", "")) in PDF_FORBIDDEN_SUBTYPES:
                return True
            if str(node.get("/Type", "")) in ("/EmbeddedFile", "/Filespec") and "/EF" in keys:
                return True
            stack.extend(node[key] for key in keys)
        elif isinstance(node, pikepdf.Array):
            stack.extend(node)
    return False


# --- Signature-checked Office files ----------------------------------------------------------


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
