"""A real ClamAV daemon for the tests: Debian's `clamd` with one signature of ours.

`clamd_url` (session) starts one `clamd` per test process (each xdist worker its own, in its own
temporary directory) listening on a Unix socket, and on a free loopback TCP port for
`clamd_tcp_url`; `virus_scanning` turns scanning on for one test. The daemon loads only
`data/parley-test.hdb`: no signature download, no freshclam, nothing of the system's clamd, and
it is ready in a fraction of a second.

The signature matches `CLAMD_TEST_SAMPLE`, a harmless, valid one-page PDF (so it passes the
upload checks that run before a scan, and PDFs are stored as uploaded, unlike images, which are
re-encoded). A `.hdb` line is `md5:size:name` of the whole file: one byte more or less and it is
clean. clamd reports the name with `.UNOFFICIAL` appended (`CLAMD_TEST_SIGNATURE`).
"""

import hashlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from clamdpy import ClamdUnixSocket
from clamdpy.exceptions import ClamdException
from django.core.files.uploadedfile import SimpleUploadedFile

SIGNATURES = Path(__file__).resolve().parent / "data" / "parley-test.hdb"
CLAMD_TEST_SAMPLE = (
    b"%PDF-1.4\n"
    b"% Parley test virus sample: harmless, matched by parley-test.hdb only\n"
    b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] /Resources << >> >>\nendobj\n"
    b"xref\n0 4\n"
    b"0000000000 65535 f \n"
    b"0000000079 00000 n \n"
    b"0000000128 00000 n \n"
    b"0000000185 00000 n \n"
    b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n271\n%%EOF\n"
)
CLAMD_TEST_SIGNATURE = "Parley.Test.Sample.UNOFFICIAL"
# The size our daemons accept in one INSTREAM: above the largest attachment (10 MiB, API.md §8)
STREAM_MAX_BYTES = 16 * 1024 * 1024
STARTUP_SECONDS = 30
# Where Debian puts it; a non-root PATH often lacks the sbin directories.
CLAMD_PATHS = ("/usr/sbin/clamd", "/usr/local/sbin/clamd")


def infected_upload(name: str = "infected.pdf") -> SimpleUploadedFile:
    """An upload the test daemon reports as `CLAMD_TEST_SIGNATURE`."""
    return SimpleUploadedFile(name, CLAMD_TEST_SAMPLE, content_type="application/pdf")


@dataclass
class ClamdDaemon:
    process: subprocess.Popen[bytes]
    socket_path: Path
    port: int
    log: Path

    @property
    def unix_url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def tcp_url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def clamd_executable() -> str:
    found = shutil.which("clamd") or next((p for p in CLAMD_PATHS if Path(p).exists()), None)
    if found is None:
        # A skip would let CI pass without ever scanning: fail, and say how to fix it.
        pytest.fail(
            "clamd is not installed: apt-get install -y clamav-daemon (.ci/run does); "
            "the virus-scan tests run it with a test signature, nothing is downloaded",
            pytrace=False,
        )
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _write_config(directory: Path, stream_max_bytes: int) -> tuple[Path, Path, int]:
    database = directory / "db"
    database.mkdir()
    shutil.copyfile(SIGNATURES, database / SIGNATURES.name)
    socket_path = directory / "clamd.ctl"
    if len(str(socket_path)) > 100:  # sun_path holds 108 bytes
        pytest.fail(f"clamd's socket path is too long for a Unix socket: {socket_path}")
    port = _free_port()
    config = directory / "clamd.conf"
    # No User (clamd then runs as whoever starts it, root included) and no LocalSocketGroup:
    # everything lives in this directory and belongs to the test process.
    config.write_text(
        "\n".join(
            [
                "Foreground yes",
                f"LocalSocket {socket_path}",
                "LocalSocketMode 600",
                f"TCPSocket {port}",
                "TCPAddr 127.0.0.1",
                f"DatabaseDirectory {database}",
                f"TemporaryDirectory {directory}",
                f"LogFile {directory / 'clamd.log'}",
                "MaxThreads 4",
                f"StreamMaxLength {stream_max_bytes}",
                "",
            ]
        )
    )
    return config, socket_path, port


@contextmanager
def clamd_running(
    directory: Path, *, stream_max_bytes: int = STREAM_MAX_BYTES
) -> Iterator[ClamdDaemon]:
    """Start `clamd` in the foreground with its files in `directory`, wait for PONG, and stop
    it afterwards."""
    executable = clamd_executable()
    directory.mkdir(parents=True, exist_ok=True)
    config, socket_path, port = _write_config(directory, stream_max_bytes)
    output = directory / "clamd.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [executable, f"--config-file={config}"],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    daemon = ClamdDaemon(process=process, socket_path=socket_path, port=port, log=output)
    try:
        _wait_for_pong(daemon)
        yield daemon
    finally:
        daemon.stop()


def _wait_for_pong(daemon: ClamdDaemon) -> None:
    client = ClamdUnixSocket(daemon.socket_path, timeout=2)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if daemon.process.poll() is not None:
            pytest.fail(f"clamd exited with {daemon.process.returncode}:\n{_tail(daemon.log)}")
        if daemon.socket_path.exists():
            try:
                if client.ping() == "PONG":
                    return
            except (ClamdException, OSError):
                pass
        time.sleep(0.02)
    pytest.fail(f"clamd did not answer PING within {STARTUP_SECONDS}s:\n{_tail(daemon.log)}")


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-20:])


def _check_signature_file() -> None:
    digest = hashlib.md5(CLAMD_TEST_SAMPLE).hexdigest()  # noqa: S324 - ClamAV's hash format
    expected = f"{digest}:{len(CLAMD_TEST_SAMPLE)}:Parley.Test.Sample"
    if SIGNATURES.read_text().strip() != expected:
        pytest.fail(f"{SIGNATURES} does not match CLAMD_TEST_SAMPLE; it should read: {expected}")


@pytest.fixture(scope="session")
def clamd_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClamdDaemon]:
    """This test process's clamd (each xdist worker gets its own temporary directory)."""
    _check_signature_file()
    with clamd_running(tmp_path_factory.mktemp("clamd")) as daemon:
        yield daemon


@pytest.fixture(scope="session")
def clamd_url(clamd_daemon: ClamdDaemon) -> str:
    """`PARLEY_CLAMD_URL` of this process's clamd over its Unix socket."""
    return clamd_daemon.unix_url


@pytest.fixture(scope="session")
def clamd_tcp_url(clamd_daemon: ClamdDaemon) -> str:
    """The same clamd over TCP on loopback."""
    return clamd_daemon.tcp_url


@pytest.fixture
def virus_scanning(clamd_url: str, settings: Any) -> str:
    """Scanning on for this test, against the test clamd."""
    settings.PARLEY_CLAMD_URL = clamd_url
    return clamd_url
