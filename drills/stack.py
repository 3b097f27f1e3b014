"""The production stack on loopback, for the fault drills: the processes of deploy/Procfile,
an aiosmtpd sink that records every message it is handed, and a storefront-like client."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from email import message_from_bytes
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class _Recorder:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.messages: list[tuple[str, str]] = []  # (message id, subject)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append((message["Message-ID"] or "", str(message["Subject"] or "")))
        return "250 OK"


class SmtpSink:
    """A real SMTP server on loopback that can be taken down and brought back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.recorder = _Recorder()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def received(self, tag: str) -> Counter[str]:
        """Message-ID -> times received, for the messages whose subject holds the tag."""
        with self.recorder.lock:
            return Counter(mid for mid, subject in self.recorder.messages if tag in subject)


class Stack:
    """gunicorn, the Celery worker and beat as deploy/Procfile starts them, each in its own
    process group so that a drill can kill one outright."""

    def __init__(
        self, *, smtp_port: int, database: str | None = None, name: str | None = None
    ) -> None:
        # DRILL_NAME keeps two runs on one machine apart: their own database, var folder and
        # broker queues (the broker, Redis and PostgreSQL servers are shared).
        name = name or os.environ.get("DRILL_NAME", "drill")
        database = database or f"parley_{re.sub(r'[^a-z0-9_]', '_', name.lower())}"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.var = ROOT / "var" / name
        self.var.mkdir(parents=True, exist_ok=True)
        self.database_url = f"postgres://postgres@127.0.0.1:5432/{database}"
        self.queues = (name, f"{name}-webhooks")
        self.env = {
            **os.environ,
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
            # production's settings, but webhook receivers may be on loopback (the drills')
            "DJANGO_SETTINGS_MODULE": "config.settings.drill",
            "SECRET_KEY": "drill-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.database_url,
            "DATABASE_CONNECT_TIMEOUT": "3",
            "DATABASE_PREPARED_STATEMENTS": "true",  # as deploy/local.env
            "CACHE_URL": "redis://127.0.0.1:6379/14",
            "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_TIMEOUT": "5",
            "PARLEY_PORT": str(self.port),
            "PARLEY_VAR_DIR": str(self.var),
            "PARLEY_MAIL_SWEEP_INTERVAL_SECONDS": "2",
            "PARLEY_MAIL_BACKOFF_BASE_SECONDS": "1",
            "PARLEY_MAIL_MAX_BACKOFF_SECONDS": "10",
            "PARLEY_MAIL_MAX_ATTEMPTS": "40",
            "PARLEY_MAIL_LEASE_SECONDS": "15",
            "PARLEY_THROTTLE_RATES": (
                "contact_us=1000000/min,contact_us_daily=1000000/day,seller=1000000/min"
            ),
            "PARLEY_CONVERSATION_MAX_MESSAGES": "100000",
            "CELERY_TASK_DEFAULT_QUEUE": self.queues[0],
            "PARLEY_WEBHOOK_QUEUE": self.queues[1],
            # The §10 schedule shortened as the mail's backoff is: seconds, not hours.
            "PARLEY_WEBHOOK_RETRY_SCHEDULE_SECONDS": "2,5,10,20,30,30,30,30,30",
            "PARLEY_WEBHOOK_SWEEP_INTERVAL_SECONDS": "2",
            "PARLEY_WEBHOOK_LEASE_SECONDS": "15",
            "PARLEY_LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "GUNICORN_WORKERS": "3",
            "GUNICORN_THREADS": "4",
            "GUNICORN_ACCESS_LOG": "",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.commands = dict(
            line.split(":", 1)
            for line in (ROOT / "deploy" / "Procfile").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        )

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [str(PYTHON), "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout

    def prepare(self) -> dict[str, Any]:
        """A fresh database with the demo data and a clean broker queue."""
        admin = self.database_url.rsplit("/", 1)[0] + "/postgres"
        name = self.database_url.rsplit("/", 1)[1]
        subprocess.run(
            ["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True
        )
        subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
        self.manage("migrate", "--noinput")
        demo_path = self.var / "demo.json"
        self.manage("seed_demo", "--write", str(demo_path))
        subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "celery"),
                *("-A", "config", "purge", "-f", "-Q", ",".join(self.queues)),
            ],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        return json.loads(demo_path.read_text())

    def start(self, name: str) -> None:
        log = open(self.var / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        self.processes[name] = subprocess.Popen(
            ["bash", "-c", f"exec {self.commands[name].strip()}"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if name == "web" and not wait_for(self.ready, 60):
            raise RuntimeError("the web server did not become ready")

    def kill(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.kill(name)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/readyz/", timeout=3) as response:
                return response.status == 200
        except (OSError, urllib.error.HTTPError):
            return False


class Storefront:
    """A storefront's server: fetches a CSRF token, then posts with cookie and header."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.token = ""

    def fetch_csrf(self) -> None:
        with self.opener.open(self.base + "/csrf_token/", timeout=10) as response:
            self.token = json.loads(response.read())["csrf_token"]

    def contact(
        self, body: dict[str, Any], timeout: float = 30, headers: dict[str, str] | None = None
    ) -> tuple[int, float]:
        request = urllib.request.Request(
            self.base + "/users/contact-us/",
            data=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": self.token,
                "Referer": self.base + "/",
                "Accept-Language": "en-us",
                **(headers or {}),
            },
            method="POST",
        )
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=timeout) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0  # no answer at all
        return status, time.monotonic() - started


def contact_body(demo: dict[str, Any], tag: str, n: int) -> dict[str, Any]:
    subject = next(s for s in demo["subjects"] if not s["is_order_needed"])
    return {
        "subject": subject["id"],
        "full_name": f"{tag} {n:04d}",
        "email": f"{re.sub(r'[^a-z0-9]', '', tag.lower())}{n}@example.com",
        "message": f"Fault drill {tag}, submission {n}.",
    }
