from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from parley.moderation.models import BlockedMessage, ForbiddenWord, SenderFlag
from parley.moderation.services import forbidden_words_changed


@admin.register(ForbiddenWord)
class ForbiddenWordAdmin(admin.ModelAdmin):
    """Every change rebuilds the one pattern the checks match, in every process."""

    list_display = ("word", "language", "is_active", "created_at")
    list_filter = ("language", "is_active")
    search_fields = ("word",)
    fields = ("language", "word", "is_active")

    def save_model(
        self, request: HttpRequest, obj: ForbiddenWord, form: object, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        forbidden_words_changed()

    def delete_model(self, request: HttpRequest, obj: ForbiddenWord) -> None:
        super().delete_model(request, obj)
        forbidden_words_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ForbiddenWord]) -> None:
        super().delete_queryset(request, queryset)
        forbidden_words_changed()


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SenderFlag)
class SenderFlagAdmin(_ReadOnlyAdmin):
    """Senders throttled for repeated blocked messages; staff mark them reviewed."""

    list_display = ("created_at", "user", "datasource", "blocks", "throttled_until", "is_reviewed")
    list_select_related = ("user", "datasource")
    list_filter = ("is_reviewed",)
    search_fields = ("user__email", "datasource__name")
    actions = ["mark_reviewed"]

    @admin.action(description="Mark the selected flags reviewed")
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet[SenderFlag]) -> None:
        count = queryset.filter(is_reviewed=False).update(is_reviewed=True)
        self.message_user(request, f"{count} flag(s) marked reviewed.")


@admin.register(BlockedMessage)
class BlockedMessageAdmin(_ReadOnlyAdmin):
    """Refused messages: who, where, which kinds of detail (the text is never kept)."""

    list_display = ("created_at", "user", "datasource", "conversation_type", "kinds")
    list_select_related = ("user", "datasource")
    list_filter = ("conversation_type",)
    search_fields = ("user__email", "datasource__name")
