"""Settings shared by every mode. Development defaults are safe; secrets have none in production."""

import ipaddress
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django_guid.integrations import CeleryIntegration

from config.env import BASE_DIR, env

logger = logging.getLogger("parley.settings")

VAR_DIR = Path(env.str("PARLEY_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="parley-development-only-not-a-secret")
# Loopback only by default: `make run` listens on 127.0.0.1. Behind a reverse proxy, name the
# host(s) the proxy forwards (the Host header it sends).
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "modeltranslation",  # must precede django.contrib.admin
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",  # make dev serves static files as make run does
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the docs UI served locally, no CDN
    "constance",
    "django_prometheus",
    "django_guid",
    "django_htmx",
    "parley.core",
    "parley.ops",
    "parley.accounts",
    "parley.catalog",
    "parley.mail",
    "parley.webhooks",
    "parley.support",
    "parley.moderation",
    "parley.conversations",
    "parley.sellers",
    "parley.similar",
    "parley.privacy",  # last: its admin adds the privacy actions to the users list
]

MIDDLEWARE = [
    "parley.core.middleware.CommittedAnswerMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_guid.middleware.guid_middleware",
    "parley.core.middleware.BodySizeLimitMiddleware",
    "parley.core.middleware.SharedCacheMiddleware",  # outside LocaleMiddleware: sees its Vary
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "parley.core.throttles.StorefrontCeilingMiddleware",
    "parley.core.middleware.NoCookiesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "parley.core.middleware.DatabaseUnavailableMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False  # every path answers with and without its slash, without a redirect

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# SQLite is the embedded default. IMMEDIATE transactions take the write lock at BEGIN, so
# parallel writers queue on the busy timeout instead of failing with "database is locked"
# when a read lock would have to be upgraded; WAL lets readers run beside the writer.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'parley.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
            ),
        }
    )
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, reading timestamps faster (see the module's docstring).
        DATABASES["default"]["ENGINE"] = "parley.core.postgresql"
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=False):
        # Parameters bound by the server, and a statement run five times on a connection is
        # prepared (psycopg's default): PostgreSQL plans the pages' queries once per
        # connection, not per request. Off by default, as in Django: a pooler in transaction
        # mode (PgBouncer without max_prepared_statements, RDS Proxy) cannot keep a prepared
        # statement with its connection. On for direct connections (deploy/local.env).
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://parley")}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "parley.accounts.backends.UserBackend",
    # Only for sessions made before UserBackend, which name it (see parley/accounts/backends.py).
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sessions and CSRF: the names the storefront client expects ---------------------------
SESSION_COOKIE_NAME = "osessionid"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
# Every logged-in request reads its session: from the shared cache (Redis through CACHE_URL)
# when there is one, the database behind it (written through, read on a cache miss); with a
# per-process cache, from the database alone (a cache per process would keep serving a session
# that another process ended).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.db"
    if CACHES["default"]["BACKEND"].endswith(".LocMemCache")
    else "django.contrib.sessions.backends.cached_db"
)
CSRF_COOKIE_NAME = "csrftoken"
CSRF_HEADER_NAME = "HTTP_X_CSRFTOKEN"
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)

# --- Languages ----------------------------------------------------------------------------
_LANGUAGE_NAMES = {"en": "English", "tr": "Türkçe", "de": "Deutsch", "fr": "Français"}
_language_codes = env.list("PARLEY_LANGUAGES", default=["en", "tr"])
LANGUAGES = [(code, _LANGUAGE_NAMES.get(code, code)) for code in _language_codes]
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default=_language_codes[0])
MODELTRANSLATION_DEFAULT_LANGUAGE = LANGUAGE_CODE
MODELTRANSLATION_FALLBACK_LANGUAGES = (LANGUAGE_CODE,)
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True

# --- Static files (the admin's and the API docs') ------------------------------------------
# WhiteNoise serves them in every mode. Here (make run, make dev, the tests) straight from the
# installed apps: no collect step, nothing to go stale after an upgrade. Production collects
# them into STATIC_ROOT, compressed (config/settings/production.py).
STATIC_URL = "static/"
STATIC_ROOT: Path | None = None
WHITENOISE_USE_FINDERS = True

