"""The embedded default (`make run`: SQLite file, threaded server) under parallel writes."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def embedded_server(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.development",
        PARLEY_VAR_DIR=str(tmp_path),
        PARLEY_THROTTLE_RATES="login=100000/min",
        DEBUG="false",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [*manage, "serve_embedded", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Start-up is a migrate-free Django boot, but on a loaded CI machine it can take far
        # longer than the usual second: wait up to a minute, and stop early if it died.
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/csrf_token/", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def _register(base: str, n: int) -> int:
    body = json.dumps({"email": f"parallel{n}@example.com", "password": "a-long-passphrase-1"})
    request = urllib.request.Request(
        base + "/users/registration/",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_parallel_writes_on_sqlite_all_succeed(embedded_server):
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda n: _register(embedded_server, n), range(24)))
    assert statuses == [201] * 24
