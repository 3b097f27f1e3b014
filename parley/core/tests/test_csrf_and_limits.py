import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView


class EchoApi(APIView):
    """Uses the project defaults: CsrfSessionAuthentication, AllowAny."""

    def post(self, request):
        return Response({"echo": request.data.get("value")})


@pytest.fixture
def factory():
    return APIRequestFactory(enforce_csrf_checks=True)


@pytest.mark.django_db
def test_anonymous_unsafe_request_without_csrf_is_403(factory):
    response = EchoApi.as_view()(factory.post("/echo/", {"value": 1}, format="json"))
    assert response.status_code == 403
    assert response.data["detail"].startswith("CSRF Failed")


@pytest.mark.django_db
def test_anonymous_unsafe_request_with_csrf_passes(client_api):
    token = client_api.get("/csrf_token/").json()["csrf_token"]
    request = APIRequestFactory(enforce_csrf_checks=True).post(
        "/echo/", {"value": 1}, format="json", HTTP_X_CSRFTOKEN=token
    )
    request.COOKIES["csrftoken"] = token
    response = EchoApi.as_view()(request)
    assert response.status_code == 200
    assert response.data == {"echo": 1}


@pytest.mark.django_db
def test_safe_requests_need_no_csrf(client_api):
    assert client_api.get("/csrf_token/").status_code == 200


@pytest.mark.django_db
def test_multipart_body_over_the_cap_is_413(client_api, settings):
    settings.PARLEY_MAX_MULTIPART_BODY_BYTES = 1000
    response = client_api.post(
        "/users/login/",
        {"email": "a@example.com", "password": "x" * 2000},
        format="multipart",
    )
    assert response.status_code == 413


@pytest.mark.django_db
def test_invalid_content_length_is_400(client_api):
    response = client_api.generic(
        "POST", "/users/login/", "{}", content_type="application/json", CONTENT_LENGTH="abc"
    )
    assert response.status_code == 400
