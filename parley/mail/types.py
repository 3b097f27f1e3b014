from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class EmailAttachmentRef:
    """A file already in default storage, attached by reference so the outbox row stays small.

    `filename` is what the recipient sees; the outbox sanitises it again before use.
    """

    storage_name: str
    filename: str
    mimetype: str = "application/octet-stream"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)
