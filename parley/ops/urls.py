from parley.core.urls import optional_slash
from parley.ops import apis

urlpatterns = [
    *optional_slash("healthz/", apis.healthz, "healthz"),
    *optional_slash("readyz/", apis.readyz, "readyz"),
    *optional_slash("metrics/", apis.metrics, "metrics"),
]
