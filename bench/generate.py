"""Load a shop into PostgreSQL with COPY, for the load benchmark (bench/run.py).

    python bench/generate.py small|large [--sessions 200] [--tokens 20] [--force]

Recreates the database `parley_bench_<profile>` (migrate), drops the secondary indexes and
foreign keys of the bulk tables, streams the rows in with psycopg's `cursor.copy`, rebuilds
the indexes and constraints, ANALYZEs, and writes `var/bench/<profile>.json`: the session
cookies, CSRF token and seller API keys the load driver authenticates with, and the ids it
requests. A database that already holds this profile at this generator version is kept
unless --force.

Skew, as in a real shop: user activity and seller size are Pareto-distributed (a few users
with hundreds of conversations, a few sellers with most of the products), and so are
messages per conversation (most have one to three, some hundreds). Every row satisfies the
models' constraints: the two partial unique constraints of a conversation, item content and
id together, valid choices, positive quantities, unique e-mails, SKUs and order numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GENERATOR_VERSION = 4  # 2: VACUUM ANALYZE after the load; 3: read marks, an inbox member;
# 4: waiting_since
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
# Sessions are signed and bound to the password hash with the secret key, so the generator
# and the served stack share this one (bench databases only).
SECRET_KEY = "bench-only-secret-key-" + "b" * 40


@dataclass(frozen=True)
class Profile:
    name: str
    users: int
    sellers: int
    products: int
    images_per_product: int
    conversations: int
    messages: int


PROFILES = {
    "small": Profile("small", 2_000, 50, 5_000, 3, 10_000, 50_000),
    "large": Profile("large", 100_000, 1_000, 100_000, 3, 1_000_000, 5_000_000),
}

T0 = datetime(2025, 1, 1, tzinfo=UTC)
BULK_TABLES = (
    "accounts_user",
    "catalog_datasource",
    "catalog_product",
    "catalog_productimage",
    "catalog_order",
    "catalog_orderitem",
    "conversations_conversation",
    "conversations_message",
)
SENTENCE = (
    "merhaba kargo ne zaman gelir beden uyar mı renk iade değişim fatura teşekkürler hello when "
    "will it ship does the size fit colour return exchange invoice thanks please sipariş ürün "
    "stok indirim garanti"
)
WORDS = SENTENCE.split()


def database_url(profile: str) -> str:
    return f"{PG_SERVER}/parley_bench_{profile}"


class Timestamps:
    """PostgreSQL text for T0 + n minutes, cached: formatting datetimes is most of the cost
    of a message row otherwise."""

    def __init__(self) -> None:
        self.cache: dict[int, str] = {}

    def __call__(self, minutes: int) -> str:
        text = self.cache.get(minutes)
        if text is None:
            text = (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:00+00")
            self.cache[minutes] = text
        return text


def pareto_weights(n: int, alpha: float, rng: random.Random) -> list[float]:
    return [rng.paretovariate(alpha) for _ in range(n)]


def capped_counts(total: int, slots: int, weights: list[float], cap: int, rng: random.Random):
    """`total` units spread over `slots`, each slot at least one and at most `cap`."""
    counts = [1] * slots
    remaining = total - slots
    cumulative = []
    running = 0.0
    for w in weights:
        running += w
        cumulative.append(running)
    while remaining > 0:
        for slot in rng.choices(range(slots), cum_weights=cumulative, k=remaining):
            if counts[slot] < cap:
                counts[slot] += 1
                remaining -= 1
    return counts


def copy_rows(cursor: Any, table: str, columns: str, rows: Iterator[str]) -> int:
    """Stream tab-separated lines into the table; returns the row count."""
    count = 0
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer: list[str] = []
        for line in rows:
            buffer.append(line)
            if len(buffer) >= 20_000:
                copy.write("".join(buffer))
                count += len(buffer)
                buffer.clear()
        if buffer:
            copy.write("".join(buffer))
            count += len(buffer)
    return count


def text(words: int, rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=words))


def generate(profile: Profile, connection: Any, seed: int = 7) -> dict[str, Any]:
    """Every bulk row, COPYed table by table. Returns what the session step needs."""
    rng = random.Random(seed)
    ts = Timestamps()
    cursor = connection.cursor()
    summary: dict[str, Any] = {}

    # Users: unusable passwords (the driver logs in through sessions made here, not a login).
    def users() -> Iterator[str]:
        for uid in range(1, profile.users + 1):
            gender = ("female", "male", "other", "\\N")[uid % 4]
            yield (
                f"{uid}\t!bench{uid}\tf\tbench{uid}@example.com\tAd{uid}\tSoyad{uid}\t"
                f"+90555{uid:07d}\t{gender}\tt\tf\tregistered\tf\tt\t{ts(uid % 500_000)}\n"
            )

    copy_rows(
        cursor,
        "accounts_user",
        "id, password, is_superuser, email, first_name, last_name, phone, gender, "
        "email_allowed, sms_allowed, user_type, is_staff, is_active, date_joined",
        users(),
    )

    def sellers() -> Iterator[str]:
        for sid in range(1, profile.sellers + 1):
            extras = json.dumps({"rating": sid % 5, "tags": ["bench"]})
            yield (
                f"{sid}\tseller-{sid}\tSeller {sid} Ltd.\tseller-{sid}\tSUP{sid:05d}\t"
                f"{sid:016d}\tseller{sid}@hs01.kep.tr\t+90212{sid:07d}\t\\N\t"
                f"seller{sid}@example.com\tt\t\\N\t{sid}\t{sid}\tIstanbul, street {sid}\t"
                f"{extras}\n"
            )

    copy_rows(
        cursor,
        "catalog_datasource",
        "id, name, title, slug, supplier_code, mersis_number, kep_address, phone_number, "
        "fax_number, email, is_active, trade_association, price_list, stock_list, address, "
        "extras",
        sellers(),
    )

    # A few sellers carry most products.
    seller_weights = pareto_weights(profile.sellers, 1.1, rng)
    product_seller = rng.choices(
        range(1, profile.sellers + 1), weights=seller_weights, k=profile.products
    )

    def products() -> Iterator[str]:
        for pid in range(1, profile.products + 1):
            name = f"Ürün {pid} {WORDS[pid % len(WORDS)]}"
            yield f"{pid}\tSKU-{pid:08d}\t{name}\t{product_seller[pid - 1]}\n"

    copy_rows(cursor, "catalog_product", "id, sku, name, datasource_id", products())

    def images() -> Iterator[str]:
        iid = 0
        for pid in range(1, profile.products + 1):
            for n in range(profile.images_per_product):
                iid += 1
                path = f"products/2025/{pid % 12 + 1:02d}/{pid}-{n}.jpg"
                yield f"{iid}\t{path}\t{n}\t1200\t900\t{pid}\n"

    copy_rows(
        cursor, "catalog_productimage", 'id, image, "order", height, width, product_id', images()
    )

    # Conversations: users by activity (Pareto, capped at 600), each about a distinct item.
    per_user = capped_counts(
        profile.conversations, profile.users, pareto_weights(profile.users, 1.2, rng), 600, rng
    )
    per_conversation = capped_counts(
        profile.messages,
        profile.conversations,
        pareto_weights(profile.conversations, 1.5, rng),
        400,
        rng,
    )
    order_rows: list[str] = []
    item_rows: list[str] = []
    conversation_rows: list[str] = []
    cid = 0
    order_id = 0
    span = 500_000  # minutes: the conversations' openings spread over about a year
    last_dates: list[int] = []
    for uid in range(1, profile.users + 1):
        used_products: set[int] = set()
        used_plain: set[tuple[int, str]] = set()
        for _ in range(per_user[uid - 1]):
            cid += 1
            kind = rng.random()
            opened = rng.randrange(span)
            if kind < 0.6:  # about a product
                pid = rng.randrange(1, profile.products + 1)
                while pid in used_products:
                    pid = rng.randrange(1, profile.products + 1)
                used_products.add(pid)
                seller = product_seller[pid - 1]
                ctype = "question" if kind < 0.3 else "message"
                item = f"product\t{pid}"
            elif kind < 0.9:  # about an order item of the user's own order
                pid = rng.randrange(1, profile.products + 1)
                seller = product_seller[pid - 1]
                order_id += 1
                order_rows.append(
                    f"{order_id}\tB-{order_id:09d}\tbench{uid}@example.com\t{ts(opened)}\t{uid}\n"
                )
                item_rows.append(
                    f"{order_id}\t{1 + order_id % 3}\t{(pid % 500) + 9.9:.2f}\t{seller}\t"
                    f"{order_id}\t{pid}\n"
                )
                ctype = "message"
                item = f"orderitem\t{order_id}"
            else:  # no item: one per user, seller and type
                seller = rng.randrange(1, profile.sellers + 1)
                ctype = "message"
                if (seller, ctype) in used_plain:
                    ctype = "review"
                    if (seller, ctype) in used_plain:
                        # Fall back to a product conversation, always possible.
                        pid = rng.randrange(1, profile.products + 1)
                        while pid in used_products:
                            pid = rng.randrange(1, profile.products + 1)
                        used_products.add(pid)
                        seller, ctype = product_seller[pid - 1], "question"
                        item = f"product\t{pid}"
                    else:
                        used_plain.add((seller, ctype))
                        item = "\\N\t\\N"
                else:
                    used_plain.add((seller, ctype))
                    item = "\\N\t\\N"
            messages = per_conversation[cid - 1]
            last = opened + (messages - 1) * 7
            answered = messages > 1 and messages % 2 == 0  # last writer is the seller
            first_response = ts(opened + 7) if messages > 1 else "\\N"
            last_dates.append(opened)
            conversation_rows.append(
                f"{cid}\t{ctype}\tKonu {cid}\t{item}\t{'t' if ctype == 'question' else 'f'}\t"
                f"{'t' if answered else 'f'}\t{ts(last)}\t{first_response}\t{ts(opened)}\t"
                f"{ts(last)}\t{seller}\t{uid}\t0\t0\n"
            )
    copy_rows(cursor, "catalog_order", "id, number, email, created_date, user_id", iter(order_rows))
    copy_rows(
        cursor,
        "catalog_orderitem",
        "id, quantity, price, datasource_id, order_id, product_id",
        iter(item_rows),
    )
    del order_rows, item_rows
    copy_rows(
        cursor,
        "conversations_conversation",
        "id, conversation_type, subject, item_content, item_id, is_public, is_answered, "
        "last_message_date, first_response_date, created_date, modified_date, datasource_id, "
        "user_id, customer_unread_count, seller_unread_count",
        iter(conversation_rows),
    )
    del conversation_rows

    sellers_of = cursor.execute(
        "SELECT id, user_id, datasource_id FROM conversations_conversation ORDER BY id"
    ).fetchall()
    bodies = [text(n, rng) for n in range(3, 40)]

    def messages() -> Iterator[str]:
        mid = 0
        for (conversation_id, uid, seller), count, opened in zip(
            sellers_of, per_conversation, last_dates, strict=True
        ):
            for n in range(count):
                mid += 1
                writer = f"datasource\t{seller}" if n % 2 else f"user\t{uid}"
                hidden = "t" if mid % 97 == 0 else "f"
                # An empty moderation status: never held (API.md §9).
                yield (
                    f"{mid}\t{bodies[mid % len(bodies)]}\t{writer}\tregistered\t"
                    f"{ts(opened + n * 7)}\t{hidden}\t\\N\t{conversation_id}\t\\N\t\n"
                )

    copy_rows(
        cursor,
        "conversations_message",
        "id, message_content, content_type, content_id, user_type, created_date, is_hidden, "
        "hidden_at, conversation_id, hidden_by_id, moderation_status",
        messages(),
    )
    # Read marks (API.md §7) as the services leave them: each side has read up to its own
    # newest message, and the counts follow (as migration conversations 0004 computes them).
    cursor.execute(
        "UPDATE conversations_conversation c SET customer_last_read_message_id = m.customer, "
        "seller_last_read_message_id = m.seller FROM (SELECT conversation_id, "
        "max(id) FILTER (WHERE content_type = 'user') AS customer, "
        "max(id) FILTER (WHERE content_type = 'datasource') AS seller "
        "FROM conversations_message GROUP BY conversation_id) m WHERE m.conversation_id = c.id"
    )
    cursor.execute(
        "UPDATE conversations_conversation c SET customer_unread_count = u.customer, "
        "seller_unread_count = u.seller FROM (SELECT m.conversation_id, "
        "count(*) FILTER (WHERE m.content_type = 'datasource' "
        "AND m.id > coalesce(o.customer_last_read_message_id, 0)) AS customer, "
        "count(*) FILTER (WHERE m.content_type = 'user' "
        "AND m.id > coalesce(o.seller_last_read_message_id, 0)) AS seller "
        "FROM conversations_message m JOIN conversations_conversation o "
        "ON o.id = m.conversation_id WHERE NOT m.is_hidden GROUP BY m.conversation_id) u "
        "WHERE u.conversation_id = c.id"
    )
    # Since when each unanswered conversation waits, as the services keep it (migration
    # conversations 0005 computes it the same way): the first visible customer message after
    # the seller's last visible one, or the first visible customer message.
    cursor.execute(
        "UPDATE conversations_conversation c SET waiting_since = coalesce(w.after, w.first) "
        "FROM (SELECT m.conversation_id, min(m.created_date) FILTER (WHERE "
        "m.content_type = 'user' AND m.created_date > s.last_seller) AS after, "
        "min(m.created_date) FILTER (WHERE m.content_type = 'user') AS first "
        "FROM conversations_message m LEFT JOIN (SELECT conversation_id, "
        "max(created_date) AS last_seller FROM conversations_message "
        "WHERE content_type = 'datasource' AND NOT is_hidden GROUP BY conversation_id) s "
        "ON s.conversation_id = m.conversation_id WHERE NOT m.is_hidden "
        "GROUP BY m.conversation_id) w WHERE w.conversation_id = c.id AND NOT c.is_answered"
    )
    summary["orders"] = order_id
    return summary


def constraints_drop(connection: Any) -> list[str]:
    """Drop the foreign keys, unique constraints and secondary indexes of the bulk tables
    (loading into bare tables and indexing once is several times faster than maintaining
    the indexes row by row); return the statements that recreate them."""
    cursor = connection.cursor()
    tables = list(BULK_TABLES)
    restore: list[str] = []
    drops: list[str] = []
    for table, name, definition in cursor.execute(
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
           FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('f','u')
           ORDER BY contype DESC""",
        [tables],
    ):
        drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in cursor.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        [tables],
    ):
        drops.append(f"DROP INDEX {name}")
        restore.insert(0, definition)
    for statement in drops:
        cursor.execute(statement)
    return restore


