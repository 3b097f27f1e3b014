"""`make run`: the embedded default (SQLite, file mail under var/mail, no broker)."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DEBUG", default=True)
