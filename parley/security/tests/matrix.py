"""The authorization matrix over every endpoint the URL resolver knows, shared by its test
and the transport tests: it extends the seller API's matrix (parley/sellers/tests/matrix.py)
with a staff member and with every other endpoint."""

import itertools
from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from parley.accounts.models import User
from parley.accounts.tests.factories import PASSWORD
from parley.sellers.tests import matrix as sellers_matrix
from parley.support.models import ContactRequest
from parley.support.tests.factories import ContactSubjectFactory

PRINCIPALS = (*sellers_matrix.PRINCIPALS, "staff")
_emails = itertools.count()

Call = Callable[[Any, Any], Any]


def _get(path: str) -> Call:
    return lambda client, world: client.get(path)


def registration(client: Any, world: Any) -> Any:
    body = {"email": f"new{next(_emails)}@example.com", "password": "a-long-unusual-passphrase"}
    return client.post("/users/registration/", body, format="json")


def login(client: Any, world: Any) -> Any:
    return client.post(
        "/users/login/", {"email": world.customer.email, "password": PASSWORD}, format="json"
    )


def logout(client: Any, world: Any) -> Any:
    return client.post("/users/logout/", {}, format="json")


def contact_us(client: Any, world: Any) -> Any:
    subject = ContactSubjectFactory.create()
    body = {"subject": subject.pk, "full_name": "Joe", "email": "joe@example.com", "message": "Hi"}
    return client.post("/users/contact-us/", body, format="json")


def product_questions(client: Any, world: Any) -> Any:
    return client.get(f"/products/{world.product.pk}/questions/")


def product_questions_similar(client: Any, world: Any) -> Any:
    return client.get(f"/products/{world.product.pk}/questions/similar/", {"q": "Kargo?"})


def _post(path: str, data: dict[str, Any] | None = None) -> Call:
    return lambda client, world: client.post(path, data or {})


def _conversation_page(suffix: str = "", method: str = "get") -> Call:
    def call(client: Any, world: Any) -> Any:
        path = f"/seller/inbox/{world.conversation.pk}/{suffix}"
        return client.get(path) if method == "get" else client.post(path, {})

    return call


ENDPOINTS: dict[str, Call] = {
    **sellers_matrix.ENDPOINTS,
    # The seller inbox's pages (their members are in parley/sellers/tests/
    # test_inbox_authorization.py): nobody here is a member.
    "inbox_list": _get("/seller/inbox/"),
    "inbox_login": _get("/seller/inbox/login/"),
    "inbox_logout": _post("/seller/inbox/logout/"),
    "inbox_choose": _get("/seller/inbox/choose/"),
    "inbox_language": _post("/seller/inbox/language/", {"language": "tr"}),
    "inbox_replies": _get("/seller/inbox/replies/"),
    "inbox_reply_delete": _post("/seller/inbox/replies/1/delete/"),
    "inbox_thread": _conversation_page(),
    "inbox_mark_unread": _conversation_page("unread/", "post"),
    "inbox_archive": _conversation_page("archive/", "post"),
    "csrf_token": _get("/csrf_token/"),
    "registration": registration,
    "login": login,
    "logout": logout,
    "current_user": _get("/current_user/"),
    "contact_us_subjects": _get("/users/contact-us-subjects/"),
    "contact_us": contact_us,
    "product_questions": product_questions,
    "product_questions_similar": product_questions_similar,
    "healthz": _get("/healthz/"),
    "readyz": _get("/readyz/"),
    "metrics": _get("/metrics/"),  # loopback-only by address, not by caller: the test client is
    "schema": _get("/api/schema/"),
    "docs": _get("/api/docs/"),
    "admin": _get("/admin/"),
    "customer_export": _get("/users/me/export/"),
}

