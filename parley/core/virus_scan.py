"""Virus scanning with ClamAV: a file is streamed to clamd (INSTREAM) and its verdict read.

Optional, like the daemon: `PARLEY_CLAMD_URL` names clamd (`tcp://host:port` or
`unix:///path/clamd.ctl`, validated in config/settings/base.py) and empty turns scanning off.
A scan has three outcomes and only one of them means clean: `None`. Anything clamd did not
answer with a verdict (no daemon, a timeout, an error, a file longer than its StreamMaxLength)
raises `VirusScanUnavailable`, so a caller can never mistake a failed scan for a clean file.
"""

from typing import IO
from urllib.parse import urlsplit

from clamdpy import ClamdNetworkSocket, ClamdUnixSocket
from clamdpy.exceptions import ClamdException
from django.conf import settings

# Bytes per INSTREAM chunk: clamdpy's default (1 KiB) costs a system call per KiB of a 10 MiB
# file; clamd takes chunks up to its StreamMaxLength.
CHUNK_BYTES = 64 * 1024


class VirusScanUnavailable(Exception):
    """clamd gave no verdict: unreachable, too slow, or it answered an error."""


def virus_scan_enabled() -> bool:
    return bool(settings.PARLEY_CLAMD_URL)


def virus_scan(handle: IO[bytes]) -> str | None:
    """The signature clamd found in the whole file, or None when it found none.

    Reads the file from its start (a checker before may have left it anywhere) and leaves it at
    its end. Raises VirusScanUnavailable when scanning is off or clamd gives no verdict.
    """
    if not virus_scan_enabled():
        raise VirusScanUnavailable("virus scanning is off (PARLEY_CLAMD_URL is empty)")
    if handle.seekable():
        handle.seek(0)
    try:
        result = _clamd_client().instream(handle, max_chunk_size=CHUNK_BYTES)
    # clamdpy wraps connecting and reading; a daemon that hangs up mid-stream (its size limit)
    # or stops answering surfaces from sendall as a plain OSError (timeouts included).
    except (ClamdException, OSError) as error:
        raise VirusScanUnavailable(f"clamd: {_describe(error)}") from error
    if result.status == "FOUND":
        return result.reason or "unnamed signature"
    if result.status == "OK":
        return None
    raise VirusScanUnavailable(f"clamd: {result.reason or 'ERROR'}")


def _clamd_client() -> ClamdNetworkSocket:
    url = urlsplit(settings.PARLEY_CLAMD_URL)
    timeout = settings.PARLEY_CLAMD_TIMEOUT
    if url.scheme == "unix":
        return ClamdUnixSocket(url.path, timeout=timeout)
    return ClamdNetworkSocket(url.hostname or "", url.port or 0, timeout=timeout)


def _describe(error: Exception) -> str:
    # clamdpy's exceptions keep their message in attributes, not in args
    for attribute in ("error", "msg", "command"):
        if isinstance(value := getattr(error, attribute, None), str):
            return value
    return str(error) or type(error).__name__
