"""Time the seller API on one big seller: listing pages, filters, stats, public questions.

    DATABASE_URL=postgres://... python bench/seller_api.py --conversations 20000

Creates its data in the configured database (a scratch one: it is not cleaned up), then
prints the median time of each call over a few runs. Needs the migrations applied.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from parley.accounts.models import User  # noqa: E402
from parley.catalog.models import DataSource, Product  # noqa: E402
from parley.conversations.models import Conversation, Message  # noqa: E402
from parley.conversations.services import conversation_waiting_recompute  # noqa: E402
from parley.sellers import services  # noqa: E402


def populate(count: int) -> tuple[DataSource, Product, str]:
    stamp = f"{time.time_ns()}"
    seller = DataSource.objects.create(name=f"bench-{stamp}", email="bench@example.com")
    product = Product.objects.create(sku=f"BENCH-{stamp}", name="Bench", datasource=seller)
    users = User.objects.bulk_create(
        User(email=f"bench-{stamp}-{n}@example.com", first_name="Bench") for n in range(count)
    )
    now = timezone.now()
    conversations = []
    for n, user in enumerate(users):
        opened = now - timedelta(minutes=7 * n)
        answered = n % 3 != 0
        conversations.append(
            Conversation(
                user=user,
                datasource=seller,
                conversation_type="question" if n % 2 else "message",
                item_content="product",
                item_id=product.pk,
                is_public=n % 2 == 1,
                is_answered=answered,
                created_date=opened,
                last_message_date=opened + timedelta(hours=n % 30),
                first_response_date=opened + timedelta(hours=n % 30) if answered else None,
            )
        )
    conversations = Conversation.objects.bulk_create(conversations, batch_size=2000)
    messages = []
    for conversation in conversations:
        messages.append(
            Message(
                conversation=conversation,
                message_content="question " * 20,
                content_type="user",
                content_id=conversation.user_id,
                user_type="registered",
                created_date=conversation.created_date,
            )
        )
        if conversation.is_answered:
            messages.append(
                Message(
                    conversation=conversation,
                    message_content="answer " * 20,
                    content_type="datasource",
                    content_id=seller.pk,
                    user_type="registered",
                    created_date=conversation.first_response_date,
                )
            )
    Message.objects.bulk_create(messages, batch_size=5000)
    # The state the services keep with every message, set once for the bulk load.
    conversation_waiting_recompute()
    key = services.seller_token_create(datasource=seller, name="bench").key
    return seller, product, key


def timed(client: APIClient, path: str, runs: int, **headers: str) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, **headers)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code, response.content[:200])
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    _, product, key = populate(args.conversations)
    print(f"populated {args.conversations} conversations in {time.perf_counter() - started:.1f}s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would do soon after a bulk load
    client = APIClient()
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    last_page = args.conversations // 100
    since = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    for label, path, headers in [
        ("list, limit 20", "/seller/conversations/", auth),
        ("list, limit 100", "/seller/conversations/?limit=100", auth),
        ("list, last page", f"/seller/conversations/?limit=100&page={last_page}", auth),
        ("list, is_answered=false", "/seller/conversations/?is_answered=false", auth),
        ("list, updated_since", f"/seller/conversations/?updated_since={since}", auth),
        ("stats", "/seller/conversations/stats/", auth),
        ("public questions, limit 100", f"/products/{product.pk}/questions/?limit=100", {}),
    ]:
        print(f"{label:32} {timed(client, path, args.runs, **headers):8.1f} ms")


if __name__ == "__main__":
    main()
