"""What the schema fuzzer found, pinned as plain tests so each stays fixed."""

import pytest
from django.contrib.sessions.models import Session

from parley.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("other", ["registration", "login"])
def test_a_logged_in_browser_starting_another_users_session_gets_a_key(client_api, other):
    # login() flushes the first user's session, and the new one had no key yet: a 500.
    first = UserFactory.create()
    client_api.force_login(first)
    old_key = client_api.cookies["osessionid"].value
    if other == "registration":
        body = {"email": "second@example.com", "password": "a-long-unusual-passphrase"}
    else:
        second = UserFactory.create()
        body = {"email": second.email, "password": PASSWORD}
    response = client_api.post(f"/users/{other}/", body, format="json")
    assert response.status_code == (201 if other == "registration" else 200), response.content
    key = response.json()["key"]
    assert key != old_key
    assert response.cookies["osessionid"].value == key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert Session.objects.get(session_key=key).get_decoded()["_auth_user_id"] != str(first.pk)


@pytest.mark.parametrize(
    "path", ["/users/conversations/", "/seller/conversations/", "/products/{pk}/questions/"]
)
def test_every_paginated_list_is_documented_as_the_paginated_object(path):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    path = path.replace("{pk}", "{product_id}")
    operation = schema["paths"][path]["get"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][ok["$ref"].rsplit("/", 1)[-1]]
    assert component["required"] == ["count", "results"]
    assert set(component["properties"]) == {"count", "next", "previous", "results"}
    assert {p["name"] for p in operation["parameters"]} >= {"page", "limit"}
