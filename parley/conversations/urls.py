from parley.conversations import apis
from parley.core.urls import optional_slash

urlpatterns = [
    *optional_slash(
        "users/conversations/", apis.ConversationListCreateApi.as_view(), "conversation-list"
    ),
    *optional_slash(
        "users/conversations/<str:conversation_id>/",
        apis.ConversationDetailApi.as_view(),
        "conversation-detail",
    ),
]
