from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from parley.accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("-id",)
    list_display = ("email", "first_name", "last_name", "user_type", "is_staff", "date_joined")
    list_filter = ("user_type", "is_staff", "is_active")
    search_fields = ("email", "first_name", "last_name", "phone")
    fieldsets = (
        (None, {"fields": ("email", "password", "user_type")}),
        (
            "Profile",
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "phone",
                    "gender",
                    "date_of_birth",
                    "email_allowed",
                    "sms_allowed",
                )
            },
        ),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
