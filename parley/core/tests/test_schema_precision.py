"""The schema says what the server enforces: for each input below, the served OpenAPI schema
(`/api/schema/`, read as schemathesis reads it) accepts it exactly when the server does.
These are the disagreements a live schemathesis run found (issue 12); the live run itself is
`.ci/schemathesis_live.py`."""

import json
from typing import Any

import jsonschema
import pytest
from constance import config
from schemathesis.specs.openapi.converter import to_json_schema

from parley.accounts.tests.factories import UserFactory
from parley.catalog.tests.factories import DataSourceFactory, ProductFactory
from parley.conversations import services as conversation_services
from parley.support.tests.factories import ContactSubjectFactory

pytestmark = pytest.mark.django_db

ROUTING = {"contact_us": "support@shop.example", "franchise": ["franchise@shop.example"]}


def _served_schema(client: Any) -> dict[str, Any]:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return json.loads(response.content)


def _resolved(node: Any, document: dict[str, Any]) -> Any:
    """`node` with every `#/components/...` reference replaced by its target."""
    if isinstance(node, dict):
        if "$ref" in node:
            _, _, path = node["$ref"].partition("#/")
            target: Any = document
            for part in path.split("/"):
                target = target[part]
            return _resolved(target, document)
        return {key: _resolved(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolved(value, document) for value in node]
    return node


def _validator(schema: dict[str, Any], document: dict[str, Any]) -> jsonschema.Draft7Validator:
    converted = to_json_schema(_resolved(schema, document), nullable_keyword="nullable")
    return jsonschema.Draft7Validator(converted)


def _body_validator(document: dict[str, Any], path: str, media_type: str) -> Any:
    content = document["paths"][path]["post"]["requestBody"]["content"]
    return _validator(content[media_type]["schema"], document)


def _parameter_validator(document: dict[str, Any], path: str, name: str) -> Any:
    [parameter] = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    return _validator(parameter["schema"], document)


@pytest.fixture
def routing() -> None:
    config.CONTACT_US_EMAIL_TO = json.dumps(ROUTING)


@pytest.fixture
def customer() -> Any:
    return UserFactory.create()


@pytest.fixture
def customer_client(client_api: Any, customer: Any) -> Any:
    client_api.login_as(customer)
    return client_api


def test_operation_lists_the_keys_of_the_setting_when_the_schema_is_read(client_api, routing):
    def operation_values() -> list[Any]:
        document = _served_schema(client_api)
        body = document["paths"]["/users/contact-us/"]["post"]["requestBody"]["content"]
        schema = _resolved(body["application/json"]["schema"], document)
        return sorted(
            value
            for branch in schema["properties"]["operation"]["oneOf"]
            for value in branch["enum"]
            if value
        )

    assert operation_values() == ["contact_us", "franchise"]
    # Staff change the setting in the admin: the next schema says so. A key the form could
    # never take (padded, or longer than the field) is not offered.
    config.CONTACT_US_EMAIL_TO = json.dumps(
        {"contact_us": "a@shop.example", "wholesale": "b@shop.example", " padded": "c@x.example"}
        | {"k" * 65: "d@shop.example"}
    )
    assert operation_values() == ["contact_us", "wholesale"]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"operation": "franchise"},
        {"operation": ""},
        {"operation": None},
        {"operation": "no-such-desk"},
        {"operation": 5},
        {"order": ""},
        {"order": None},
        {"phone": None},
        {"message": 0},  # a number where a string is declared
        {"full_name": 7},
        {"email": 12},
    ],
    ids=repr,
)
def test_contact_us_json_body(client_api, routing, changes):
    subject = ContactSubjectFactory.create(is_order_needed=False)
    client_api.fetch_csrf()
    body = {
        "subject": subject.pk,
        "full_name": "Joe Doe",
        "email": "joe@example.com",
        "message": "Where is my parcel?",
    } | changes
    document = _served_schema(client_api)
    declared = _body_validator(document, "/users/contact-us/", "application/json").is_valid(body)
    response = client_api.post("/users/contact-us/", body, format="json")
    assert response.status_code in (200, 400), response.content
    assert (response.status_code == 200) == declared, response.content


