"""The outbox's own Prometheus figures, read from the table at scrape time, so every process
reports the same truth and nothing has to be counted in memory."""

from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count, Min, Sum
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_registered = False


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
    return (
        GaugeMetricFamily(
            "parley_outbox_emails", "E-mails in the outbox by status", labels=["status"]
        ),
        GaugeMetricFamily(
            "parley_outbox_delivery_attempts",
            "Delivery attempts made, by status of the e-mail",
            labels=["status"],
        ),
        GaugeMetricFamily(
            "parley_outbox_oldest_pending_age_seconds",
            "Age of the oldest e-mail not yet delivered (0 when none)",
        ),
    )


class OutboxCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Lets the registry learn the names without querying the database at start-up.
        yield from _families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from parley.mail.models import EmailStatus, OutgoingEmail

        emails, attempts, oldest = _families()
        try:
            rows = OutgoingEmail.objects.values("status").annotate(
                n=Count("id"), tries=Sum("attempts")
            )
            by_status = {row["status"]: (row["n"], row["tries"] or 0) for row in rows}
            first = OutgoingEmail.objects.filter(
                status__in=[EmailStatus.PENDING, EmailStatus.SENDING]
            ).aggregate(first=Min("created_at"))["first"]
        except DatabaseError:
            return  # the database is down: /readyz says so; the scrape still answers
        for status in EmailStatus.values:
            count, tries = by_status.get(status, (0, 0))
            emails.add_metric([status], count)
            attempts.add_metric([status], tries)
        oldest.add_metric([], (timezone.now() - first).total_seconds() if first else 0)
        yield emails
        yield attempts
        yield oldest


def register_outbox_collector() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(OutboxCollector())
        _registered = True
