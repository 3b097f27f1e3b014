"""Where the time of `GET /users/conversations/?limit=100` goes: SQL or Python.

Builds one customer with a full page of conversations (half about a product, half about an
order item), many messages each and several images per product, in a throw-away test
database (SQLite in memory by default; PostgreSQL when DATABASE_URL names it, in a database
called bench_<name> that is dropped afterwards). Then it calls the list endpoint through the
whole Django stack (session, middleware, view, JSON rendering) many times and splits each
request into:

  sql            time inside the database driver's execute() (connection.execute_wrapper).
                 psycopg receives every row inside execute(); sqlite3 steps through most
                 rows while they are fetched, which lands in `orm` below, so on SQLite this
                 undercounts the database
  orm            the rest of reading the page (pagination and `pages.conversation_rows_fetch`):
                 compiled queries, fetching and converting rows
  serialize      `pages.conversation_rows_render`: the rows into the answer's dicts
  render         JSON rendering of the response (orjson)
  other          everything else: middleware, session, authentication, pagination, URL routing

and prints the medians and the SQL : Python ratio. It also times the declared (pure DRF)
rendering of the same page (the tests' reference, `parley/conversations/tests/helpers.py`)
against the rows path the API runs (`parley.conversations.pages`).

    python bench/conversations_serialization.py [--conversations 100] [--messages 20]
        [--images 5] [--runs 30]
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from parley.accounts.models import User  # noqa: E402
from parley.catalog.models import (  # noqa: E402
    DataSource,
    Order,
    OrderItem,
    Product,
    ProductImage,
)
from parley.conversations import pages  # noqa: E402
from parley.conversations.models import Conversation, Message  # noqa: E402
from parley.conversations.serializers import ConversationOutputSerializer  # noqa: E402
from parley.conversations.tests.helpers import with_what_the_serializers_read  # noqa: E402
from parley.core.pagination import PageLimitPagination  # noqa: E402
from parley.core.renderers import OrjsonRenderer  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def build(conversations: int, messages: int, images: int) -> User:
    user = User.objects.create_user("bench@example.com", "bench-password-2026", first_name="Ayşe")
    seller = DataSource.objects.create(name="bench-seller", title="Bench Seller", extras={"a": 1})
    products = Product.objects.bulk_create(
        Product(sku=f"BENCH-{i}", name=f"Ürün {i}", datasource=seller) for i in range(conversations)
    )
    ProductImage.objects.bulk_create(
        ProductImage(
            product=product,
            image=f"products/2026/01/01/{product.pk}-{n}.jpg",
            order=n,
            height=800,
            width=600,
        )
        for product in products
        for n in range(images)
    )
    order = Order.objects.create(number="BENCH-1", user=user, email=user.email, created_date=T0)
    items = OrderItem.objects.bulk_create(
        OrderItem(order=order, product=p, datasource=seller, price=Decimal("9.90"))
        for p in products
    )
    rows = Conversation.objects.bulk_create(
        Conversation(
            user=user,
            datasource=seller,
            conversation_type="message",
            subject=f"Konu {i}",
            item_content="orderitem" if i % 2 else "product",
            item_id=items[i].pk if i % 2 else products[i].pk,
            last_message_date=T0 + timedelta(minutes=i),
        )
        for i in range(conversations)
    )
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            message_content=f"Merhaba, bu {n}. mesaj 👋 " * 4,
            content_type="datasource" if n % 2 else "user",
            content_id=seller.pk if n % 2 else user.pk,
            user_type="registered",
            created_date=T0 + timedelta(seconds=n),
        )
        for conversation in rows
        for n in range(messages)
    )
    return user


class Stopwatch:
    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def running(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - start


def timed_method(owner: Any, name: str, watch: Stopwatch) -> Callable[[], None]:
    """Wrap owner.name (a class's method or a module's function) so that its time accumulates
    in watch; return the undo."""
    had_own = name in owner.__dict__
    original = owner.__dict__.get(name)
    function = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with watch.running():
            return function(*args, **kwargs)

    setattr(owner, name, wrapper)
    if had_own:
        return lambda: setattr(owner, name, original)
    return lambda: delattr(owner, name)


class SqlTimer:
    """A connection.execute_wrapper that counts queries and times the driver's execute()."""

    def __init__(self) -> None:
        self.watch = Stopwatch()
        self.queries = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries += 1
        with self.watch.running():
            return execute(sql, params, many, context)


