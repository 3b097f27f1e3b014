"""`make run`: Django's threaded server plus, when no broker is configured, an in-process
sweeper that retries pending mail, so the embedded default needs no second process."""

from typing import Any

from django.core.management.commands.runserver import Command as RunserverCommand


class Command(RunserverCommand):
    help = "Serve Parley in the embedded default: one process, no broker."

    def handle(self, *args: Any, **options: Any) -> None:
        options["use_reloader"] = False
        from parley.core.background import start_embedded_workers

        start_embedded_workers()
        super().handle(*args, **options)
