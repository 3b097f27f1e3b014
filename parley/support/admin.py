from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from modeltranslation.admin import TranslationAdmin

from parley.mail.admin import email_retry_allowed
from parley.mail.services import email_retry_now
from parley.support.models import ContactRequest, ContactSubject


@admin.register(ContactSubject)
class ContactSubjectAdmin(TranslationAdmin):
    """Every language's text side by side in one form (modeltranslation adds text_en, ...)."""

    list_display = ("text", "is_order_needed", "order", "is_active")
    list_editable = ("order", "is_active")
    list_filter = ("is_active", "is_order_needed")
    search_fields = ("text",)
    ordering = ("order", "id")


@admin.register(ContactRequest)
class ContactRequestAdmin(admin.ModelAdmin):
    """The inbox: every submission, read-only, with its delivery status."""

    list_display = (
        "id",
        "created_date",
        "subject",
        "full_name",
        "email",
        "order",
        "operation",
        "recipient_list",
        "language",
        "delivery_status",
        "has_attachment",
    )
    list_filter = (
        "outgoing_email__status",
        "operation",
        "subject",
        "language",
        "created_date",
    )
    search_fields = ("full_name", "email", "phone", "message", "order__number", "file_name")
    date_hierarchy = "created_date"
    list_select_related = ("subject", "order", "outgoing_email")
    actions = ("retry_delivery",)
    fields = (
        "created_date",
        "subject",
        "full_name",
        "email",
        "phone",
        "order",
        "user",
        "operation",
        "recipient_list",
        "language",
        "client_ip",
        "message",
        "attachment",
        "file_mimetype",
        "file_size",
        "delivery_status",
        "delivery_error",
    )
    readonly_fields = fields

    @admin.display(description="Recipients")
    def recipient_list(self, contact_request: ContactRequest) -> str:
        return ", ".join(contact_request.recipients)

    @admin.display(description="Delivery", ordering="outgoing_email__status")
    def delivery_status(self, contact_request: ContactRequest) -> str:
        email = contact_request.outgoing_email
        if email is None:
            return "-"
        return f"{email.get_status_display()} ({email.attempts} attempt(s))"

    @admin.display(description="Last delivery error")
    def delivery_error(self, contact_request: ContactRequest) -> str:
        email = contact_request.outgoing_email
        return email.last_error if email else ""

    @admin.display(description="File", boolean=True)
    def has_attachment(self, contact_request: ContactRequest) -> bool:
        return bool(contact_request.file)

    @admin.display(description="Attachment")
    def attachment(self, contact_request: ContactRequest) -> str:
        if not contact_request.file:
            return "-"
        url = reverse("admin:support_contactrequest_attachment", args=[contact_request.pk])
        return format_html('<a href="{}">{}</a>', url, contact_request.file_name)

    @admin.action(description="Retry delivery of the selected messages now", permissions=["retry"])
    def retry_delivery(self, request: HttpRequest, queryset: QuerySet[ContactRequest]) -> None:
        email_ids = queryset.exclude(outgoing_email=None).values_list("outgoing_email", flat=True)
        count = email_retry_now(email_ids=[email_id for email_id in email_ids if email_id])
        self.message_user(
            request,
            f"{count} e-mail(s) queued again; delivered ones were left alone.",
            messages.SUCCESS,
        )

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return email_retry_allowed(request)

    def get_urls(self) -> list[URLPattern]:
        download = path(
            "<int:object_id>/attachment/",
            self.admin_site.admin_view(self.attachment_download),
            name="support_contactrequest_attachment",
        )
        return [download, *super().get_urls()]

    def attachment_download(self, request: HttpRequest, object_id: int) -> FileResponse:
        """Staff only (admin_view checks is_staff), and the view permission on the inbox."""
        contact_request = self.get_object(request, str(object_id))
        if contact_request is None or not contact_request.file:
            raise Http404
        if not self.has_view_permission(request, contact_request):
            raise PermissionDenied
        response = FileResponse(
            default_storage.open(contact_request.file, "rb"),
            as_attachment=True,
            filename=contact_request.file_name,
            content_type=contact_request.file_mimetype or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        return response

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
