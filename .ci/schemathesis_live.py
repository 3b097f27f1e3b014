"""The live schema run: schemathesis against a real `make run` server with the demo data.

    .venv/bin/python .ci/schemathesis_live.py [--max-examples N] [--seed N]

Migrates a fresh embedded database in a temporary directory, loads the demo shop, serves it as
`make run` does (on a free loopback port), logs in as the demo customer and runs
`st run <server>/api/schema/ --checks all` with that session and CSRF pair, the demo seller's
token (`.ci/schemathesis.toml` says which scheme gets what, and each check's per-operation
settings with their reasons; docs/SECURITY.md explains them) and the hooks of
`.ci/schemathesis_hooks.py`. Exits with schemathesis' status: 0 only when no check failed.
The in-process run of the same schema is parley/security/tests/test_schema_fuzz.py.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The throttles are raised so that the run explores every operation instead of collecting
# 429s; the throttles themselves are tested in parley/security/tests/test_transport.py.
THROTTLES = (
    "contact_us=1000000/min,contact_us_daily=1000000/day,login=1000000/min,"
    "conversation_create=1000000/min,seller=1000000/min,attachment_upload=1000000/hour"
)
DEFAULT_EXAMPLES = 60  # per operation, in the fuzzing phase (coverage is its own size)
DEFAULT_SEED = 7


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def wait_until_serving(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer on {base} within {timeout:.0f} s")


def customer_login(base: str, customer: dict[str, str]) -> tuple[str, str]:
    """A logged-in session and its CSRF token, as the storefront obtains them."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/csrf_token/", timeout=10) as response:
        csrf = json.load(response)["csrf_token"]
    body = json.dumps({"email": customer["email"], "password": customer["password"]}).encode()
    login = urllib.request.Request(
        base + "/users/login/", data=body, headers={"Content-Type": "application/json"}
    )
    with opener.open(login, timeout=30) as response:
        session = json.load(response)["key"]
    return session, csrf


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-examples", type=int, default=DEFAULT_EXAMPLES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    options = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="parley-st-") as var:
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.development",
            PARLEY_VAR_DIR=var,
            PARLEY_THROTTLE_RATES=THROTTLES,
            EMAIL_FILE_PATH=str(Path(var) / "mail"),
            PYTHONDONTWRITEBYTECODE="1",
        )
        manage(env, "migrate", "--noinput", "-v", "0")
        demo_path = Path(var) / "demo.json"
        manage(env, "seed_demo", "--write", str(demo_path))
        demo = json.loads(demo_path.read_text())
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # What `make run` serves (Makefile, target run), without its migrate and seed steps,
        # which wrote the demo above into the temporary directory instead of var/.
        server = subprocess.Popen(
            [sys.executable, "manage.py", "serve_embedded", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(var) / "server.log", "wb"),  # noqa: SIM115 - closed with the dir
        )
        try:
            wait_until_serving(base, server)
            session, csrf = customer_login(base, demo["customers"][0])
            fuzz_env = {
                **os.environ,
                "PARLEY_FUZZ_SESSION": session,
                "PARLEY_FUZZ_CSRF": csrf,
                "PARLEY_FUZZ_SELLER_TOKEN": demo["sellers"][0]["token"],
                "PARLEY_FUZZ_DEMO": str(demo_path),
                "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
                "PYTHONPATH": str(ROOT / ".ci"),
            }
            command = [
                str(BIN / "st"),
                "--config-file",
                str(ROOT / ".ci" / "schemathesis.toml"),
                "run",
                f"{base}/api/schema/",
                "--checks",
                "all",
                "--max-examples",
                str(options.max_examples),
                "--seed",
                str(options.seed),
                # One worker: with two threads, Hypothesis' lambda descriptions call
                # `ast.parse` concurrently, which CPython 3.11 can fail with "SystemError: AST
                # constructor recursion depth mismatch" (a runtime error, not a finding).
                "--workers",
                "1",
                # Login and registration hash a password on purpose; on a loaded machine an
                # answer can take longer than schemathesis' default 10 s.
                "--request-timeout",
                "60",
                "--no-color",
            ]
            print("==", " ".join(command), flush=True)
            status = subprocess.run(command, cwd=var, env=fuzz_env, check=False).returncode
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        if server.returncode not in (0, -15):
            print((Path(var) / "server.log").read_text()[-4000:], file=sys.stderr)
    print(f"(live schema run: {time.monotonic() - started:.0f} s, status {status})")
    return status


if __name__ == "__main__":
    sys.exit(main())
