"""Similar questions in the load benchmark (bench/run.py, docs/SIMILAR.md).

    python bench/similar.py seed small     # 300 answered public questions on one product
    python bench/similar.py rss small      # a process's RSS before and after the model loads

`seed` adds to a generated profile's database (bench/generate.py) a product of the busiest
seller with 300 public questions, each from another generated user and answered by the
seller, computes their vectors through the conversations service (as the worker would), and
writes `var/bench/<profile>-similar.json`: the product and the shoppers' queries to send.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import SECRET_KEY, database_url, django_setup  # noqa: E402

QUESTIONS = 300
# Topics a product page gathers, each asked in several ways; numbered variants make 300.
TOPICS = [
    "Siparişim hangi gün kargoya verilir?",
    "Kargo ücreti ayrıca alınıyor mu?",
    "Ölçüleri tam olarak nedir?",
    "Kumaşı yüzde yüz pamuk mu?",
    "Kaç derecede yıkanmalı, çeker mi?",
    "Beğenmezsem iade edebilir miyim?",
    "Garanti süresi ne kadar?",
    "Fotoğraftaki renk gerçekte de aynı mı?",
    "Does it come with a gift box?",
    "How long does delivery to Germany take?",
    "Is the size true to fit?",
    "Can I exchange it for another colour?",
    "Faturalı mı gönderiliyor?",
    "Kapıda ödeme var mı?",
    "Stokta başka renk var mı?",
]
QUERIES = [
    "Kargo ne zaman gelir?",
    "Gönderim için ekstra para ödeyecek miyim?",
    "Is it pure cotton?",
    "Makinede yıkayınca küçülüyor mu?",
    "How long is the warranty?",
    "Geri göndermek istersem ne yapmalıyım?",
    "Renk soluk mu duruyor?",
    "Do you ship to Germany?",
]


def material_path(profile: str) -> Path:
    return ROOT / "var" / "bench" / f"{profile}-similar.json"


def seed(profile: str) -> dict[str, Any]:
    django_setup(database_url(profile))
    from django.db import transaction
    from django.db.models import Count

    from parley.accounts.models import User
    from parley.catalog.models import Product
    from parley.conversations import services
    from parley.conversations.models import Conversation, Message

    seller_product = (
        Product.objects.values("datasource").annotate(n=Count("id")).order_by("-n").first()
    )
    assert seller_product is not None
    datasource_id = seller_product["datasource"]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with transaction.atomic():
        product = Product.objects.create(
            datasource_id=datasource_id,
            sku=f"BENCH-SIMILAR-{int(time.time())}",
            name="Bench similar-questions product",
        )
        users = list(User.objects.order_by("id").values_list("id", "user_type")[:QUESTIONS])
        conversations = Conversation.objects.bulk_create(
            Conversation(
                user_id=user_id,
                datasource_id=datasource_id,
                conversation_type="question",
                subject=f"Soru {n}",
                item_content="product",
                item_id=product.pk,
                is_public=True,
                is_answered=True,
                created_date=now + timedelta(minutes=n),
                last_message_date=now + timedelta(minutes=n, seconds=30),
                first_response_date=now + timedelta(minutes=n, seconds=30),
            )
            for n, (user_id, _) in enumerate(users)
        )
        messages = []
        for n, (conversation, (user_id, user_type)) in enumerate(
            zip(conversations, users, strict=True)
        ):
            topic = TOPICS[n % len(TOPICS)]
            variant = f" ({n // len(TOPICS) + 1}. soru)" if n >= len(TOPICS) else ""
            messages += [
                Message(
                    conversation=conversation,
                    message_content=topic + variant,
                    content_type="user",
                    content_id=user_id,
                    user_type=user_type,
                    created_date=conversation.created_date,
                ),
                Message(
                    conversation=conversation,
                    message_content="Teşekkürler, sorunuzu yanıtladık.",
                    content_type="datasource",
                    content_id=datasource_id,
                    user_type=user_type,
                    created_date=conversation.last_message_date,
                ),
            ]
        Message.objects.bulk_create(messages)
    started = time.monotonic()
    for conversation in conversations:
        services.question_vector_refresh(conversation_id=conversation.pk)
    seconds = time.monotonic() - started
    result = {"product": product.pk, "queries": QUERIES, "vectors_seconds": round(seconds, 1)}
    material_path(profile).write_text(json.dumps(result, indent=1))
    print(
        f"{profile}: {QUESTIONS} public questions on product {product.pk}, vectors {seconds:.1f}s"
    )
    return result


def rss(profile: str) -> None:
    """RSS (KiB) of a Django process before and after the model loads, as JSON."""

    def rss_kib() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    os.environ.setdefault("SECRET_KEY", SECRET_KEY)
    django_setup(database_url(profile))
    from django.urls import resolve

    import config.wsgi  # noqa: F401  (a web process: every app and URL imported)

    resolve("/products/1/questions/similar/")
    from parley.similar import embeddings

    before = rss_kib()
    started = time.monotonic()
    embeddings.embed(["Kargo ne zaman gelir?"])
    load = time.monotonic() - started
    print(json.dumps({"before_kib": before, "after_kib": rss_kib(), "load_seconds": load}))


if __name__ == "__main__":
    command, profile = sys.argv[1], sys.argv[2]
    {"seed": seed, "rss": rss}[command](profile)
