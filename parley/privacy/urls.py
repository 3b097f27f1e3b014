from parley.core.urls import optional_slash
from parley.privacy import apis

urlpatterns = [
    *optional_slash("users/me/export/", apis.CustomerExportApi.as_view(), "customer-export"),
]
