from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from parley.core.urls import optional_slash

urlpatterns = [
    path("admin/", admin.site.urls),
    *optional_slash("api/schema/", SpectacularAPIView.as_view(), "schema"),
    *optional_slash("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), "docs"),
    path("", include("parley.accounts.urls")),
    path("", include("parley.ops.urls")),
    path("", include("parley.support.urls")),
    path("", include("parley.catalog.urls")),
    path("", include("parley.conversations.urls")),
    path("", include("parley.sellers.urls")),
    path("", include("parley.sellers.webhook_urls")),
    path("", include("parley.privacy.urls")),
]
