"""Moderation's Prometheus counters, served at /metrics (with PROMETHEUS_MULTIPROC_DIR set,
every worker's counts add up)."""

from prometheus_client import Counter

findings = Counter(
    "parley_moderation_findings",
    "Messages with a contact detail or forbidden word, by kind of detail and decision",
    labelnames=["kind", "decision"],
)
reviews = Counter(
    "parley_moderation_reviews",
    "Held messages staff approved or rejected",
    labelnames=["decision"],
)
throttled_posts = Counter(
    "parley_moderation_throttled_posts",
    "Message posts answered 429 because their sender was flagged",
)
senders_flagged = Counter(
    "parley_moderation_senders_flagged",
    "Senders flagged and throttled for repeated blocked messages",
)
