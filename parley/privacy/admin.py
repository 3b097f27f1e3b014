"""The back office's side of API.md §11: on the users list, export and erase (with a preview
of the counts, confirmed on a second page), and the read-only privacy records."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from rest_framework.utils.encoders import JSONEncoder

from parley.accounts.admin import UserAdmin
from parley.accounts.models import User
from parley.core.exceptions import ApplicationError
from parley.privacy.models import PrivacyRecord
from parley.privacy.selectors import customer_erasure_preview, customer_export
from parley.privacy.services import Channel, customer_erase

ERASE_PERMISSION = "accounts.delete_user"


# The accounts app knows nothing of privacy (it sits below it); this app adds its two actions
# to the users list by registering the accounts' admin again with them.
admin.site.unregister(User)


@admin.register(User)
class PrivacyUserAdmin(UserAdmin):
    actions = ("export_personal_data", "erase_customers")

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ERASE_PERMISSION)

    @admin.action(description="Export the selected customers' personal data (JSON)")
    def export_personal_data(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse:
        exports = {str(user.pk): customer_export(user) for user in queryset.order_by("pk")}
        only = next(iter(exports)) if len(exports) == 1 else None
        body = JSONEncoder(indent=2, ensure_ascii=False).encode(exports[only] if only else exports)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        name = f"parley-export-{only}.json" if only else "parley-export.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.action(description="Erase the selected customers' personal data…", permissions=["erase"])
    def erase_customers(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> TemplateResponse | None:
        """First the preview (what each erasure would change); its form posts back with
        `post=yes`, and then each customer is erased in a transaction of their own."""
        users = list(queryset.order_by("pk"))
        if request.POST.get("post") == "yes":
            for user in users:
                try:
                    result = customer_erase(
                        user=user,
                        performed_by=request.user,  # type: ignore[arg-type]
                        channel=Channel.ADMIN,
                    )
                except ApplicationError as error:
                    self.message_user(request, f"#{user.pk}: {error.message}", messages.ERROR)
                    continue
                assert result.record is not None
                self.message_user(
                    request,
                    f"Account #{user.pk} erased (privacy record #{result.record.pk}).",
                    messages.SUCCESS,
                )
            return None
        previews = []
        for user in users:
            try:
                previews.append((user, customer_erasure_preview(user=user), ""))
            except ApplicationError as error:
                previews.append((user, {}, error.message))
        context = {
            **self.admin_site.each_context(request),
            "title": "Erase personal data: preview",
            "opts": self.model._meta,
            "previews": previews,
            "erasable": [user for user, _, refusal in previews if not refusal],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "erase_customers",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/privacy/erase_preview.html", context)


@admin.register(PrivacyRecord)
class PrivacyRecordAdmin(admin.ModelAdmin):
    """The record of every erasure and retention run: read-only, deleted by the daily job
    after three years."""

    list_display = ("id", "operation", "performed_at", "performed_by", "channel", "customer_id")
    list_filter = ("operation", "channel", "performed_at")
    search_fields = ("=customer_id",)
    date_hierarchy = "performed_at"
    readonly_fields = (
        "operation",
        "performed_at",
        "performed_by",
        "channel",
        "customer_id",
        "counts",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
