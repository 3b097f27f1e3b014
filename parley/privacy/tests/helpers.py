"""What the privacy tests share: building a customer's full history through the HTTP API,
and looking for their data in every column of every table and in the storage folder."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection

from parley.accounts.tests.factories import PASSWORD, UserFactory
from parley.catalog.tests.factories import DataSourceFactory, OrderFactory, ProductFactory
from parley.sellers.tests.factories import token_issue
from parley.support.tests.corpus import pdf
from parley.support.tests.factories import ContactSubjectFactory


@dataclass
class History:
    user: Any
    needles: list[str]  # what must be found nowhere after the erasure
    conversation_id: int
    seller_key: str
    session_key: str
    product_id: int


def _texts(value: Any) -> list[str]:
    """A column's value as the texts to search: JSON is read back with its escapes undone."""
    if value is None or isinstance(value, (int, float, bool)):
        return []
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, (dict, list)):
        return [json.dumps(value, ensure_ascii=False)]
    text = str(value)
    try:
        decoded = json.loads(text)
    except ValueError:
        return [text]
    return [text, json.dumps(decoded, ensure_ascii=False)]


def database_find(needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every needle found in any column of any table, found by
    introspection, so a table or column added later is searched too."""
    found = []
    lowered = [needle.lower() for needle in needles]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 (table names from the db)
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    for text in _texts(value):
                        for needle in lowered:
                            if needle in text.lower():
                                found.append((table, column, needle))
    return found


def storage_find(root: Path, needles: list[str]) -> list[tuple[str, str]]:
    found = []
    for path in root.rglob("*") if root.exists() else []:
        if not path.is_file():
            continue
        content = path.read_bytes().decode("utf-8", errors="replace").lower()
        for needle in needles:
            if needle.lower() in content or needle.lower() in str(path).lower():
                found.append((str(path), needle))
    return found


def history_build(client: Any, anonymous: Any, capture: Any, *, tag: str) -> History:
    """A customer with everything Parley can hold about them, made through the API: two
    contact requests with files (one logged in, one anonymous with the same address), a
    public question and a message conversation with the seller's answers, an order, e-mails
    sent and pending, an Idempotency-Key answer, a live session."""
    name, surname = f"Ayşegül{tag}", f"Yılmazer{tag}"
    email = f"aysegul.{tag}@example.com"
    phone = f"+9055511{tag}2233"[:20]
    user = UserFactory.create(email=email, first_name=name, last_name=surname, phone=phone)
    seller = DataSourceFactory.create(email=f"seller-{tag}@shop.example")
    product = ProductFactory.create(datasource=seller)
    order = OrderFactory.create(user=user, email=email)
    subject = ContactSubjectFactory.create()
    _, seller_key = token_issue(seller)
    texts = {
        "contact": f"My parcel {tag} never arrived, call me at {phone}",
        "anonymous": f"Second note {tag} about the parcel",
        "question": f"Is the blue one {tag} large enough for a tall person?",
        "subject": f"Sizes {tag} for me",
        "again": f"Thanks {tag}, I will order it then",
        "message": f"Where is my order {tag} please",
    }

    def write(kind: str, text: str, key: str = "", **fields: Any) -> Any:
        """The customer writes through `POST /users/conversations/`."""
        body = {
            "conversation_type": kind,
            "user": user.pk,
            "user_type": "registered",
            "message_content": text,
            "datasource": seller.pk,
            "content_type": "user",
            "content_id": user.pk,
            **fields,
        }
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        response = client.post("/users/conversations/", body, format="json", **headers)
        assert response.status_code == 201, response.content
        return response.json()

    client.login_as(user)
    with capture(execute=True):  # sent: the outbox delivers after the commit
        response = client.post(
            "/users/contact-us/",
            {
                "subject": subject.pk,
                "full_name": f"{name} {surname}",
                "email": email,
                "phone": phone,
                "message": texts["contact"],
                "order": order.pk,
                "file": _upload(f"passport-{tag}.pdf"),
            },
            format="multipart",
        )
        assert response.status_code == 200, response.content
        opened = write(
            "question",
            texts["question"],
            is_public=True,
            subject=texts["subject"],
            item_content="product",
            item_id=product.pk,
        )
    conversation_id = opened["id"]
    answered = client.post(
        f"/seller/conversations/{conversation_id}/messages/",
        {"message_content": f"Yes, it fits up to 2 metres ({tag})"},
        format="json",
        HTTP_AUTHORIZATION=f"Token {seller_key}",
    )
    assert answered.status_code == 201, answered.content
    # Pending: these e-mails are queued and never handed over (no commit callbacks run).
    write("question", texts["again"], conversation=conversation_id, key=f"again-{tag}")
    write("message", texts["message"])
    anonymous.fetch_csrf()
    response = anonymous.post(
        "/users/contact-us/",
        {
            "subject": subject.pk,
            "full_name": f"{name} {surname}",
            "email": email.upper(),
            "message": texts["anonymous"],
            "file": _upload(f"receipt-{tag}.pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    return History(
        user=user,
        needles=[name, surname, email, phone, *texts.values(), f"passport-{tag}", f"receipt-{tag}"],
        conversation_id=conversation_id,
        seller_key=seller_key,
        session_key=client.cookies["osessionid"].value,
        product_id=product.pk,
    )


def _upload(name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, pdf() + b"\n% " + name.encode(), "application/pdf")


__all__ = ["PASSWORD", "History", "database_find", "history_build", "storage_find"]