# (method, route) -> the matrix row that calls it. The route is the resolver's, with its slash.
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "csrf_token/"): "csrf_token",
    ("POST", "users/registration/"): "registration",
    ("POST", "users/login/"): "login",
    ("POST", "users/logout/"): "logout",
    ("GET", "current_user/"): "current_user",
    ("GET", "users/contact-us-subjects/"): "contact_us_subjects",
    ("POST", "users/contact-us/"): "contact_us",
    ("GET", "users/conversations/"): "users_list",
    ("POST", "users/conversations/"): "users_open",  # and users_append, the same operation
    ("GET", "users/conversations/<str:conversation_id>/"): "users_detail",
    ("GET", "users/orders/"): "users_orders",
    ("GET", "users/orders/<str:order_id>/"): "users_order",
    ("GET", "seller/conversations/"): "seller_list",
    ("GET", "seller/conversations/stats/"): "seller_stats",
    ("GET", "seller/conversations/<str:conversation_id>/"): "seller_detail",
    ("POST", "seller/conversations/<str:conversation_id>/messages/"): "seller_answer",
    ("GET", "seller/webhooks/"): "seller_webhooks",
    ("POST", "seller/webhooks/"): "seller_webhook_create",
    ("GET", "seller/webhooks/<str:endpoint_id>/"): "seller_webhook_detail",
    ("PATCH", "seller/webhooks/<str:endpoint_id>/"): "seller_webhook_update",
    ("DELETE", "seller/webhooks/<str:endpoint_id>/"): "seller_webhook_delete",
    ("POST", "seller/webhooks/<str:endpoint_id>/rotate-secret/"): "seller_webhook_rotate",
    ("GET", "seller/webhooks/<str:endpoint_id>/deliveries/"): "seller_webhook_deliveries",
    (
        "POST",
        "seller/webhooks/<str:endpoint_id>/deliveries/<str:delivery_id>/retry/",
    ): "seller_webhook_retry",
    ("GET", "users/conversations/unread/"): "users_unread",
    ("GET", "users/conversations/<str:conversation_id>/read/"): "users_receipts",
    ("POST", "users/conversations/<str:conversation_id>/read/"): "users_read",
    ("POST", "users/conversations/<str:conversation_id>/unread/"): "users_mark_unread",
    ("GET", "seller/conversations/unread/"): "seller_unread",
    ("GET", "seller/conversations/<str:conversation_id>/read/"): "seller_receipts",
    ("POST", "seller/conversations/<str:conversation_id>/read/"): "seller_read",
    ("POST", "seller/conversations/<str:conversation_id>/unread/"): "seller_mark_unread",
    ("GET", "products/<str:product_id>/questions/"): "product_questions",
    ("GET", "products/<str:product_id>/questions/similar/"): "product_questions_similar",
    # Function views count as GET here, whatever else they take.
    ("GET", "seller/inbox/"): "inbox_list",
    ("GET", "seller/inbox/login/"): "inbox_login",
    ("GET", "seller/inbox/logout/"): "inbox_logout",
    ("GET", "seller/inbox/choose/"): "inbox_choose",
    ("GET", "seller/inbox/language/"): "inbox_language",
    ("GET", "seller/inbox/replies/"): "inbox_replies",
    ("GET", "seller/inbox/replies/<str:reply_id>/delete/"): "inbox_reply_delete",
    ("GET", "seller/inbox/<str:conversation_id>/"): "inbox_thread",
    ("GET", "seller/inbox/<str:conversation_id>/unread/"): "inbox_mark_unread",
    ("GET", "seller/inbox/<str:conversation_id>/archive/"): "inbox_archive",
    ("GET", "healthz/"): "healthz",
    ("GET", "readyz/"): "readyz",
    ("GET", "metrics/"): "metrics",
    ("GET", "api/schema/"): "schema",
    ("GET", "api/docs/"): "docs",
    ("GET", "users/me/export/"): "customer_export",
    ("POST", "users/conversations/attachments/"): "users_attachment_upload",
    ("GET", "users/conversations/<str:conversation_id>/attachments/"): "users_attachments",
    ("POST", "seller/conversations/attachments/"): "seller_attachment_upload",
    # and attachment_uploaded, attachment_hidden, attachment_others: the same view
    ("GET", "attachments/<str:attachment_id>/"): "attachment_linked",
}

