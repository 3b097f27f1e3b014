import json
from pathlib import Path
from typing import Any

import pytest
from constance import config


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "private"
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def routing(db: Any) -> None:
    config.CONTACT_US_EMAIL_TO = json.dumps({"contact_us": "support@shop.example"})