def test_a_form_body_cannot_declare_null(client_api, routing):
    """Multipart and form bodies carry strings: null is declared for JSON only."""
    document = _served_schema(client_api)
    form = _body_validator(document, "/users/contact-us/", "multipart/form-data")
    json_body = _body_validator(document, "/users/contact-us/", "application/json")
    body = {"subject": 1, "full_name": "J", "email": "j@example.com", "message": "m"}
    assert json_body.is_valid(body | {"order": None})
    assert not form.is_valid(body | {"order": None})
    assert form.is_valid(body | {"order": ""})


@pytest.fixture
def conversation_world(customer: Any) -> dict[str, Any]:
    user = customer
    seller = DataSourceFactory.create()
    product = ProductFactory.create(datasource=seller)
    other_product = ProductFactory.create(datasource=seller)
    conversation = conversation_services.conversation_create(
        user=user,
        datasource=seller,
        conversation_type="question",
        content="Is it cotton?",
        user_type="registered",
        item_content="product",
        item_id=product.pk,
    ).conversation
    return {
        "base": {
            "conversation_type": "question",
            "user": user.pk,
            "user_type": "registered",
            "message_content": "Hello",
            "datasource": seller.pk,
            "content_type": "user",
            "content_id": user.pk,
        },
        "conversation": conversation.pk,
        "product": other_product.pk,
    }


@pytest.mark.parametrize(
    "case",
    ["item_id alone", "item_content alone", "item pair", "append with item_id alone", "empty"],
)
def test_conversation_item_fields_go_together(customer_client, conversation_world, case):
    world = conversation_world
    changes = {
        "item_id alone": {"item_id": world["product"]},
        "item_content alone": {"item_content": "product"},
        "item pair": {"item_content": "product", "item_id": world["product"]},
        # With `conversation`, the request's item fields are ignored.
        "append with item_id alone": {
            "conversation": world["conversation"],
            "item_id": world["product"],
        },
        "empty": {"item_content": "", "item_id": None, "conversation": ""},
    }[case]
    body = world["base"] | changes
    document = _served_schema(customer_client)
    validator = _body_validator(document, "/users/conversations/", "application/json")
    response = customer_client.post("/users/conversations/", body, format="json")
    assert response.status_code in (201, 400), response.content
    assert (response.status_code == 201) == validator.is_valid(body), response.content


@pytest.mark.parametrize("limit", ["5", "250", "0", "-3", "abc", "null", ""])
def test_limit_takes_any_value(customer_client, limit):
    document = _served_schema(customer_client)
    assert _parameter_validator(document, "/users/conversations/", "limit").is_valid(limit)
    response = customer_client.get("/users/conversations/", {"limit": limit})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("page", "typed", "status"), [("1", 1, 200), ("", "", 200), ("0", 0, 404), ("abc", "abc", 404)]
)
def test_page_is_a_positive_integer_or_empty(customer_client, page, typed, status):
    document = _served_schema(customer_client)
    validator = _parameter_validator(document, "/users/conversations/", "page")
    assert validator.is_valid(typed) == (status == 200)
    assert customer_client.get("/users/conversations/", {"page": page}).status_code == status


@pytest.mark.parametrize("name", ["conversation_type", "is_answered", "item_content"])
def test_an_empty_filter_is_declared_and_means_no_filter(customer_client, name):
    document = _served_schema(customer_client)
    assert _parameter_validator(document, "/users/conversations/", name).is_valid("")
    assert customer_client.get("/users/conversations/", {name: ""}).status_code == 200


def test_every_unsafe_request_declares_the_csrf_pair(client_api):
    document = _served_schema(client_api)
    security = {
        f"{method.upper()} {path}": operation.get("security")
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    session_and_csrf: dict[str, list[str]] = {
        name: [] for name in ("sessionCookie", "csrfCookie", "csrfHeader")
    }
    assert security["POST /users/conversations/"] == [session_and_csrf]
    assert security["POST /users/contact-us/"] == [
        session_and_csrf,
        {"csrfCookie": [], "csrfHeader": []},
    ]
    assert security["GET /users/conversations/"] == [{"sessionCookie": []}]
    # The storefront logs in and registers without a token (API.md §2).
    assert security["POST /users/login/"] == [{}]
    assert security["POST /users/registration/"] == [{}]
    schemes = document["components"]["securitySchemes"]
    assert (schemes["csrfCookie"]["in"], schemes["csrfCookie"]["name"]) == ("cookie", "csrftoken")
    assert (schemes["csrfHeader"]["in"], schemes["csrfHeader"]["name"]) == ("header", "X-CSRFToken")
