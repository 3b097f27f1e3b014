"""The embedded default (SQLite, file mail under var/mail, no broker): `make run` serves it on
waitress with DEBUG off; `make dev` on Django's autoreloading server with DEBUG on."""

from config.settings.base import *  # noqa: F403
