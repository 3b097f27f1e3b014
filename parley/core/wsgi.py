"""What the WSGI application does before Django builds the request (config/wsgi.py)."""

import tempfile
from collections.abc import Callable, Iterable
from typing import Any

from parley.core.middleware import body_cap

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# A measured chunked body stays in memory up to this size, then goes to a temporary file.
IN_MEMORY_BYTES = 1024 * 1024
READ_BYTES = 64 * 1024


def measure_chunked_bodies(application: WSGIApplication) -> WSGIApplication:
    """Give a chunked request body the length Django needs, reading one byte past its cap at most.

    A chunked body declares no Content-Length, and Django reads a body without one as empty, so
    the body would be lost and its size unjudged. gunicorn de-chunks such a body as it arrives
    and marks the input readable to its end (`wsgi.input_terminated`): read it here, at most one
    byte past its cap (parley.core.middleware.body_cap), and pass it on with the length
    measured. A body over its cap then shows a length over its cap and BodySizeLimitMiddleware
    answers 413; the server discards the rest unread. (waitress, under `make run`, de-chunks and
    measures every body itself; Django's development server cannot read chunked bodies.)
    """

    def measured(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if (
            environ.get("CONTENT_LENGTH")
            or not environ.get("wsgi.input_terminated")
            or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        ):
            return application(environ, start_response)
        # Django has read the body by the time the application returns.
        with tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES) as body:
            remaining = body_cap(environ.get("CONTENT_TYPE", "")) + 1
            while remaining > 0:
                chunk = environ["wsgi.input"].read(min(remaining, READ_BYTES))
                if not chunk:
                    break
                body.write(chunk)
                remaining -= len(chunk)
            environ["CONTENT_LENGTH"] = str(body.tell())
            body.seek(0)
            environ["wsgi.input"] = body
            return application(environ, start_response)

    return measured
