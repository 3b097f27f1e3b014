"""The test suite: SQLite in memory unless DATABASE_URL names PostgreSQL."""

import tempfile
from pathlib import Path

from config.settings.base import *  # noqa: F403
from config.settings.base import ALLOWED_HOSTS, DATABASES, env

if "DATABASE_URL" not in env.ENVIRON:
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
    }
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CONSTANCE_DATABASE_CACHE_BACKEND = None  # a local-memory cache: read settings from the db
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = ""
DEBUG = False
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # the test client's host
# Each test client loads the middleware anew: look static files up when asked, rather than
# listing every one of them for each client.
WHITENOISE_AUTOREFRESH = True
PARLEY_MAIL_SEND_IN_THREAD = False  # tests run the send task inline after the commit
PARLEY_BACKGROUND_IN_THREAD = False  # after-commit jobs run inline, so tests see their effect
PARLEY_WEBHOOK_SEND_IN_THREAD = False  # tests deliver inline after the commit
PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS = False  # tests that need a loopback receiver say so
# Files the tests store (attachments) go to a directory of this run, never to var/private.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="parley-test-media-"))
