import ipaddress
import os

import prometheus_client
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from prometheus_client import multiprocess

from parley.ops.checks import readiness
from parley.ops.metrics import OutboxCollector


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving; says nothing of its dependencies."""
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    report = readiness()
    ready = all(value == "ok" for value in report.values())
    return JsonResponse(report, status=200 if ready else 503)


def _metrics_allowed(request: HttpRequest) -> bool:
    address = request.META.get("REMOTE_ADDR", "")
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        client in ipaddress.ip_network(network, strict=False)
        for network in settings.PARLEY_METRICS_ALLOWED_NETWORKS
    )


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for scrapers on the allowed networks only (loopback by default):
    to everyone else the path does not exist."""
    if not _metrics_allowed(request):
        raise Http404
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        # Several gunicorn workers: add up what each wrote, then the outbox read once.
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(OutboxCollector())
    else:
        registry = prometheus_client.REGISTRY
    return HttpResponse(
        prometheus_client.generate_latest(registry),
        content_type=prometheus_client.CONTENT_TYPE_LATEST,
    )
