"""What the support tests share besides factories and fixtures (conftest.py)."""

from pathlib import Path

# The contact form's routing that the `routing` fixture configures.
ROUTING = {
    "contact_us": "support@shop.example",
    "franchise": ["franchise@shop.example", "owner@shop.example"],
}


def stored_files(root: Path) -> list[Path]:
    """The files under `root` (the private media of the `private_media` fixture)."""
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []
