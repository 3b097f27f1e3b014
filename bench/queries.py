"""The Django side of bench/run.py, run in a process of its own on a bench database.

    python bench/queries.py var/bench/small.json   # SQL queries per read request, as JSON
    python bench/queries.py --queue-mail 10000     # pending e-mails and their tasks queued

Queries are counted on the second of two identical requests (the first may write a seller
token's last use), for several users or sellers and for page sizes 1 and 100.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.floor import Floor  # noqa: E402


def counted(call) -> int:
    call()
    with CaptureQueriesContext(connection) as context:
        status = call()
    if status != 200:
        raise SystemExit(f"status {status}")
    return len(context.captured_queries)


def query_counts(material: dict) -> dict[str, list[int]]:
    client = Client()
    users = material["users"][:3]
    sellers = material["sellers"][:3]
    floor = Floor(lambda: connection, settings.SECRET_KEY)

    def get(path: str, **headers: str):
        return lambda: client.get(path, **headers).status_code

    def session(user: dict) -> None:
        client.cookies[settings.SESSION_COOKIE_NAME] = user["session"]

    counts: dict[str, list[int]] = {
        "list": [],
        "list (floor)": [],
        "detail": [],
        "subjects": [],
        "seller list": [],
        "unread": [],
        "inbox list": [],
    }
    for user in users:
        session(user)
        for limit in (1, 100):
            counts["list"].append(counted(get(f"/users/conversations/?limit={limit}")))

            def floor_call(limit: int = limit, user: dict = user) -> int:
                answer: list[str] = []
                environ = {
                    "PATH_INFO": "/users/conversations/",
                    "QUERY_STRING": f"limit={limit}",
                    "HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={user['session']}",
                    "HTTP_HOST": "testserver",
                }
                floor(environ, lambda status, headers: answer.append(status))
                return int(answer[0].split()[0])

            counts["list (floor)"].append(counted(floor_call))
        counts["detail"].append(counted(get(f"/users/conversations/{user['conversations'][0]}/")))
        counts["unread"].append(counted(get("/users/conversations/unread/")))
    client.cookies[settings.SESSION_COOKIE_NAME] = material["inbox"]["session"]
    for tab in ("needs_reply", "unread", "all"):
        counts["inbox list"].append(counted(get(f"/seller/inbox/?tab={tab}")))
    client.cookies.clear()
    counts["subjects"].append(counted(get("/users/contact-us-subjects/")))
    for seller in sellers:
        for limit in (1, 100):
            counts["seller list"].append(
                counted(
                    get(
                        f"/seller/conversations/?limit={limit}",
                        HTTP_AUTHORIZATION=f"Token {seller['key']}",
                    )
                )
            )
    return counts


def queue_mail(count: int) -> str:
    """`count` pending e-mails like the contact form's, and one worker task each: the
    outbox emptied first (bench databases only)."""
    from django.utils import timezone

    from parley.mail import tasks
    from parley.mail.models import EmailStatus, OutgoingEmail

    tag = uuid.uuid4().hex[:8]
    OutgoingEmail.objects.all().delete()
    now = timezone.now()
    text = "Ad Soyad: Bench Customer\nE-posta: bench@example.com\n\n" + "Siparişim nerede? " * 20
    html = "<html><body><p>" + text.replace("\n", "<br>") + "</p></body></html>"
    emails = OutgoingEmail.objects.bulk_create(
        OutgoingEmail(
            kind="contact_us",
            from_email="noreply@parley.localhost",
            to=["support@parley.localhost"],
            reply_to=[f"customer{n}@example.com"],
            subject=f"[bench {tag}] Contact form #{n}",
            text_body=text,
            html_body=html,
            message_id=f"<bench.{tag}.{n}@parley.localhost>",
            status=EmailStatus.PENDING,
            next_attempt_at=now,
        )
        for n in range(count)
    )
    for email in emails:
        tasks.email_send.delay(email.pk)
    return tag


if __name__ == "__main__":
    if sys.argv[1] == "--queue-mail":
        print(queue_mail(int(sys.argv[2])))
    else:
        print(json.dumps(query_counts(json.loads(Path(sys.argv[1]).read_text()))))