EVERYONE_200 = dict.fromkeys(PRINCIPALS, 200)
LOGGED_IN = ("customer", "other_customer", "staff")
EXPECTED: dict[str, dict[str, int]] = {
    # The seller API's rows, and what a staff member gets there: the customer API treats staff
    # as any customer (their own conversations only), the seller API wants a seller token.
    **{
        name: row | {"staff": 401}
        for name, row in sellers_matrix.EXPECTED.items()
        if name.startswith("seller_")
    },
    "users_list": sellers_matrix.EXPECTED["users_list"] | {"staff": 200},
    "users_detail": sellers_matrix.EXPECTED["users_detail"] | {"staff": 404},
    "users_append": sellers_matrix.EXPECTED["users_append"] | {"staff": 400},
    "users_open": sellers_matrix.EXPECTED["users_open"] | {"staff": 201},
    "users_orders": sellers_matrix.EXPECTED["users_orders"] | {"staff": 200},
    "users_order": sellers_matrix.EXPECTED["users_order"] | {"staff": 404},
    "users_unread": sellers_matrix.EXPECTED["users_unread"] | {"staff": 200},
    "users_receipts": sellers_matrix.EXPECTED["users_receipts"] | {"staff": 404},
    "users_read": sellers_matrix.EXPECTED["users_read"] | {"staff": 404},
    "users_mark_unread": sellers_matrix.EXPECTED["users_mark_unread"] | {"staff": 404},
    "users_attachment_upload": sellers_matrix.EXPECTED["users_attachment_upload"] | {"staff": 201},
    "users_attachments": sellers_matrix.EXPECTED["users_attachments"] | {"staff": 404},
    # Staff may download any stored file: they moderate hidden messages too.
    **{
        name: row | {"staff": 200}
        for name, row in sellers_matrix.EXPECTED.items()
        if name.startswith("attachment_")
    },
    # The inbox: no session goes to the login page; people who are no member get 403.
    **{
        name: {**dict.fromkeys(PRINCIPALS, 302), **dict.fromkeys(LOGGED_IN, 403)}
        for name in (
            "inbox_list",
            "inbox_choose",
            "inbox_replies",
            "inbox_reply_delete",
            "inbox_thread",
            "inbox_mark_unread",
            "inbox_archive",
        )
    },
    "inbox_login": EVERYONE_200,
    "inbox_logout": dict.fromkeys(PRINCIPALS, 302),
    "inbox_language": dict.fromkeys(PRINCIPALS, 302),
    "csrf_token": EVERYONE_200,
    "registration": dict.fromkeys(PRINCIPALS, 201),
    "login": EVERYONE_200,
    "logout": EVERYONE_200,
    "current_user": {
        **dict.fromkeys(PRINCIPALS, 403),
        "customer": 200,
        "other_customer": 200,
        "staff": 200,
    },
    # Session only: a seller's token is no login here.
    "customer_export": {
        **dict.fromkeys(PRINCIPALS, 403),
        "customer": 200,
        "other_customer": 200,
        "staff": 200,
    },
    "contact_us_subjects": EVERYONE_200,
    "contact_us": EVERYONE_200,
    "product_questions": EVERYONE_200,
    "product_questions_similar": EVERYONE_200,
    "healthz": EVERYONE_200,
    "readyz": EVERYONE_200,
    "metrics": EVERYONE_200,
    "schema": EVERYONE_200,
    "docs": EVERYONE_200,
    # Django's admin: everyone but staff is sent to its login page.
    "admin": {**dict.fromkeys(PRINCIPALS, 302), "staff": 200},
}
CASES = [(endpoint, principal) for endpoint in ENDPOINTS for principal in PRINCIPALS]


def routed_endpoints(patterns: Any = None, prefix: str = "") -> set[tuple[str, str]]:
    """(method, route) for every routed view, the slash-less twins folded into their route."""
    found: set[tuple[str, str]] = set()
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern) == "admin/":
                continue  # Django's admin: its own login and permissions; the "admin" row
            found |= routed_endpoints(entry.url_patterns, prefix + str(entry.pattern))
            continue
        assert isinstance(entry, URLPattern)
        route = prefix + str(entry.pattern)
        if not route.endswith("/"):
            continue  # the twin of route + "/", the same view (test_conventions checks it)
        view = entry.callback
        view_class = getattr(view, "cls", None) or getattr(view, "view_class", None)
        if view_class is None:
            methods = {"GET"}  # the function views (ops) are @require_safe: GET and HEAD
        else:
            methods = {
                method.upper()
                for method in view_class.http_method_names
                if method not in ("options", "head") and hasattr(view_class, method)
            }
        found |= {(method, route) for method in methods}
    return found


def client_as(client_api: Any, world: Any, staff: Any, principal: str) -> Any:
    if principal == "staff":
        client_api.login_as(staff)
        return client_api
    return sellers_matrix.client_as(client_api, world, principal)


def snapshot() -> tuple[Any, ...]:
    return (
        *sellers_matrix.snapshot(),
        list(ContactRequest.objects.order_by("id").values()),
        list(User.objects.order_by("id").values_list("id", "email", "password", "is_active")),
    )
