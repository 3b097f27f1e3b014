"""The embedded default (`make run`: SQLite file, waitress's threads) under parallel writes."""

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from parley.core.tests.servers import RunningServer, embedded_server


@pytest.fixture
def embedded(migrated_sqlite: Path, tmp_path: Path) -> Iterator[RunningServer]:
    with embedded_server(
        migrated_sqlite, tmp_path, PARLEY_THROTTLE_RATES="login=100000/min"
    ) as server:
        yield server


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


def test_parallel_writes_on_sqlite_all_succeed(embedded: RunningServer) -> None:
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda n: _register(embedded.base, n), range(24)))
    assert statuses == [201] * 24
    # One process, no fork: the mail sweeper was started once, by the only process.
    started = "embedded periodic job parley.mail.services.email_sweep started"
    assert embedded.log.read_text().count(started) == 1
