"""Virus scanning against a real clamd (parley/core/tests/clamd.py): the verdicts, and every way
clamd can fail to give one, which must never read as clean."""

import io
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import filetype
import pikepdf
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import TemporaryUploadedFile

from config.settings.base import _clamd_url
from parley.core.tests import clamd as clamd_harness
from parley.core.tests.clamd import (
    CLAMD_TEST_SAMPLE,
    CLAMD_TEST_SIGNATURE,
    clamd_running,
    infected_upload,
)
from parley.core.virus_scan import VirusScanUnavailable, virus_scan, virus_scan_enabled

ROOT = Path(__file__).resolve().parents[3]


def test_a_clean_file_is_none(virus_scanning):
    assert virus_scan(io.BytesIO(b"Just an invoice, nothing to see.\n")) is None


def test_the_sample_is_found_by_its_signature_name(virus_scanning):
    assert virus_scan(io.BytesIO(CLAMD_TEST_SAMPLE)) == CLAMD_TEST_SIGNATURE


def test_the_signature_matches_the_whole_file_only(virus_scanning):
    assert virus_scan(io.BytesIO(CLAMD_TEST_SAMPLE + b"\n")) is None
    assert virus_scan(io.BytesIO(CLAMD_TEST_SAMPLE[:-1])) is None


def test_the_sample_is_found_over_tcp_too(clamd_tcp_url, settings):
    settings.PARLEY_CLAMD_URL = clamd_tcp_url
    assert virus_scan(io.BytesIO(CLAMD_TEST_SAMPLE)) == CLAMD_TEST_SIGNATURE
    assert virus_scan(io.BytesIO(b"clean")) is None


def test_an_upload_is_scanned_from_its_start_wherever_a_checker_left_it(virus_scanning):
    upload = infected_upload()
    upload.read()  # at its end, as a type checker may leave it
    assert virus_scan(upload) == CLAMD_TEST_SIGNATURE


def test_a_large_file_on_disk_streams_in_chunks(virus_scanning):
    ten_mib = 10 * 1024 * 1024  # the largest attachment (API.md §8)
    upload = TemporaryUploadedFile("large.pdf", "application/pdf", ten_mib, None)
    try:
        block = bytes(range(256)) * 4096  # 1 MiB
        for _ in range(10):
            upload.write(block)
        upload.flush()
        assert virus_scan(upload) is None
        assert upload.tell() == ten_mib  # all of it went to clamd
    finally:
        upload.close()


def test_the_sample_is_a_valid_harmless_pdf():
    # the attachment checks run before a scan: the sample must pass them as a plain PDF
    assert filetype.guess(CLAMD_TEST_SAMPLE).mime == "application/pdf"
    with pikepdf.open(io.BytesIO(CLAMD_TEST_SAMPLE)) as pdf:
        assert len(pdf.pages) == 1
        assert pdf.check_pdf_syntax() == []
        assert set(pdf.Root.keys()) == {"/Type", "/Pages"}  # no actions, no JavaScript


def test_a_stopped_clamd_is_unavailable(tmp_path, settings):
    with clamd_running(tmp_path / "clamd") as daemon:
        settings.PARLEY_CLAMD_URL = daemon.unix_url
        assert virus_scan(io.BytesIO(CLAMD_TEST_SAMPLE)) == CLAMD_TEST_SIGNATURE
        daemon.stop()
        with pytest.raises(VirusScanUnavailable):
            virus_scan(io.BytesIO(CLAMD_TEST_SAMPLE))

        settings.PARLEY_CLAMD_URL = daemon.tcp_url  # nothing listens on its port any more
        with pytest.raises(VirusScanUnavailable, match="Connection refused"):
            virus_scan(io.BytesIO(CLAMD_TEST_SAMPLE))


def test_a_file_over_clamds_stream_limit_is_unavailable_not_clean(tmp_path, settings):
    with clamd_running(tmp_path / "clamd", stream_max_bytes=1024 * 1024) as daemon:
        settings.PARLEY_CLAMD_URL = daemon.unix_url
        assert virus_scan(io.BytesIO(b"x" * 1024 * 1024)) is None  # at the limit: scanned
        with pytest.raises(VirusScanUnavailable):
            virus_scan(io.BytesIO(b"x" * (2 * 1024 * 1024)))
        assert "INSTREAM: Size limit reached" in (tmp_path / "clamd" / "clamd.log").read_text()