def measure(user: User, limit: int, runs: int) -> dict[str, list[float]]:
    client = APIClient()
    client.force_login(user)
    url = f"/users/conversations/?limit={limit}"
    assert len(client.get(url).json()["results"]) == limit  # warm up, and check the page

    samples: dict[str, list[float]] = {
        k: [] for k in ("total", "sql", "orm", "serialize", "render", "queries")
    }
    for _ in range(runs):
        sql, fetch, serialize, render = SqlTimer(), Stopwatch(), Stopwatch(), Stopwatch()
        # The page's rows are read in paginate_queryset and conversation_rows_fetch.
        undo = [
            timed_method(PageLimitPagination, "paginate_queryset", fetch),
            timed_method(pages, "conversation_rows_fetch", fetch),
            timed_method(pages, "conversation_rows_render", serialize),
            timed_method(OrjsonRenderer, "render", render),
        ]
        try:
            with connection.execute_wrapper(sql):
                start = time.perf_counter()
                response = client.get(url)
                total = time.perf_counter() - start
        finally:
            for step in undo:
                step()
        assert response.status_code == 200
        samples["total"].append(total)
        # Every query of the request is SQL, wherever it runs (session and user lookups too).
        samples["sql"].append(sql.watch.seconds)
        samples["orm"].append(max(fetch.seconds - sql.watch.seconds, 0.0))
        samples["serialize"].append(serialize.seconds)
        samples["render"].append(render.seconds)
        samples["queries"].append(sql.queries)
    return samples


def rendering_paths(user: User, limit: int, runs: int) -> tuple[float, float]:
    """Rendering only, both from what is already read: the rows path's render of the page
    against DRF's declared fields over the same conversations as model instances."""
    rows = list(pages.conversation_list_for_user(user)[0:limit])
    fetched = pages.conversation_rows_fetch(rows)
    instances = [
        with_what_the_serializers_read(conversation)
        for conversation in Conversation.objects.filter(pk__in=[row[pages.ID] for row in rows])
    ]
    serializer = ConversationOutputSerializer()
    fast, declared = [], []
    for _ in range(runs):
        start = time.perf_counter()
        pages.conversation_rows_render(*fetched)
        fast.append(time.perf_counter() - start)
        start = time.perf_counter()
        for conversation in instances:
            serializer.to_representation(conversation)
        declared.append(time.perf_counter() - start)
    return statistics.median(fast), statistics.median(declared)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--images", type=int, default=5)
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()
    limit = min(options.conversations, 100)

    setup_test_environment()
    test_settings = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor != "sqlite":
        test_settings["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    test_database = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = build(options.conversations, options.messages, options.images)
        samples = measure(user, limit, options.runs)
        fast, declared = rendering_paths(user, limit, options.runs)
    finally:
        connection.creation.destroy_test_db(test_database, verbosity=0)

    median = {name: statistics.median(values) for name, values in samples.items()}
    total = median["total"]
    python = total - median["sql"]
    other = total - median["sql"] - median["orm"] - median["serialize"] - median["render"]

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:7.2f} ms  ({seconds / total:5.1%})"

    print(f"database     {connection.vendor} ({test_database})")
    print(
        f"page         {limit} conversations, {options.messages} messages each, "
        f"{options.images} images per product; {options.runs} runs; "
        f"{int(median['queries'])} queries per request"
    )
    print(f"total        {total * 1000:7.2f} ms  (median per request)")
    print(f"  sql        {ms(median['sql'])}")
    print(f"  orm        {ms(median['orm'])}")
    print(f"  serialize  {ms(median['serialize'])}")
    print(f"  render     {ms(median['render'])}")
    print(f"  other      {ms(other)}")
    print(f"SQL : Python = 1 : {python / median['sql']:.1f}")
    print(
        f"rendering the page: fast path {fast * 1000:.2f} ms, declared DRF fields "
        f"{declared * 1000:.2f} ms ({declared / fast:.1f}x slower)"
    )


if __name__ == "__main__":
    main()
