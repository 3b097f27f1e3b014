from parley.conversations import apis
from parley.core.urls import optional_slash

urlpatterns = [
    *optional_slash(
        "users/conversations/", apis.ConversationListCreateApi.as_view(), "conversation-list"
    ),
    # Before the detail route, whose `<str:...>` would take "unread" as an id.
    *optional_slash(
        "users/conversations/attachments/",
        apis.AttachmentUploadApi.as_view(),
        "conversation-attachment-upload",
    ),
    *optional_slash(
        "users/conversations/<str:conversation_id>/attachments/",
        apis.ConversationAttachmentListApi.as_view(),
        "conversation-attachments",
    ),
    *optional_slash(
        "users/conversations/unread/",
        apis.ConversationUnreadSummaryApi.as_view(),
        "conversation-unread-summary",
    ),
    *optional_slash(
        "users/conversations/<str:conversation_id>/read/",
        apis.ConversationReadApi.as_view(),
        "conversation-read",
    ),
    *optional_slash(
        "users/conversations/<str:conversation_id>/unread/",
        apis.ConversationMarkUnreadApi.as_view(),
        "conversation-unread",
    ),
    *optional_slash(
        "users/conversations/<str:conversation_id>/",
        apis.ConversationDetailApi.as_view(),
        "conversation-detail",
    ),
    *optional_slash(
        "products/<str:product_id>/questions/similar/",
        apis.ProductQuestionSimilarApi.as_view(),
        "product-questions-similar",
    ),
    *optional_slash(
        "products/<str:product_id>/questions/",
        apis.ProductQuestionListApi.as_view(),
        "product-questions",
    ),
]
