from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from parley.sellers import services
from parley.sellers.models import SavedReply, SellerMembership, SellerToken


@admin.register(SellerToken)
class SellerTokenAdmin(admin.ModelAdmin):
    """Staff issue a token (its key is shown once, in the confirmation message) and revoke
    tokens with the list action. Tokens are never deleted, so their history stays readable."""

    list_display = ("__str__", "datasource", "created_date", "last_used", "revoked_at")
    list_select_related = ("datasource",)
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "name", "datasource__name", "datasource__title")
    raw_id_fields = ("datasource",)
    actions = ["revoke_selected"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("datasource", "name")
        return ("datasource", "name", "prefix", "created_date", "last_used", "revoked_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return ("datasource", "prefix", "created_date", "last_used", "revoked_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: SellerToken, form: Any, change: bool) -> None:
        if change:
            services.seller_token_rename(token=obj, name=obj.name)
            return
        issued = services.seller_token_create(datasource=obj.datasource, name=obj.name)
        for field in SellerToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(issued.token, field.attname))
        obj._state.adding = False
        messages.warning(
            request,
            f"The key of {issued.token} is {issued.key} — copy it now: it is stored only "
            "as a hash and will not be shown again.",
        )

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[SellerToken]) -> None:
        revoked = services.seller_tokens_revoke(tokens=queryset)
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)


@admin.register(SellerMembership)
class SellerMembershipAdmin(admin.ModelAdmin):
    """Who works in which seller's inbox (`manage.py seller_member_add` does the same)."""

    list_display = ("user", "datasource", "role", "created_date")
    list_select_related = ("user", "datasource")
    list_filter = ("role",)
    search_fields = ("user__email", "datasource__name", "datasource__title")
    raw_id_fields = ("user", "datasource")


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "datasource", "created_date")
    list_select_related = ("datasource",)
    search_fields = ("title", "body", "datasource__name")
    raw_id_fields = ("datasource",)