def constraints_restore(statements: list[str]) -> None:
    """Indexes first, in two connections (two cores), then unique constraints and foreign
    keys."""
    import psycopg

    indexes = [s for s in statements if s.startswith("CREATE")]
    others = [s for s in statements if not s.startswith("CREATE")]
    halves = [indexes[0::2], indexes[1::2]]

    def run(batch: list[str]) -> None:
        with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
            connection.execute("SET maintenance_work_mem = '512MB'")
            for statement in batch:
                connection.execute(statement)

    import threading

    threads = [threading.Thread(target=run, args=(half,)) for half in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run(sorted(others, key=lambda s: "FOREIGN KEY" in s))


DATABASE_URL = ""


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def auth_material(profile: Profile, sessions: int, tokens: int, seed: int = 11) -> dict[str, Any]:
    """Django sessions for the most active users (whose list pages are full), seller tokens
    through the sellers service, contact subjects, and the ids the driver asks for."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count

    from parley.accounts.models import User
    from parley.catalog.models import DataSource
    from parley.conversations.models import Conversation
    from parley.sellers.services import seller_token_create
    from parley.support.models import ContactSubject

    rng = random.Random(seed)
    # Users with at least a full page, drawn at random, so that both profiles serve the
    # same page size and the comparison is about table size, not page size.
    candidates = list(
        User.objects.annotate(n=Count("conversations"))
        .filter(n__gte=20)
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    chosen = rng.sample(candidates, min(sessions, len(candidates)))
    users = []
    for user in User.objects.filter(pk__in=chosen):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "parley.accounts.backends.UserBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.set_expiry(30 * 24 * 3600)
        session.create()
        conversation_ids = list(
            Conversation.objects.filter(user=user).order_by("?").values_list("pk", flat=True)[:5]
        )
        latest = Conversation.objects.filter(user=user).order_by("-last_message_date", "-id")[0]
        users.append(
            {
                "id": user.pk,
                "session": session.session_key,
                "conversations": conversation_ids,
                "append": {
                    "conversation": latest.pk,
                    "conversation_type": latest.conversation_type,
                    "datasource": latest.datasource_id,
                },
            }
        )
    biggest_sellers = list(
        DataSource.objects.annotate(n=Count("conversations")).order_by("-n", "pk")[:tokens]
    )
    seller_keys = [
        {"seller": seller.pk, "key": seller_token_create(datasource=seller, name="bench").key}
        for seller in biggest_sellers
    ]
    # The inbox: a member of the seller with the most conversations, logged in.
    from parley.sellers.services import seller_member_add

    member = User.objects.create_user("bench-inbox@example.com", None)
    seller_member_add(datasource=biggest_sellers[0], user=member, role="agent")
    member_session = SessionStore()
    member_session[SESSION_KEY] = str(member.pk)
    member_session[BACKEND_SESSION_KEY] = "parley.accounts.backends.UserBackend"
    member_session[HASH_SESSION_KEY] = member.get_session_auth_hash()
    member_session.set_expiry(30 * 24 * 3600)
    member_session.create()
    inbox = {
        "seller": biggest_sellers[0].pk,
        "session": member_session.session_key,
        "conversations": biggest_sellers[0].n,  # type: ignore[attr-defined]
    }
    subjects = []
    for n, (text_en, order_needed) in enumerate(
        [("Delivery", False), ("Payment", False), ("Return", True), ("Other", False)]
    ):
        subject = ContactSubject.objects.create(
            text=text_en, text_en=text_en, text_tr=text_en, is_order_needed=order_needed, order=n
        )
        subjects.append({"id": subject.pk, "is_order_needed": order_needed})
    return {
        "profile": profile.name,
        "csrf": "".join(rng.choices("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", k=32)),
        "users": users,
        "sellers": seller_keys,
        "inbox": inbox,
        "subjects": subjects,
    }


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG_SERVER}/postgres", "-qXc", sql], check=True)


def current_version(url: str, profile: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as connection:
            row = connection.execute("SELECT profile, version FROM bench_meta").fetchone()
            applied = set(connection.execute("SELECT app, name FROM django_migrations"))
    except psycopg.Error:
        return False
    # A migration added since the load (a new column the generator now fills, a new table)
    # makes the database stale too, without anyone remembering to bump the version.
    ours = {
        (path.parent.parent.name, path.stem)
        for path in (ROOT / "parley").glob("*/migrations/0*.py")
    }
    return row == (profile, GENERATOR_VERSION) and ours <= applied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("profile", choices=sorted(PROFILES))
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--tokens", type=int, default=20)
    parser.add_argument("--force", action="store_true")
    options = parser.parse_args()
    profile = PROFILES[options.profile]
    url = database_url(profile.name)
    global DATABASE_URL
    DATABASE_URL = url
    material_path = ROOT / "var" / "bench" / f"{profile.name}.json"
    if not options.force and current_version(url, profile.name) and material_path.exists():
        print(f"{profile.name}: parley_bench_{profile.name} is current, kept (--force reloads)")
        return

    started = time.monotonic()
    name = f"parley_bench_{profile.name}"
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    migrated = time.monotonic()

    import psycopg

    with psycopg.connect(url) as connection:
        restore = constraints_drop(connection)
        generate(profile, connection)
        for table in BULK_TABLES:
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        connection.commit()
    loaded = time.monotonic()
    constraints_restore(restore)
    indexed = time.monotonic()
    with psycopg.connect(url, autocommit=True) as connection:
        # VACUUM too: it sets the visibility map, without which every index-only scan
        # (the listing's count) visits the heap of a freshly loaded table.
        connection.execute("VACUUM ANALYZE")
    analysed = time.monotonic()

    django_setup(url)
    material = auth_material(profile, options.sessions, options.tokens)
    material_path.parent.mkdir(parents=True, exist_ok=True)
    material_path.write_text(json.dumps(material, indent=1))
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE bench_meta (profile text, version int)")
        connection.execute(
            "INSERT INTO bench_meta VALUES (%s, %s)", [profile.name, GENERATOR_VERSION]
        )
    print(
        f"{profile.name}: {profile.conversations} conversations, {profile.messages} messages, "
        f"{profile.users} users, {profile.sellers} sellers, {profile.products} products; "
        f"migrate {migrated - started:.0f}s, COPY {loaded - migrated:.0f}s, "
        f"indexes {indexed - loaded:.0f}s, VACUUM ANALYZE {analysed - indexed:.0f}s, "
        f"total {time.monotonic() - started:.0f}s"
    )


if __name__ == "__main__":
    main()
