import json
from pathlib import Path
from typing import Any

import pytest
from constance import config

from parley.support.tests.factories import ContactSubjectFactory
from parley.support.tests.helpers import ROUTING


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "private"
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def routing(db: Any) -> dict[str, Any]:
    config.CONTACT_US_EMAIL_TO = json.dumps(ROUTING)
    return ROUTING


@pytest.fixture
def subject(db: Any) -> Any:
    return ContactSubjectFactory(text_en="Technical Support", text_tr="Teknik Destek")


@pytest.fixture
def order_subject(db: Any) -> Any:
    return ContactSubjectFactory(text_en="Refund", text_tr="İade", is_order_needed=True)
