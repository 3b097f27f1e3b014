"""`make run`: Parley on waitress, in one process, with the embedded background work.

waitress is a production-grade WSGI server that fits the embedded default: pure Python
(nothing to compile, it runs wherever Parley does), one process with a pool of threads (so the
in-process mail sweeper started here runs exactly once, and the local-memory cache that holds
the throttles is shared by every request), and it reads each request in full before a thread
sees it, so slow clients cannot tie up the threads. Production runs gunicorn (deploy/).
"""

import re
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.servers.basehttp import get_internal_wsgi_application

ADDRPORT = re.compile(r"^(?:\[(?P<ipv6>[^\]]+)\]|(?P<host>[^:]+)):(?P<port>\d+)$")


def request_body_ceiling() -> int:
    """The largest body waitress buffers for Django to judge.

    Up to twice the larger cap, a body reaches BodySizeLimitMiddleware, which answers Parley's
    JSON 413 (a 12 MiB upload is an honest mistake and its answer should say so); waitress
    spools it to a temporary file, never to memory. Beyond that, waitress refuses it itself from
    its declared length (a plain-text 413), so nobody can make it store gigabytes.
    """
    return 2 * max(settings.PARLEY_MAX_JSON_BODY_BYTES, settings.PARLEY_MAX_MULTIPART_BODY_BYTES)


class Command(BaseCommand):
    help = "Serve Parley in the embedded default on waitress: one process, no broker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "addrport",
            nargs="?",
            default="127.0.0.1:8000",
            help="host:port to listen on ([::1]:8000 for IPv6; port 0 picks a free one)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=settings.PARLEY_EMBEDDED_THREADS,
            help="requests served at once (PARLEY_EMBEDDED_THREADS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        match = ADDRPORT.match(options["addrport"])
        if match is None:
            raise CommandError(f"{options['addrport']!r} is not host:port")
        host = match["ipv6"] or match["host"]
        from waitress import create_server

        from parley.core.background import start_embedded_workers

        server = create_server(
            get_internal_wsgi_application(),
            host=host,
            port=int(match["port"]),
            threads=options["threads"],
            max_request_body_size=request_body_ceiling(),
            # Proxy headers reach Django untouched, as under gunicorn, and Django believes none
            # of them unless configured (X-Forwarded-For: PARLEY_TRUSTED_PROXY_COUNT; the host
            # and scheme: never). waitress's default would delete them before Django saw them.
            clear_untrusted_proxy_headers=False,
        )
        start_embedded_workers()
        server.print_listen("Parley is serving on http://{}:{} (waitress); Ctrl-C stops it")
        server.run()
