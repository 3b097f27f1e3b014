from parley.catalog import apis
from parley.core.urls import optional_slash

urlpatterns = [
    *optional_slash("users/orders/", apis.OrderListApi.as_view(), "order-list"),
    *optional_slash("users/orders/<str:order_id>/", apis.OrderDetailApi.as_view(), "order-detail"),
]
