from parley.core.urls import optional_slash
from parley.sellers import webhook_apis as apis

urlpatterns = [
    *optional_slash("seller/webhooks/", apis.WebhookEndpointListApi.as_view(), "seller-webhooks"),
    *optional_slash(
        "seller/webhooks/<str:endpoint_id>/",
        apis.WebhookEndpointDetailApi.as_view(),
        "seller-webhook-detail",
    ),
    *optional_slash(
        "seller/webhooks/<str:endpoint_id>/rotate-secret/",
        apis.WebhookSecretRotateApi.as_view(),
        "seller-webhook-rotate-secret",
    ),
    *optional_slash(
        "seller/webhooks/<str:endpoint_id>/deliveries/",
        apis.WebhookDeliveryListApi.as_view(),
        "seller-webhook-deliveries",
    ),
    *optional_slash(
        "seller/webhooks/<str:endpoint_id>/deliveries/<str:delivery_id>/retry/",
        apis.WebhookDeliveryRetryApi.as_view(),
        "seller-webhook-delivery-retry",
    ),
]
