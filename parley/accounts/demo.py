from typing import Any

from parley.accounts.models import User, UserType

DEMO_CUSTOMERS = [
    {"email": "ayse@demo.parley.localhost", "first_name": "Ayşe", "last_name": "Yılmaz"},
    {"email": "john@demo.parley.localhost", "first_name": "John", "last_name": "Doe"},
]
DEMO_PASSWORD = "parley-demo-2026"  # noqa: S105 - a published demo password, by design
DEMO_STAFF = {"email": "admin@demo.parley.localhost", "password": "parley-admin-2026"}


def seed(demo: dict[str, Any]) -> None:
    for fields in DEMO_CUSTOMERS:
        user, created = User.objects.get_or_create(
            email=fields["email"],
            defaults={**fields, "user_type": UserType.REGISTERED},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        demo["customers"].append({"id": user.pk, "email": user.email, "password": DEMO_PASSWORD})
    if not User.objects.filter(email=DEMO_STAFF["email"]).exists():
        User.objects.create_superuser(DEMO_STAFF["email"], DEMO_STAFF["password"])
    demo["staff"] = dict(DEMO_STAFF)
