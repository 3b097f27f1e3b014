"""The hand-written floor: `GET /users/conversations/?limit=N&page=P` without Django.

The same JSON as Parley's list page (a test keeps them equal), from hand-written SQL and
orjson (the standard json module when orjson is not installed), as a bare WSGI callable:

    SECRET_KEY=... DATABASE_URL=postgres://... \
        gunicorn bench.floor:application --config deploy/gunicorn.conf.py

It does what the page needs and nothing else: read the session row, check its signature,
count the user's conversations, read the page joined to its user and seller, the page's
visible messages, order items with their orders, products and their images: six queries,
no ORM, no middleware. It is the practical limit for this page in Python on this database,
which is what Parley's throughput is measured against. Anything else answers 404.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.core import signing

try:
    import orjson
except ImportError:  # pragma: no cover - the lock file does not carry it
    orjson = None  # type: ignore[assignment]

PATH = "/users/conversations/"
SESSION_COOKIE = "osessionid"
SESSION_SALT = "django.contrib.sessions.SessionStore"
DEFAULT_LIMIT, MAX_LIMIT = 20, 100

DATASOURCE_COLUMNS = (
    "pk",
    "name",
    "title",
    "slug",
    "supplier_code",
    "mersis_number",
    "kep_address",
    "phone_number",
    "fax_number",
    "email",
    "is_active",
    "trade_association",
    "price_list",
    "stock_list",
    "address",
    "extras",
)

PAGE_SQL = (
    "SELECT c.id, c.conversation_type, c.item_content, c.item_id, c.is_answered, c.subject, "
    "c.last_message_date, c.is_public, "
    "u.id, u.first_name, u.last_name, u.gender, u.email, u.phone, "
    "d.id, d.name, d.title, d.slug, d.supplier_code, d.mersis_number, d.kep_address, "
    "d.phone_number, d.fax_number, d.email, d.is_active, d.trade_association, d.price_list, "
    "d.stock_list, d.address, d.extras "
    "FROM conversations_conversation c "
    "JOIN accounts_user u ON u.id = c.user_id "
    "JOIN catalog_datasource d ON d.id = c.datasource_id "
    "WHERE c.user_id = %s ORDER BY c.last_message_date DESC, c.id DESC LIMIT %s OFFSET %s"
)


def _in(values: Iterable[Any]) -> tuple[str, list[Any]]:
    """`IN (%s, ...)` and its parameters: portable to SQLite, which the test also runs on."""
    values = list(values)
    return "(" + ", ".join(["%s"] * len(values)) + ")", values


def _aware(value: Any) -> Any:
    # SQLite hands back naive UTC datetimes; PostgreSQL aware ones.
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = _aware(value).astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    raise TypeError(type(value).__name__)


def dumps(document: Any) -> bytes:
    if orjson is not None:
        return orjson.dumps(document, option=orjson.OPT_UTC_Z)
    return json.dumps(
        document, default=_default, ensure_ascii=False, separators=(",", ":")
    ).encode()


def _datetime(value: Any) -> Any:
    # orjson renders aware datetimes itself (with Z for UTC), the same text as _iso.
    if value is None:
        return None
    return _aware(value) if orjson is not None else _iso(value)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class Floor:
    """The list page. `connect()` returns a DB-API connection whose cursors take `%s`."""

    def __init__(self, connect: Callable[[], Any], secret_key: str) -> None:
        self.connect = connect
        self.secret_key = secret_key
        self.local = threading.local()

    def cursor(self) -> Any:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = self.connect()
        return connection.cursor()

    def user_id(self, cursor: Any, environ: dict[str, Any]) -> int | None:
        cookies = environ.get("HTTP_COOKIE", "")
        key = ""
        for part in cookies.split(";"):
            name, _, value = part.strip().partition("=")
            if name == SESSION_COOKIE:
                key = value
        if not key:
            return None
        cursor.execute(
            "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s",
            [key, datetime.now(UTC)],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        try:
            data = signing.loads(
                row[0],
                key=self.secret_key,
                fallback_keys=[],
                salt=SESSION_SALT,
                serializer=signing.JSONSerializer,
            )
        except signing.BadSignature:
            return None
        user = data.get("_auth_user_id")
        return int(user) if user is not None else None

    def page(
        self, cursor: Any, user_id: int, limit: int, page: int, base: str, query: dict[str, str]
    ) -> dict[str, Any] | None:
        cursor.execute(
            "SELECT count(*) FROM conversations_conversation WHERE user_id = %s", [user_id]
        )
        count = cursor.fetchone()[0]
        pages = max(1, -(-count // limit))
        if page > pages:
            return None
        cursor.execute(PAGE_SQL, [user_id, limit, (page - 1) * limit])
        rows = cursor.fetchall()
        ids = [row[0] for row in rows]
        messages: dict[int, list[dict[str, Any]]] = {cid: [] for cid in ids}
        if ids:
            marks, params = _in(ids)
            cursor.execute(
                "SELECT id, conversation_id, message_content, content_type, content_id, "
                "user_type, created_date FROM conversations_message "
                f"WHERE conversation_id IN {marks} AND is_hidden = %s "
                "ORDER BY created_date, id",
                [*params, False],
            )
            for mid, cid, content, ctype, content_id, user_type, created in cursor.fetchall():
                messages[cid].append(
                    {
                        "id": mid,
                        "message_content": content,
                        "content_type": ctype,
                        "content_id": content_id,
                        "user_type": user_type,
                        "created_date": _datetime(created),
                    }
                )
        items = self.items(cursor, rows)
        results = []
        for row in rows:
            datasource = dict(zip(DATASOURCE_COLUMNS, row[14:30], strict=True))
            datasource["is_active"] = bool(datasource["is_active"])
            datasource["extras"] = _json(datasource["extras"])
            results.append(
                {
                    "id": row[0],
                    "conversation_type": row[1],
                    "item_object": items.get((row[2], row[3])),
                    "is_answered": bool(row[4]),
                    "subject": row[5],
                    "message_set": messages[row[0]],
                    "user": {
                        "id": row[8],
                        "first_name": row[9],
                        "last_name": row[10],
                        "gender": row[11],
                        "email": row[12],
                        "phone": row[13],
                    },
                    "last_message_date": _datetime(row[6]),
                    "is_public": bool(row[7]),
                    "item_content": row[2],
                    "datasource": datasource,
                }
            )

        def link(number: int) -> str | None:
            if number < 1 or number > pages:
                return None
            params = {k: v for k, v in query.items() if k != "page"}
            if number > 1:
                params["page"] = str(number)
            return base + ("?" + urlencode(sorted(params.items())) if params else "")

        return {
            "count": count,
            "next": link(page + 1),
            "previous": link(page - 1),
            "results": results,
        }

    def items(self, cursor: Any, rows: list[Any]) -> dict[tuple[str, int], Any]:
        product_ids = {row[3] for row in rows if row[2] == "product"}
        orderitem_ids = {row[3] for row in rows if row[2] == "orderitem"}
        order_items = []
        if orderitem_ids:
            marks, params = _in(orderitem_ids)
            cursor.execute(
                "SELECT i.id, i.order_id, o.number, i.product_id FROM catalog_orderitem i "
                f"JOIN catalog_order o ON o.id = i.order_id WHERE i.id IN {marks}",
                params,
            )
            order_items = cursor.fetchall()
            product_ids |= {item[3] for item in order_items}
        products: dict[int, dict[str, Any]] = {}
        if product_ids:
            marks, params = _in(product_ids)
            cursor.execute(
                f"SELECT id, sku, name FROM catalog_product WHERE id IN {marks}",
                params,
            )
            for pid, sku, name in cursor.fetchall():
                products[pid] = {"pk": pid, "sku": sku, "name": name, "product_images": []}
            cursor.execute(
                'SELECT id, product_id, image, "order", height, width FROM catalog_productimage '
                f'WHERE product_id IN {marks} ORDER BY "order", id',
                params,
            )
            for iid, pid, image, order, height, width in cursor.fetchall():
                products[pid]["product_images"].append(
                    {
                        "pk": iid,
                        "product": pid,
                        "image": image,
                        "order": order,
                        "height": height,
                        "width": width,
                    }
                )
        found: dict[tuple[str, int], Any] = {
            ("product", pid): products[pid] for pid in product_ids if pid in products
        }
        for iid, order_id, number, pid in order_items:
            found[("orderitem", iid)] = {
                "pk": iid,
                "order": order_id,
                "order_number": number,
                "product": products[pid],
            }
        return found

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.rstrip("/") == "/readyz":  # for the harness that waits for the server
            return self.answer(start_response, "200 OK", {"status": "ok"})
        if path.rstrip("/") + "/" != PATH:
            return self.answer(start_response, "404 Not Found", {"detail": "Not found."})
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        try:
            limit = int(query.get("limit", DEFAULT_LIMIT))
            limit = min(limit, MAX_LIMIT) if limit > 0 else DEFAULT_LIMIT
        except ValueError:
            limit = DEFAULT_LIMIT
        try:
            page = int(query.get("page", 1))
        except ValueError:
            page = 0
        cursor = self.cursor()
        try:
            user_id = self.user_id(cursor, environ)
            if user_id is None:
                return self.answer(
                    start_response,
                    "403 Forbidden",
                    {"detail": "Authentication credentials were not provided."},
                )
            if page < 1:
                return self.answer(start_response, "404 Not Found", {"detail": "Invalid page."})
            scheme = environ.get("wsgi.url_scheme", "http")
            base = f"{scheme}://{environ.get('HTTP_HOST', 'localhost')}{path}"
            document = self.page(cursor, user_id, limit, page, base, query)
        finally:
            cursor.close()
        if document is None:
            return self.answer(start_response, "404 Not Found", {"detail": "Invalid page."})
        return self.answer(start_response, "200 OK", document)

    @staticmethod
    def answer(start_response: Callable[..., Any], status: str, document: Any) -> list[bytes]:
        body = dumps(document)
        start_response(
            status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]


def _psycopg_connect() -> Any:
    import psycopg

    url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    connection = psycopg.connect(url, autocommit=True)
    connection.execute("SET TIME ZONE 'UTC'")
    return connection


def _application() -> Floor | None:
    if "DATABASE_URL" not in os.environ or "SECRET_KEY" not in os.environ:
        return None
    return Floor(_psycopg_connect, os.environ["SECRET_KEY"])


application = _application()