# --- Files --------------------------------------------------------------------------------
# Attachments live in private storage: MEDIA_URL is never routed, and staff download them
# through the admin only.
MEDIA_ROOT = Path(env.str("PARLEY_MEDIA_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {
        "BACKEND": env.str(
            "PARLEY_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage"
        ),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# With PARLEY_FILE_STORAGE=storages.backends.s3.S3Storage (django-storages) files live in a
# private bucket: credentials come from boto3's own chain (AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, or the instance's role), downloads are presigned URLs.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_DEFAULT_ACL = "private"
AWS_QUERYSTRING_AUTH = True
AWS_QUERYSTRING_EXPIRE = 300
AWS_S3_FILE_OVERWRITE = False
AWS_S3_SIGNATURE_VERSION = "s3v4"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_HANDLERS = [
    "parley.core.uploads.SizeLimitedMemoryFileUploadHandler",
    "parley.core.uploads.SizeLimitedTemporaryFileUploadHandler",
]
PARLEY_MAX_UPLOAD_BYTES = env.int("PARLEY_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
# An Office Open XML attachment (.docx, .xlsx) may not unpack to more than this (ZIP bombs).
PARLEY_MAX_OOXML_UNCOMPRESSED_BYTES = env.int(
    "PARLEY_MAX_OOXML_UNCOMPRESSED_BYTES", default=100 * 1024 * 1024
)
PARLEY_MAX_JSON_BODY_BYTES = env.int("PARLEY_MAX_JSON_BODY_BYTES", default=1024 * 1024)
PARLEY_MAX_MULTIPART_BODY_BYTES = env.int(
    "PARLEY_MAX_MULTIPART_BODY_BYTES", default=11 * 1024 * 1024
)
DATA_UPLOAD_MAX_MEMORY_SIZE = PARLEY_MAX_JSON_BODY_BYTES
# Message attachments (API.md §8): images are decoded and re-encoded; one with more pixels
# than this is refused before it is decoded (decompression bombs). 40 megapixels: a phone's
# full-resolution photo; RGB decoding needs about 3 bytes a pixel.
PARLEY_MAX_IMAGE_PIXELS = env.int("PARLEY_MAX_IMAGE_PIXELS", default=40_000_000)
# How long a presigned download URL lives when the files are on S3 (django-storages), at
# most 300 seconds: it is minted only after the request's own check.
PARLEY_ATTACHMENT_URL_SECONDS = min(env.int("PARLEY_ATTACHMENT_URL_SECONDS", default=300), 300)
# Uploads never linked to a message are deleted after this many hours (the sweep).
PARLEY_ATTACHMENT_UNLINKED_HOURS = env.int("PARLEY_ATTACHMENT_UNLINKED_HOURS", default=48)
PARLEY_ATTACHMENT_SWEEP_INTERVAL_SECONDS = env.int(
    "PARLEY_ATTACHMENT_SWEEP_INTERVAL_SECONDS", default=15 * 60
)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# --- Virus scanning (API.md §8) -----------------------------------------------------------
# Optional: clamd's address, `tcp://host:port` or `unix:///path/to/clamd.ctl`; empty turns
# scanning off. Files are streamed to it with INSTREAM (parley.core.virus_scan), so clamd's
# StreamMaxLength must be at least the largest file Parley accepts: a longer stream is an
# error, never "clean".


def _clamd_url(raw: str) -> str:
    raw = raw.strip()
    if not raw:
        return ""
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as error:
        raise ImproperlyConfigured(f"PARLEY_CLAMD_URL {raw!r}: {error}") from None
    extras = parts.query or parts.fragment or parts.username or parts.password
    if parts.scheme == "tcp" and parts.hostname and ":" in parts.hostname:
        raise ImproperlyConfigured(
            f"PARLEY_CLAMD_URL {raw!r}: clamd is reached over IPv4 (clamdpy); use an IPv4"
            " address or a host name"
        )
    if parts.scheme == "tcp" and parts.hostname and port and parts.path in ("", "/") and not extras:
        return raw
    if parts.scheme == "unix" and not parts.netloc and parts.path.startswith("/") and not extras:
        return raw
    raise ImproperlyConfigured(
        f"PARLEY_CLAMD_URL {raw!r}: expected tcp://host:port or unix:///absolute/path/clamd.ctl"
        " (or empty: no virus scanning)"
    )


PARLEY_CLAMD_URL = _clamd_url(env.str("PARLEY_CLAMD_URL", default=""))
# Seconds clamd may take for each step of a scan (connecting, taking a chunk, answering): past
# it the scan fails as unavailable, never as clean.
PARLEY_CLAMD_TIMEOUT = env.float("PARLEY_CLAMD_TIMEOUT", default=30.0)
if PARLEY_CLAMD_TIMEOUT <= 0:
    raise ImproperlyConfigured("PARLEY_CLAMD_TIMEOUT must be a positive number of seconds")

# --- E-mail -------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = Path(env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail")))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Parley <no-reply@parley.localhost>")
PARLEY_MAIL_MAX_ATTEMPTS = env.int("PARLEY_MAIL_MAX_ATTEMPTS", default=8)
PARLEY_MAIL_BACKOFF_BASE_SECONDS = env.int("PARLEY_MAIL_BACKOFF_BASE_SECONDS", default=30)
PARLEY_MAIL_SWEEP_INTERVAL_SECONDS = env.int("PARLEY_MAIL_SWEEP_INTERVAL_SECONDS", default=30)
PARLEY_MAIL_MAX_BACKOFF_SECONDS = env.int("PARLEY_MAIL_MAX_BACKOFF_SECONDS", default=6 * 60 * 60)
PARLEY_MAIL_LEASE_SECONDS = env.int("PARLEY_MAIL_LEASE_SECONDS", default=300)
# A claim on an e-mail older than this is presumed lost (worker killed) and swept again.
# Embedded mode (no broker): send in a thread beside the request, never inside it.
PARLEY_MAIL_SEND_IN_THREAD = env.bool("PARLEY_MAIL_SEND_IN_THREAD", default=True)
# Embedded mode: other after-commit jobs (question vectors) run in one background thread.
PARLEY_BACKGROUND_IN_THREAD = env.bool("PARLEY_BACKGROUND_IN_THREAD", default=True)

# --- Background work ----------------------------------------------------------------------
# With no broker configured (the embedded default) tasks run in the web process right after
# the commit, and an in-process sweeper retries what failed: no second process is needed.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
# A publish that cannot reach the broker fails at once instead of retrying inside the request:
# the outbox row is already committed, and the sweep hands it over once the broker is back.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A separate queue lets a benchmark or a second deployment share one broker vhost.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")

# --- Webhooks (API.md §10, docs/webhooks.md) ------------------------------------------------
# Lifts the https and public-address rules so that endpoints on loopback or a private network
# can be registered: development and tests only (production refuses to start with it).
PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool(
    "PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False
)
PARLEY_WEBHOOK_TIMEOUT_SECONDS = env.float("PARLEY_WEBHOOK_TIMEOUT_SECONDS", default=15.0)
# The delays before the 2nd, 3rd, ... attempt (jittered ±20 %): 5 s, 5 min, 30 min, 2 h, 5 h,
# 10 h, 14 h, 20 h, 24 h. The drills shorten it.
PARLEY_WEBHOOK_RETRY_SCHEDULE_SECONDS = [
    int(value)
    for value in env.list(
        "PARLEY_WEBHOOK_RETRY_SCHEDULE_SECONDS",
        default=["5", "300", "1800", "7200", "18000", "36000", "50400", "72000", "86400"],
    )
]
PARLEY_WEBHOOK_LEASE_SECONDS = env.int("PARLEY_WEBHOOK_LEASE_SECONDS", default=120)
PARLEY_WEBHOOK_SWEEP_INTERVAL_SECONDS = env.int("PARLEY_WEBHOOK_SWEEP_INTERVAL_SECONDS", default=5)
# Deliveries in flight to one endpoint at most: a hanging receiver holds no more threads.
PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY = env.int("PARLEY_WEBHOOK_ENDPOINT_CONCURRENCY", default=2)
# A sender claims up to this many of one endpoint's due deliveries at once (one claim token,
# one UPDATE), sends them in order over one kept-alive connection and records them together.
PARLEY_WEBHOOK_BATCH_SIZE = env.int("PARLEY_WEBHOOK_BATCH_SIZE", default=50)
# Threads of the embedded default's delivery pool (the Celery webhook worker's --concurrency
# in deploy/Procfile reads the same variable).
PARLEY_WEBHOOK_WORKER_THREADS = env.int("PARLEY_WEBHOOK_WORKER_THREADS", default=8)
PARLEY_WEBHOOK_QUEUE = env.str("PARLEY_WEBHOOK_QUEUE", default="webhooks")
# Embedded mode (no broker): deliver in a pool of threads beside the request, never inside it.
PARLEY_WEBHOOK_SEND_IN_THREAD = env.bool("PARLEY_WEBHOOK_SEND_IN_THREAD", default=True)

CELERY_TASK_ROUTES = {"parley.webhooks.tasks.*": {"queue": PARLEY_WEBHOOK_QUEUE}}
CELERY_BEAT_SCHEDULE = {
    "mail-sweep": {
        "task": "parley.mail.tasks.email_sweep",
        "schedule": PARLEY_MAIL_SWEEP_INTERVAL_SECONDS,
    },
    "idempotency-key-sweep": {
        "task": "parley.core.tasks.idempotency_key_sweep",
        "schedule": PARLEY_MAIL_SWEEP_INTERVAL_SECONDS,
    },
    "webhook-sweep": {
        "task": "parley.webhooks.tasks.webhook_delivery_sweep",
        "schedule": PARLEY_WEBHOOK_SWEEP_INTERVAL_SECONDS,
    },
    # API.md §8: uploads never linked to a message, deleted after 48 hours; lost scans.
    "attachment-sweep": {
        "task": "parley.conversations.tasks.attachment_sweep",
        "schedule": PARLEY_ATTACHMENT_SWEEP_INTERVAL_SECONDS,
    },
    # API.md §11: the retention rules and the expiry of privacy records, once a day.
    "privacy-retention": {
        "task": "parley.privacy.tasks.retention_apply",
        "schedule": crontab(hour=3, minute=30),
    },
}

# --- Dynamic settings ---------------------------------------------------------------------
CONSTANCE_BACKEND = "constance.backends.database.DatabaseBackend"
# Values are cached in the shared cache (Redis through CACHE_URL), which every process reads,
# so a change made in the admin holds from the next request on, everywhere. A per-process
# local-memory cache could serve a stale value forever in the other processes (constance
# refuses it), so with the local-memory default every read goes to the database instead:
# one indexed query, and the embedded default is one process anyway.
CONSTANCE_DATABASE_CACHE_BACKEND = (
    None if CACHES["default"]["BACKEND"].endswith(".LocMemCache") else "default"
)
CONSTANCE_ADDITIONAL_FIELDS = {
    "email_routing": ["parley.support.constance_fields.EmailRoutingField", {}],
    "moderation_policy": [
        "django.forms.fields.ChoiceField",
        {
            "widget": "django.forms.Select",
            "choices": (
                ("block", "block: refuse the message (400)"),
                ("hold", "hold: store it hidden until staff approve it"),
                ("off", "off: do not check"),
            ),
        },
    ],
}
CONSTANCE_CONFIG: dict[str, tuple[Any, ...]] = {
    "CONTACT_US_EMAIL_TO": (
        '{"contact_us": "support@parley.localhost"}',
        "JSON object from operation key to one address or a list of addresses.",
        "email_routing",
    ),
    # API.md §9: what happens to a customer's or seller's message carrying a contact detail or
    # a forbidden word, per conversation type (docs/MODERATION.md).
    **{
        f"MODERATION_POLICY_{kind.upper()}": (
            "block",
            f"Messages of {kind} conversations with a contact detail or forbidden word: "
            "block (refused, 400), hold (stored hidden until staff approve) or off.",
            "moderation_policy",
        )
        for kind in ("message", "question", "review")
    },
    # Retention (API.md §11, docs/PRIVACY.md), applied by the daily job; 0 keeps for ever.
    # Message attachments (API.md §8).
    "ATTACHMENT_MAX_BYTES": (
        10 * 1024 * 1024,
        "The largest message attachment, in bytes (at most PARLEY_MAX_UPLOAD_BYTES).",
        int,
    ),
    "ATTACHMENTS_PER_MESSAGE": (5, "The most attachments one message may carry.", int),
    "ATTACHMENTS_PER_CONVERSATION": (
        30,
        "The most attachments the messages of one conversation may carry together.",
        int,
    ),
    "RETENTION_CONTACT_REQUEST_DAYS": (
        730,
        "Contact requests older than this many days are deleted (0: kept).",
        int,
    ),
    "RETENTION_ATTACHMENT_FILE_DAYS": (
        365,
        "Attachment files (Contact Us, messages) older than this many days are deleted (0: kept).",
        int,
    ),
    "RETENTION_SENT_EMAIL_BODY_DAYS": (
        30,
        "Sent e-mails older than this many days lose their bodies (0: kept).",
        int,
    ),
    "RETENTION_WEBHOOK_DELIVERY_DAYS": (
        30,
        "Finished webhook deliveries older than this many days are deleted (0: kept).",
        int,
    ),
}

# --- REST framework -----------------------------------------------------------------------
THROTTLE_RATES_SHIPPED = {
    "contact_us": "5/min",
    "contact_us_daily": "50/day",
    "login": "10/min",
    "conversation_create": "30/min",
    "seller": "600/min",
    "similar_questions": "60/min",
    "attachment_upload": "60/hour",  # API.md §8: per customer, per seller
    "storefront": "1200/min",  # API.md §6: all unsafe requests from one storefront server
}


def _throttle_rates(raw: str) -> dict[str, str]:
    """Shipped rates with `scope=rate,...` overrides; an unknown scope is logged and skipped."""
    rates = dict(THROTTLE_RATES_SHIPPED)
    for pair in filter(None, (part.strip() for part in raw.split(","))):
        scope, _, rate = pair.partition("=")
        scope, rate = scope.strip(), rate.strip()
        if scope not in rates:
            logger.warning("PARLEY_THROTTLE_RATES: unknown scope %r ignored", scope)
            continue
        rates[scope] = rate or None  # type: ignore[assignment]
    return rates


# The storefront's servers (addresses or CIDR networks). Its proxy drops X-Forwarded-For, so
# from these the per-client throttles count the shopper instead (API.md §6, docs/storefront.md).
PARLEY_STOREFRONT_NETWORKS = [
    entry.strip() for entry in env.list("PARLEY_STOREFRONT_NETWORKS", default=[]) if entry.strip()
]
for _network in PARLEY_STOREFRONT_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(f"PARLEY_STOREFRONT_NETWORKS: {_error}") from None

# The endpoints the storefront proxies (API.md §3, §4, §6 orders, §7 the customer's unread
# badge, read marks and receipts, §11 export): they never set a cookie, since the proxy folds
# several Set-Cookie headers into one broken cookie. The export is among them: the shopper's
# session is the storefront's cookie, so the storefront's proxy is the only way a shopper
# reaches it. The seller inbox's pages are not proxied: they set their session and CSRF
# cookies like any web page.
PARLEY_COOKIELESS_URL_NAMES = [
    "contact-us-subjects",
    "contact-us",
    "conversation-list",
    "conversation-detail",
    "order-list",
    "order-detail",
    "customer-export",
    "conversation-unread-summary",
    "conversation-read",
    "conversation-unread",
    "conversation-attachment-upload",
    "conversation-attachments",
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["parley.core.authentication.CsrfSessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "parley.core.pagination.PageLimitPagination",
    "EXCEPTION_HANDLER": "parley.core.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "parley.core.schema.AutoSchema",
    "DEFAULT_THROTTLE_RATES": _throttle_rates(env.str("PARLEY_THROTTLE_RATES", default="")),
    # The client address is REMOTE_ADDR unless a count of trusted proxies is configured:
    # X-Forwarded-For is never believed by default, so it cannot be used to dodge throttles.
    "NUM_PROXIES": env.int("PARLEY_TRUSTED_PROXY_COUNT", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Parley API",
    "DESCRIPTION": "Contact Us and buyer-seller conversations for commerce storefronts.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["parley.core.schema.drop_slashless_twins"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "parley.core.schema.add_links",
    ],
}

# --- Serving ------------------------------------------------------------------------------
# `make run` serves on waitress (parley/core/management/commands/serve_embedded.py) with this
# many threads; production serves on gunicorn (deploy/gunicorn.conf.py).
PARLEY_EMBEDDED_THREADS = env.int("PARLEY_EMBEDDED_THREADS", default=8)

PARLEY_CONVERSATION_MAX_MESSAGES = env.int("PARLEY_CONVERSATION_MAX_MESSAGES", default=1000)
# `GET /products/<pk>/questions/` answers `Cache-Control: public, max-age=<this>` with an ETag:
# a CDN or the storefront may serve it this many seconds before asking again (a moderation or
# a new answer shows within it).
PARLEY_PUBLIC_QUESTIONS_MAX_AGE = env.int("PARLEY_PUBLIC_QUESTIONS_MAX_AGE", default=60)
# Where people reach this service: links in e-mails (the seller's link to the inbox thread).
PARLEY_PUBLIC_URL = env.str("PARLEY_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
# The seller inbox's pages ask for changes this often (seconds).
PARLEY_INBOX_REFRESH_SECONDS = env.int("PARLEY_INBOX_REFRESH_SECONDS", default=10)
# Pages clicked into frames are refused (the inbox and the admin): Django's default, stated.
X_FRAME_OPTIONS = "DENY"

# --- Similar questions (docs/SIMILAR.md) ------------------------------------------------------
# The sentence-embedding model, by name (parley.similar.embeddings.MODELS), or "none".
PARLEY_SIMILAR_MODEL = env.str("PARLEY_SIMILAR_MODEL", default="use-multilingual-v3")

# Moderation (API.md §9, docs/MODERATION.md); the policies are dynamic settings (constance).
PARLEY_MODERATION_PHONE_REGION = env.str("PARLEY_MODERATION_PHONE_REGION", default="TR")
PARLEY_MODERATION_ALLOWED_DOMAINS = env.list("PARLEY_MODERATION_ALLOWED_DOMAINS", default=[])
PARLEY_MODERATION_BLOCKS_BEFORE_THROTTLE = env.int(
    "PARLEY_MODERATION_BLOCKS_BEFORE_THROTTLE", default=3
)
PARLEY_MODERATION_THROTTLE_SECONDS = env.int("PARLEY_MODERATION_THROTTLE_SECONDS", default=3600)

# --- Operations ---------------------------------------------------------------------------
# Every request gets an id (a valid incoming X-Request-ID is kept), returned in the response,
# carried into the Celery tasks the request causes, and written on every log line.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True, log_parent=True)],
}
PARLEY_METRICS_ALLOWED_NETWORKS = env.list(
    "PARLEY_METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"]
)
PROMETHEUS_EXPORT_MIGRATIONS = False

LOG_FORMAT = env.str("PARLEY_LOG_FORMAT", default="plain")  # "json" in production
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId"},
        "task_id": {"()": "django_guid.integrations.celery.log_filters.CeleryTracing"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s "
            "%(celery_parent_id)s %(celery_current_id)s",
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "correlation_id": "request_id",
            },
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "task_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django_guid": {"level": "WARNING"},
    },
}
