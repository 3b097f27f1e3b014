from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from parley.conversations import services
from parley.conversations.models import (
    Attachment,
    Conversation,
    HeldMessage,
    Message,
    ModerationStatus,
)

MESSAGE_FIELDS = (
    "created_date",
    "content_type",
    "content_id",
    "user_type",
    "message_content",
    "is_hidden",
    "hidden_by",
    "hidden_at",
    "moderation_status",
)


class MessageInline(admin.TabularInline):
    """Read-only: messages are written through the APIs, and hidden or shown again with the
    actions of the message list, which keep the conversation's state right."""

    model = Message
    extra = 0
    can_delete = False
    fields = MESSAGE_FIELDS
    readonly_fields = MESSAGE_FIELDS
    ordering = ("created_date", "id")
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "subject",
        "conversation_type",
        "user",
        "datasource",
        "item_content",
        "item_id",
        "is_answered",
        "is_public",
        "last_message_date",
    )
    list_select_related = ("user", "datasource")
    list_filter = ("conversation_type", "is_answered", "is_public", "datasource")
    search_fields = ("user__email", "subject")
    ordering = ("-last_message_date", "-id")
    fields = (
        "user",
        "datasource",
        "conversation_type",
        "subject",
        "item_content",
        "item_id",
        "is_public",
        "is_answered",
        "last_message_date",
        "first_response_date",
        "created_date",
        "modified_date",
    )
    # Staff may edit the subject and withdraw a conversation from public view; the rest is
    # the conversation's history.
    readonly_fields = tuple(name for name in fields if name not in ("subject", "is_public"))
    inlines = [MessageInline]
    actions = ["withdraw_from_public"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # conversations open with a customer's first message, through the API

    def save_model(self, request: HttpRequest, obj: Conversation, form: Any, change: bool) -> None:
        services.conversation_staff_edit(conversation=obj)

    @admin.action(description="Withdraw the selected conversations from public view")
    def withdraw_from_public(self, request: HttpRequest, queryset: QuerySet[Conversation]) -> None:
        count = services.conversations_withdraw_from_public(conversations=queryset)
        self.message_user(request, f"{count} conversation(s) withdrawn from public view.")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "content_type", "content_id", "created_date", "is_hidden")
    list_select_related = ("conversation",)
    list_filter = ("is_hidden", "content_type")
    search_fields = ("message_content", "conversation__user__email")
    raw_id_fields = ("conversation",)
    fields = ("conversation", *MESSAGE_FIELDS)
    readonly_fields = fields
    actions = ["hide_messages", "unhide_messages"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Moderation hides (the services then recompute the conversation and move its
        # `modified_date`, which the public questions' ETag follows); a deletion would not.
        return False

    @admin.action(description="Hide the selected messages from every API answer")
    def hide_messages(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        hidden = services.messages_hide(messages=queryset, hidden_by=request.user)  # type: ignore[arg-type]
        self.message_user(request, f"{hidden} message(s) hidden.", messages.SUCCESS)

    @admin.action(description="Show the selected messages again")
    def unhide_messages(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        shown = services.messages_unhide(messages=queryset)
        self.message_user(request, f"{shown} message(s) shown again.", messages.SUCCESS)


class ModerationStatusFilter(admin.SimpleListFilter):
    """The queue opens on what waits for a decision."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("pending", "Pending"), ("approved", "Approved"), ("rejected", "Rejected")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[HeldMessage]) -> QuerySet:
        return queryset.filter(moderation_status=self.value() or ModerationStatus.PENDING)

    def choices(self, changelist: object) -> list[dict[str, object]]:  # type: ignore[override]
        current = self.value() or "pending"
        return [
            {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),  # type: ignore[attr-defined]
                "display": title,
            }
            for value, title in self.lookup_choices
        ]


@admin.register(HeldMessage)
class HeldMessageAdmin(admin.ModelAdmin):
    """API.md §9 `hold`: messages held for a contact detail or a forbidden word. Approving
    shows the message and notifies the other party; rejecting keeps it hidden for good."""

    list_display = ("id", "created_date", "conversation", "content_type", "message_content")
    list_select_related = ("conversation",)
    list_filter = (ModerationStatusFilter,)
    ordering = ("created_date", "id")
    fields = ("conversation", *MESSAGE_FIELDS)
    readonly_fields = fields
    actions = ["approve", "reject"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[HeldMessage]:
        return super().get_queryset(request).exclude(moderation_status=ModerationStatus.NONE)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Approve: show the selected messages and notify")
    def approve(self, request: HttpRequest, queryset: QuerySet[HeldMessage]) -> None:
        approved = 0
        for message in queryset.filter(moderation_status=ModerationStatus.PENDING):
            services.message_approve(message=message)
            approved += 1
        self.message_user(request, f"{approved} message(s) approved.", messages.SUCCESS)

    @admin.action(description="Reject: keep the selected messages hidden")
    def reject(self, request: HttpRequest, queryset: QuerySet[HeldMessage]) -> None:
        rejected = 0
        for message in queryset.filter(moderation_status=ModerationStatus.PENDING):
            services.message_reject(message=message, rejected_by=request.user)  # type: ignore[arg-type]
            rejected += 1
        self.message_user(request, f"{rejected} message(s) rejected.", messages.SUCCESS)


ATTACHMENT_FIELDS = (
    "public_id",
    "name",
    "content_type",
    "size",
    "uploader_user",
    "uploader_datasource",
    "message",
    "created_at",
    "scan_status",
    "scan_signature",
    "scanned_at",
    "file",
)


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Read-only: staff see every upload, its scan and, for an infected one, the signature
    ClamAV found (its file is already deleted). Staff download a file through
    `/attachments/<id>/` like the parties; deletions go through the services (on commit)."""

    list_display = ("public_id", "name", "content_type", "size", "scan_status", "created_at")
    list_filter = ("scan_status", "content_type")
    search_fields = ("public_id", "name", "scan_signature")
    list_select_related = ("message",)
    fields = ATTACHMENT_FIELDS
    readonly_fields = ATTACHMENT_FIELDS
    raw_id_fields = ("uploader_user", "uploader_datasource", "message")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
