"""Real server processes for the tests: the embedded server (`make run`: waitress) and gunicorn
with `deploy/gunicorn.conf.py` (production settings), each on a free loopback port.

Each serves its own copy of one migrated SQLite file, so no test touches the shared PostgreSQL
server, and `database_outage` can take a server's database away and give it back.
"""

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
MANAGE = [sys.executable, str(ROOT / "manage.py")]
# Settings a developer's shell may hold that would point a server elsewhere.
INHERITED_NOT = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "CACHE_URL", "CELERY_BROKER_URL")


@dataclass
class RunningServer:
    host: str
    port: int
    database: Path
    log: Path

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"


def server_environment(var_dir: Path, database: Path, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in INHERITED_NOT}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.development",
        PARLEY_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{database}",
        PARLEY_MAIL_SWEEP_INTERVAL_SECONDS="3600",  # no background query during a test
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(settings)
    return env


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite database per test session, copied for every server."""
    directory = tmp_path_factory.mktemp("migrated")
    database = directory / "parley.sqlite3"
    subprocess.run(
        [*MANAGE, "migrate", "--noinput", "-v", "0"],
        env=server_environment(directory, database),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return database


def _copy_database(template: Path, var_dir: Path) -> Path:
    var_dir.mkdir(parents=True, exist_ok=True)
    database = var_dir / "parley.sqlite3"
    shutil.copyfile(template, database)
    return database


@contextmanager
def _running(
    command: list[str], env: dict[str, str], var_dir: Path, database: Path, listening: str
) -> Iterator[RunningServer]:
    """Start `command`, read its port from the log line matching `listening`, wait until it
    answers, and stop it afterwards."""
    log = var_dir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        # About two seconds, but far longer on a loaded CI machine; stop early if it died.
        deadline = time.monotonic() + 120
        port = None
        while port is None:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{command[2:4]} did not start:\n{log.read_text()[-3000:]}")
            found = re.search(listening, log.read_text())
            if found:
                port = int(found[1])
            else:
                time.sleep(0.05)
        server = RunningServer("127.0.0.1", port, database, log)
        while True:
            try:
                urllib.request.urlopen(server.base + "/healthz", timeout=5)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{command[2:4]} does not answer:\n{log.read_text()[-3000:]}")
                time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def embedded_server(template: Path, var_dir: Path, **settings: str) -> Iterator[RunningServer]:
    """`make run`'s server: `manage.py serve_embedded` (waitress), as a newcomer starts it."""
    database = _copy_database(template, var_dir)
    with _running(
        [*MANAGE, "serve_embedded", "127.0.0.1:0"],
        server_environment(var_dir, database, **settings),
        var_dir,
        database,
        r"serving on http://127\.0\.0\.1:(\d+)",
    ) as server:
        yield server


@contextmanager
def gunicorn_server(template: Path, var_dir: Path, **settings: str) -> Iterator[RunningServer]:
    """The production web server: gunicorn with deploy/gunicorn.conf.py, production settings."""
    database = _copy_database(template, var_dir)
    env = server_environment(
        var_dir,
        database,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="real-server-tests-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        GUNICORN_BIND="127.0.0.1:0",
        GUNICORN_WORKERS="1",  # one worker: its local-memory cache holds every throttle count
        GUNICORN_THREADS="2",
        GUNICORN_ACCESS_LOG="",
    )
    env.update(settings)
    with _running(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--config", "deploy/gunicorn.conf.py"],
        env,
        var_dir,
        database,
        r"Listening at: http://127\.0\.0\.1:(\d+)",
    ) as server:
        yield server


@contextmanager
def database_outage(server: RunningServer) -> Iterator[None]:
    """The server's database is unreachable until the block ends: a directory takes the SQLite
    file's place, so every new connection fails with OperationalError ("unable to open database
    file"), as a connection to a database server that is down does. Django closes SQLite
    connections after each request, so the next request connects and meets the outage. (A
    file's permissions cannot do this: the tests may run as root.)"""
    away = server.database.with_name("parley.sqlite3.away")
    server.database.rename(away)
    server.database.mkdir()
    try:
        yield
    finally:
        server.database.rmdir()
        away.rename(server.database)
