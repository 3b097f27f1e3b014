"""The refusals the suite checks through the test client, on the real servers: `make run`'s
(waitress) and production's (gunicorn with deploy/gunicorn.conf.py), each a process on a free
loopback port, spoken to through raw sockets: over-cap bodies with a declared length and
chunked, bad input, a CSRF failure, a throttle, and a database outage.

Each server starts once per module (about two seconds) on its own copy of a migrated SQLite
file, so the outage never touches the shared PostgreSQL server.
"""

import http.client
import json
import socket
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from parley.core.tests.servers import (
    RunningServer,
    database_outage,
    embedded_server,
    gunicorn_server,
)

JSON_CAP = 1024 * 1024
MULTIPART_CAP = 11 * 1024 * 1024
LOGIN_PER_MINUTE = 3
# Only login is throttled tightly here (for the 429); the other requests must not run into it.
THROTTLES = f"login={LOGIN_PER_MINUTE}/min,contact_us=10000/min,contact_us_daily=100000/day"
UNAVAILABLE = {"detail": "Service temporarily unavailable; try again shortly."}


@pytest.fixture(scope="module", params=["embedded", "gunicorn"])
def server(
    request: pytest.FixtureRequest, migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    start = embedded_server if request.param == "embedded" else gunicorn_server
    with start(
        migrated_sqlite,
        tmp_path_factory.mktemp(request.param),
        PARLEY_THROTTLE_RATES=THROTTLES,
        PARLEY_TRUSTED_PROXY_COUNT="1",  # as behind one load balancer
    ) as running:
        yield running


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> object:
        assert self.headers["Content-Type"] == "application/json", self.headers
        return json.loads(self.body)


def exchange(
    server: RunningServer,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    headers: dict[str, str] | None = None,
    chunked: bool = False,
    declared_length: int | None = None,
    send_body: bool = True,
) -> Answer:
    """One request on a fresh connection, written byte by byte as a client would."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {server.host}:{server.port}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    else:
        lines.append(f"Content-Length: {len(body) if declared_length is None else declared_length}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    with socket.create_connection((server.host, server.port), timeout=60) as sock:
        sock.sendall(head)
        if send_body:
            try:
                for piece in _chunks(body) if chunked else [body]:
                    sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered and closed without reading it all: allowed
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        return Answer(response.status, response.headers, response.read())


def _chunks(body: bytes, size: int = 256 * 1024) -> Iterable[bytes]:
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def csrf_headers(server: RunningServer) -> dict[str, str]:
    with urllib.request.urlopen(server.base + "/csrf_token/", timeout=10) as response:
        token = json.load(response)["csrf_token"]
        cookie = SimpleCookie(response.headers["Set-Cookie"])["csrftoken"].value
    return {"Cookie": f"csrftoken={cookie}", "X-CSRFToken": token}


def json_body(size: int) -> bytes:
    return json.dumps({"email": "a@example.com", "message": "x" * size}).encode()


def multipart_body(file_size: int) -> tuple[bytes, str]:
    boundary = "parley-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="full_name"\r\n\r\nAyşe\r\n'
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + b"%PDF-"
        + b"0" * file_size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def too_large(cap: int) -> dict[str, str]:
    return {"detail": f"Request body too large: at most {cap} bytes."}


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_a_json_body_over_its_cap_is_413(server: RunningServer, chunked: bool) -> None:
    answer = exchange(
        server,
        "POST",
        "/users/contact-us/",
        json_body(JSON_CAP),
        headers={"Content-Type": "application/json", **csrf_headers(server)},
        chunked=chunked,
    )
    assert answer.status == 413
    assert answer.json() == too_large(JSON_CAP)
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_a_twelve_mib_upload_is_413(server: RunningServer, chunked: bool) -> None:
    body, content_type = multipart_body(12 * 1024 * 1024)
    answer = exchange(
        server,
        "POST",
        "/users/contact-us/",
        body,
        headers={"Content-Type": content_type, **csrf_headers(server)},
        chunked=chunked,
    )
    assert answer.status == 413
    assert answer.json() == too_large(MULTIPART_CAP)


def test_a_chunked_body_under_its_cap_reaches_the_view_whole(server: RunningServer) -> None:
    """Measuring a chunked body must not lose it: the form's own validation answers."""
    answer = exchange(
        server,
        "POST",
        "/users/contact-us/",
        json.dumps({"email": "not an address", "full_name": "Ayşe"}).encode(),
        headers={"Content-Type": "application/json", **csrf_headers(server)},
        chunked=True,
    )
    assert answer.status == 400
    assert answer.json() == {
        "subject": ["This field is required."],
        "email": ["Enter a valid email address."],
        "message": ["This field is required."],
    }


def test_a_declared_length_far_over_any_cap_is_refused_before_the_body(
    server: RunningServer,
) -> None:
    """Nothing of the body is sent: the answer comes from the declared length alone."""
    answer = exchange(
        server,
        "POST",
        "/users/contact-us/",
        headers={"Content-Type": "application/json"},
        declared_length=10 * 1024**3,
        send_body=False,
    )
    assert answer.status == 413


def test_bad_input_is_400(server: RunningServer) -> None:
    headers = {"Content-Type": "application/json", **csrf_headers(server)}
    answer = exchange(server, "POST", "/users/contact-us/", b'{"email": ', headers=headers)
    assert answer.status == 400
    assert answer.json() == {
        "detail": "JSON parse error - Expecting value: line 1 column 11 (char 10)"
    }
    answer = exchange(server, "POST", "/users/contact-us/", b"{}", headers=headers)
    assert answer.status == 400
    assert answer.json() == {
        field: ["This field is required."] for field in ("subject", "full_name", "email", "message")
    }


def test_an_unreadable_content_length_is_400(server: RunningServer) -> None:
    """The server itself refuses it (Django never sees the request), in its own words."""
    answer = exchange(
        server,
        "POST",
        "/users/contact-us/",
        headers={"Content-Type": "application/json", "Content-Length": "abc"},
        chunked=False,
        declared_length=0,
        send_body=False,
    )
    assert answer.status == 400


def test_a_post_without_csrf_token_is_403(server: RunningServer) -> None:
    answer = exchange(
        server, "POST", "/users/contact-us/", b"{}", headers={"Content-Type": "application/json"}
    )
    assert answer.status == 403
    assert answer.json() == {"detail": "CSRF Failed: CSRF cookie not set."}


def test_past_the_login_throttle_is_429_for_that_client_only(server: RunningServer) -> None:
    """The client is the address the trusted load balancer appended to X-Forwarded-For: the
    server hands the header to Django as it came."""

    def login(client: str, email: str) -> Answer:
        body = json.dumps({"email": email, "password": "wrong"}).encode()
        headers = {"Content-Type": "application/json", "X-Forwarded-For": client}
        return exchange(server, "POST", "/users/login/", body, headers=headers)

    answers = [login("203.0.113.7", "nobody@example.com") for _ in range(LOGIN_PER_MINUTE + 1)]
    assert [answer.status for answer in answers] == [400] * LOGIN_PER_MINUTE + [429]
    throttled = answers[-1]
    assert 0 < int(throttled.headers["Retry-After"]) <= 60
    detail = throttled.json()["detail"]  # type: ignore[index]
    assert detail.startswith("Request was throttled.")
    assert login("203.0.113.8", "somebody@example.com").status == 400


def test_during_a_database_outage_every_page_is_503_and_after_it_200(
    server: RunningServer,
) -> None:
    with database_outage(server):
        for path, headers in [
            ("/users/contact-us-subjects/", {}),  # a DRF view: the exception handler
            ("/admin/", {"Cookie": "osessionid=" + "k" * 32}),  # the admin: the middleware
        ]:
            answer = exchange(server, "GET", path, headers=headers)
            assert answer.status == 503, path
            assert answer.json() == UNAVAILABLE
            assert answer.headers["Retry-After"] == "5"
    answer = exchange(server, "GET", "/users/contact-us-subjects/")
    assert answer.status == 200
    assert answer.json() == []
