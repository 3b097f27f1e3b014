from django.views.i18n import set_language

from parley.core.urls import optional_slash
from parley.sellers import apis, attachment_apis, inbox

urlpatterns = [
    *optional_slash(
        "seller/conversations/", apis.SellerConversationListApi.as_view(), "seller-conversations"
    ),
    # Before the detail route, whose `<str:...>` would take "stats" or "unread" as an id.
    *optional_slash(
        "seller/conversations/attachments/",
        attachment_apis.SellerAttachmentUploadApi.as_view(),
        "seller-conversation-attachment-upload",
    ),
    *optional_slash(
        "attachments/<str:attachment_id>/",
        attachment_apis.AttachmentDownloadApi.as_view(),
        "attachment-download",
    ),
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
    # The seller inbox (web pages; API.md §7).
    *optional_slash("seller/inbox/", inbox.inbox_list, "inbox-list"),
    *optional_slash("seller/inbox/login/", inbox.inbox_login, "inbox-login"),
    *optional_slash("seller/inbox/logout/", inbox.inbox_logout, "inbox-logout"),
    *optional_slash("seller/inbox/choose/", inbox.inbox_choose, "inbox-choose"),
    *optional_slash("seller/inbox/language/", set_language, "inbox-language"),
    *optional_slash("seller/inbox/replies/", inbox.inbox_replies, "inbox-replies"),
    *optional_slash(
        "seller/inbox/replies/<str:reply_id>/delete/",
        inbox.inbox_reply_delete,
        "inbox-reply-delete",
    ),
    *optional_slash("seller/inbox/<str:conversation_id>/", inbox.inbox_thread, "inbox-thread"),
    *optional_slash(
        "seller/inbox/<str:conversation_id>/unread/", inbox.inbox_mark_unread, "inbox-mark-unread"
    ),
    *optional_slash(
        "seller/inbox/<str:conversation_id>/archive/", inbox.inbox_archive, "inbox-archive"
    ),
]
