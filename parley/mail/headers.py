"""Header safety: nothing a client typed can add a header line or a path to a file name."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# The file name rules live at the bottom layer (parley.core.filenames), shared with the file
# checker and the attachment downloads; the mail outbox keeps importing them from here.
from parley.core.filenames import MAX_FILENAME_BYTES as MAX_FILENAME_BYTES
from parley.core.filenames import filename_sanitise as filename_sanitise
from parley.core.filenames import is_control as _is_control


def header_text_clean(value: str) -> str:
    """One header line: every control character (CR and LF above all) becomes a space."""
    cleaned = "".join(" " if _is_control(char) else char for char in value)
    return " ".join(cleaned.split())


def address_validate(address: str) -> str:
    """An address for To/Reply-To: refused outright if it could smuggle a header."""
    if not isinstance(address, str) or any(_is_control(char) for char in address):
        raise ValidationError(f"{address!r} is not a valid e-mail address.")
    address = address.strip()
    validate_email(address)
    return address
