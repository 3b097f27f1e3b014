"""Production: PostgreSQL, a shared cache, a broker and a worker. Refuses to start unsafe."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import LOGGING, STORAGES, VAR_DIR, env

DEBUG = False
if not env.str("SECRET_KEY", default=""):
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Production refuses to start without its own secret key: "
        "export SECRET_KEY to a long random string (python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))')."
    )
SECRET_KEY = env.str("SECRET_KEY")
if not env.list("ALLOWED_HOSTS", default=[]):
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set: name the hosts Parley answers for.")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
# django-anymail backends (e.g. anymail.backends.postmark.EmailBackend) read their keys here.
ANYMAIL = env.json("ANYMAIL", default={})
LOG_FORMAT = env.str("PARLEY_LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT

# The admin and API docs assets, collected into STATIC_ROOT (deploy/prod-up runs collectstatic)
# with compressed copies, and served from there by WhiteNoise.
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = False
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}

if env.bool("PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False):
    raise ImproperlyConfigured(
        "PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS is set: production refuses to start with it, "
        "since webhook URLs could then reach loopback and private addresses (server-side "
        "request forgery). Unset it; it is for development and tests only."
    )
PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
