"""The storefront's proxy sends the literal `undefined` as `Accept-Language` and `x-currency`
when the shopper has no locale or currency cookie (API.md §6): the default language, 200."""

import pytest

from parley.support.models import ContactRequest
from parley.support.tests.factories import ContactSubjectFactory

pytestmark = pytest.mark.django_db

UNKNOWN_LANGUAGES = ["undefined", "xx-yy", "null", "", "*", "tr;q=abc", "en-us-undefined-x"]


@pytest.mark.parametrize("language", UNKNOWN_LANGUAGES)
def test_an_unknown_accept_language_is_the_default_language(client_api, language):
    ContactSubjectFactory.create(text_en="Refund", text_tr="İade")
    response = client_api.get(
        "/users/contact-us-subjects/",
        HTTP_ACCEPT_LANGUAGE=language,
        HTTP_X_CURRENCY="undefined",
    )
    assert response.status_code == 200
    assert [subject["text"] for subject in response.json()] == ["Refund"]
    assert response["Content-Language"] == "en"


def test_undefined_headers_on_an_error_answer_in_the_default_language(client_api):
    response = client_api.post(
        "/users/login/",
        {"email": "nobody@example.com", "password": "wrong"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="undefined",
        HTTP_X_CURRENCY="undefined",
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Unable to log in with the provided credentials."]
    }


def test_undefined_headers_on_the_contact_form_are_harmless(client_api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    subject = ContactSubjectFactory.create()
    client_api.fetch_csrf()
    response = client_api.post(
        "/users/contact-us/",
        {"subject": subject.pk, "full_name": "Joe", "email": "joe@example.com", "message": "Hi"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="undefined",
        HTTP_X_CURRENCY="undefined",
    )
    assert response.status_code == 200
    assert ContactRequest.objects.get().language == "en"