@pytest.fixture
def silent_listener() -> Iterator[str]:
    """A TCP port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"


def test_a_clamd_that_does_not_answer_times_out_as_unavailable(silent_listener, settings):
    settings.PARLEY_CLAMD_URL = silent_listener
    settings.PARLEY_CLAMD_TIMEOUT = 0.3
    started = time.monotonic()
    with pytest.raises(VirusScanUnavailable, match="timed out"):
        virus_scan(io.BytesIO(CLAMD_TEST_SAMPLE))
    assert time.monotonic() - started < 5


@pytest.fixture
def clamd_answering_error() -> Iterator[str]:
    """A fake clamd that reads the stream and answers an ERROR verdict, as clamd does when it
    cannot scan (no memory, no temporary file)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            received = b""
            while not received.endswith(b"\0\0\0\0"):
                received += connection.recv(65536)
            connection.sendall(b"stream: Can't create temporary file ERROR\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    thread.join(timeout=5)
    listener.close()


def test_an_error_verdict_is_unavailable(clamd_answering_error, settings):
    settings.PARLEY_CLAMD_URL = clamd_answering_error
    with pytest.raises(VirusScanUnavailable, match="Can't create temporary file"):
        virus_scan(io.BytesIO(b"clean"))


def test_scanning_is_off_without_a_url(settings):
    settings.PARLEY_CLAMD_URL = ""
    assert virus_scan_enabled() is False
    with pytest.raises(VirusScanUnavailable, match="off"):
        virus_scan(io.BytesIO(b"clean"))
    settings.PARLEY_CLAMD_URL = "unix:///run/clamav/clamd.ctl"
    assert virus_scan_enabled() is True


@pytest.mark.parametrize(
    "raw",
    ["tcp://127.0.0.1:3310", "tcp://clamd.internal:3310", "unix:///run/clamav/clamd.ctl"],
)
def test_clamd_urls_accepted(raw):
    assert _clamd_url(raw) == raw
    assert _clamd_url(f"  {raw} ") == raw


def test_an_empty_clamd_url_turns_scanning_off():
    assert _clamd_url("") == ""
    assert _clamd_url("   ") == ""


@pytest.mark.parametrize(
    "raw",
    [
        "http://127.0.0.1:3310",
        "clamd://127.0.0.1:3310",
        "127.0.0.1:3310",
        "/run/clamav/clamd.ctl",
        "tcp://127.0.0.1",  # no port
        "tcp://127.0.0.1:0",
        "tcp://127.0.0.1:99999",
        "tcp://[::1]:3310",  # clamdpy speaks IPv4 only
        "tcp://127.0.0.1:3310/path",
        "tcp://127.0.0.1:3310?timeout=5",
        "unix://run/clamav/clamd.ctl",  # a host, not a path
        "unix://",
    ],
)
def test_clamd_urls_refused(raw):
    with pytest.raises(ImproperlyConfigured, match="PARLEY_CLAMD_URL"):
        _clamd_url(raw)


def _check_with(**environment: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(environment, DJANGO_SETTINGS_MODULE="config.settings.test")
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_refuse_to_load_with_a_bad_clamd_url_or_timeout():
    result = _check_with(PARLEY_CLAMD_URL="http://clamd:3310")
    assert result.returncode != 0
    assert "ImproperlyConfigured: PARLEY_CLAMD_URL 'http://clamd:3310'" in result.stderr
    result = _check_with(PARLEY_CLAMD_URL="tcp://clamd:3310", PARLEY_CLAMD_TIMEOUT="0")
    assert result.returncode != 0
    assert "PARLEY_CLAMD_TIMEOUT must be a positive number" in result.stderr


def test_a_missing_clamd_fails_the_tests_rather_than_skipping_them(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(clamd_harness, "CLAMD_PATHS", ())
    try:
        clamd_harness.clamd_executable()
    except BaseException as outcome:  # a skip is a BaseException too, and must not pass here
        assert type(outcome) is pytest.fail.Exception
        assert "apt-get install -y clamav-daemon" in str(outcome)
    else:
        pytest.fail("clamd_executable() found a clamd outside PATH and CLAMD_PATHS")
