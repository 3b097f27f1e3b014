from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from parley.mail.models import OutgoingEmail
from parley.mail.services import email_retry_now


def email_retry_allowed(request: HttpRequest) -> bool:
    return request.user.has_perm("mail.change_outgoingemail")


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """The outbox, read-only: staff see every e-mail and its delivery, and can retry."""

    list_display = (
        "id",
        "kind",
        "subject",
        "recipients",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "sent_at",
    )
    list_filter = ("status", "kind", "created_at")
    search_fields = ("subject", "message_id", "to", "reply_to", "request_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    actions = ("retry_now",)
    readonly_fields = [field.name for field in OutgoingEmail._meta.fields]
    exclude = ("claim_token",)

    @admin.display(description="To")
    def recipients(self, email: OutgoingEmail) -> str:
        return ", ".join(email.to)

    @admin.action(description="Retry the selected e-mails now", permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]) -> None:
        count = email_retry_now(email_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            f"{count} e-mail(s) queued again; sent ones and those being sent were left alone.",
            messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        """Rows are read-only, but whoever may change them in principle may re-send them."""
        return email_retry_allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
