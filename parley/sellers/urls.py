from parley.core.urls import optional_slash
from parley.sellers import apis

urlpatterns = [
    *optional_slash(
        "seller/conversations/", apis.SellerConversationListApi.as_view(), "seller-conversations"
    ),
    # Before the detail route, whose `<str:...>` would take "stats" as an id.
    *optional_slash(
        "seller/conversations/stats/", apis.SellerStatsApi.as_view(), "seller-conversation-stats"
    ),
    *optional_slash(
        "seller/conversations/<str:conversation_id>/",
        apis.SellerConversationDetailApi.as_view(),
        "seller-conversation-detail",
    ),
    *optional_slash(
        "seller/conversations/<str:conversation_id>/messages/",
        apis.SellerMessageCreateApi.as_view(),
        "seller-conversation-messages",
    ),
]
