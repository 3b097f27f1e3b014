"""The back office: the inbox, staff-only attachment download, retries, subjects, routing."""

import json
from pathlib import Path
from typing import Any

import pytest
from constance import config
from constance.forms import ConstanceForm
from constance.utils import get_values
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from parley.accounts.tests.factories import UserFactory
from parley.mail.models import EmailStatus, OutgoingEmail
from parley.support.models import ContactRequest, ContactSubject
from parley.support.tests import corpus
from parley.support.tests.helpers import ROUTING

pytestmark = pytest.mark.django_db

BROKEN = "parley.mail.tests.backends.BrokenBackend"


@pytest.fixture
def submitted(
    client_api: Any,
    routing: Any,
    subject: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> ContactRequest:
    """One submission with a PDF whose delivery failed for good (mail server down)."""
    settings.EMAIL_BACKEND = BROKEN
    settings.PARLEY_MAIL_MAX_ATTEMPTS = 1
    client_api.fetch_csrf()
    upload = SimpleUploadedFile("Fatura <2026>.pdf", corpus.pdf())
    data = {
        "subject": subject.pk,
        "full_name": "Ayşe Yılmaz",
        "email": "ayse@example.com",
        "message": "Please see the invoice.",
        "operation": "franchise",
        "file": upload,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client_api.post("/users/contact-us/", data, format="multipart")
    assert response.status_code == 200
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return ContactRequest.objects.get()


@pytest.fixture
def staff(client: Any, admin_user: Any) -> Any:
    client.force_login(admin_user)
    return client


def test_inbox_lists_filters_and_searches(staff: Any, submitted: ContactRequest) -> None:
    response = staff.get("/admin/support/contactrequest/")
    assert response.status_code == 200
    content = response.content.decode()
    for value in (
        "Ayşe Yılmaz",
        "ayse@example.com",
        "franchise",
        "Failed (1 attempt(s))",
        "franchise@shop.example, owner@shop.example",
    ):
        assert value in content
    filtered = staff.get("/admin/support/contactrequest/?outgoing_email__status__exact=failed")
    assert "ayse@example.com" in filtered.content.decode()
    filtered = staff.get("/admin/support/contactrequest/?outgoing_email__status__exact=sent")
    assert "ayse@example.com" not in filtered.content.decode()
    found = staff.get("/admin/support/contactrequest/?q=invoice")
    assert "ayse@example.com" in found.content.decode()
    detail = staff.get(f"/admin/support/contactrequest/{submitted.pk}/change/")
    assert detail.status_code == 200
    assert f"/admin/support/contactrequest/{submitted.pk}/attachment/" in detail.content.decode()
    assert "Fatura &lt;2026&gt;.pdf" in detail.content.decode()


def test_staff_download_the_attachment(staff: Any, submitted: ContactRequest) -> None:
    response = staff.get(f"/admin/support/contactrequest/{submitted.pk}/attachment/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == corpus.pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Fatura" in response["Content-Disposition"]


def test_customers_and_anonymous_cannot_download(client: Any, submitted: ContactRequest) -> None:
    url = f"/admin/support/contactrequest/{submitted.pk}/attachment/"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_view_permission_cannot_download(
    client: Any, submitted: ContactRequest
) -> None:
    client.force_login(UserFactory(is_staff=True))
    response = client.get(f"/admin/support/contactrequest/{submitted.pk}/attachment/")
    assert response.status_code == 403


def test_media_is_not_served_publicly(client_api: Any, submitted: ContactRequest) -> None:
    for prefix in ("/media/", "/", "/private/"):
        assert client_api.get(prefix + submitted.file).status_code == 404


def test_retry_action_delivers_the_failed_email_once(
    staff: Any, submitted: ContactRequest, django_capture_on_commit_callbacks: Any
) -> None:
    outgoing = OutgoingEmail.objects.get()
    assert outgoing.status == EmailStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/admin/support/contactrequest/",
            {"action": "retry_delivery", "_selected_action": [submitted.pk]},
        )
    assert response.status_code == 302
    outgoing.refresh_from_db()
    assert outgoing.status == EmailStatus.SENT
    [sent] = mail.outbox
    assert sent.to == ["franchise@shop.example", "owner@shop.example"]
    assert sent.attachments == [("Fatura <2026>.pdf", corpus.pdf(), "application/pdf")]


def test_subject_admin_shows_every_language_side_by_side(staff: Any, subject: Any) -> None:
    response = staff.get(f"/admin/support/contactsubject/{subject.pk}/change/")
    content = response.content.decode()
    assert 'name="text_en"' in content
    assert 'name="text_tr"' in content
    response = staff.post(
        f"/admin/support/contactsubject/{subject.pk}/change/",
        {
            "text_en": "Delivery",
            "text_tr": "Teslimat",
            "order": 3,
            "is_active": "on",
            "is_order_needed": "on",
        },
    )
    assert response.status_code == 302
    subject = ContactSubject.objects.get(pk=subject.pk)
    assert (subject.text_en, subject.text_tr, subject.is_order_needed) == (
        "Delivery",
        "Teslimat",
        True,
    )


def _post_routing(staff: Any, value: str) -> Any:
    values = get_values()
    version = ConstanceForm(initial=values).initial["version"]
    # The form holds every dynamic setting: the others keep their values.
    return staff.post(
        "/admin/constance/config/",
        {**values, "version": version, "CONTACT_US_EMAIL_TO": value},
    )


def test_routing_edited_in_the_admin_holds_from_the_next_request(
    staff: Any, client_api: Any, subject: Any, django_capture_on_commit_callbacks: Any
) -> None:
    response = _post_routing(staff, json.dumps({"contact_us": ["desk@shop.example"]}))
    assert response.status_code == 302
    client_api.fetch_csrf()
    data = {"subject": subject.pk, "full_name": "A", "email": "a@example.com", "message": "m"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client_api.post("/users/contact-us/", data, format="json").status_code == 200
    assert mail.outbox[0].to == ["desk@shop.example"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "Not valid JSON"),
        ('["a@example.com"]', "Must be a non-empty JSON object"),
        ("{}", "Must be a non-empty JSON object"),
        ('{"contact_us": "not-an-address"}', "is not a valid e-mail address"),
        ('{"contact_us": []}', "give one address or a non-empty list of addresses"),
        ('{"contact_us": ["ok@example.com", 5]}', "is not an e-mail address"),
    ],
)
def test_invalid_routing_is_refused_with_a_clear_message(
    staff: Any, routing: Any, value: str, message: str
) -> None:
    response = _post_routing(staff, value)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert json.loads(config.CONTACT_US_EMAIL_TO) == ROUTING  # never saved


def test_demo_seeds_subjects_and_routing(db: Any) -> None:
    from parley.core.demo import demo_seed

    demo = demo_seed()
    assert len(demo["subjects"]) >= 3
    assert all(item["text_en"] and item["text_tr"] for item in demo["subjects"])
    assert any(item["is_order_needed"] for item in demo["subjects"])
    routes = demo["contact_us_email_to"]
    assert set(routes) >= {"contact_us", "franchise"}
    assert routes["contact_us"] != routes["franchise"]
    assert demo_seed() == demo  # idempotent


def test_stored_file_is_private(submitted: ContactRequest, private_media: Path) -> None:
    path = private_media / submitted.file
    assert path.exists()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_staff_who_may_only_view_cannot_retry(client, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Permission

    viewer = UserFactory.create(is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_contactrequest", "view_outgoingemail"])
    )
    email = OutgoingEmail.objects.create(
        from_email="a@example.com",
        to=["b@example.com"],
        subject="s",
        text_body="t",
        message_id="<viewer@example.com>",
        status=EmailStatus.FAILED,
        attempts=8,
    )
    client.force_login(viewer)
    page = client.get("/admin/mail/outgoingemail/")
    assert page.status_code == 200
    assert b"retry_now" not in page.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/mail/outgoingemail/", {"action": "retry_now", "_selected_action": [email.pk]}
        )
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 8)
    assert b"retry_delivery" not in client.get("/admin/support/contactrequest/").content
