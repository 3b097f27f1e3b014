from parley.core.urls import optional_slash
from parley.sellers import apis

urlpatterns = [
    *optional_slash(
        "seller/conversations/", apis.SellerConversationListApi.as_view(), "seller-conversations"
    ),
    # Before the detail route, whose `<str:...>` would take "stats" or "unread" as an id.
    *optional_slash(
        "seller/conversations/stats/", apis.SellerStatsApi.as_view(), "seller-conversation-stats"
    ),
    *optional_slash(
        "seller/conversations/unread/",
        apis.SellerUnreadSummaryApi.as_view(),
        "seller-conversation-unread-summary",
    ),
    *optional_slash(
        "seller/conversations/<str:conversation_id>/read/",
        apis.SellerConversationReadApi.as_view(),
        "seller-conversation-read",
    ),
    *optional_slash(
        "seller/conversations/<str:conversation_id>/unread/",
        apis.SellerConversationMarkUnreadApi.as_view(),
        "seller-conversation-unread",
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
