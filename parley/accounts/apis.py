from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.html import escape
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts import services
from parley.accounts.models import Gender, User
from parley.core.throttles import LoginAccountThrottle, LoginThrottle
from parley.core.validators import EmailAddressField, SingleLineField, StringField, given_fields

KeySerializer = inline_serializer("SessionKey", {"key": serializers.CharField()})


class CsrfTokenApi(APIView):
    authentication_classes: list[type] = []

    @extend_schema(
        responses=inline_serializer("CsrfToken", {"csrf_token": serializers.CharField()}),
        summary="Get a CSRF token (also set as the csrftoken cookie)",
    )
    def get(self, request: Request) -> Response:
        return Response({"csrf_token": get_token(request._request)})


class RegistrationApi(APIView):
    """CSRF-exempt, as the storefront calls it from its server; throttled by `login` instead."""

    authentication_classes: list[type] = []
    throttle_classes = [LoginThrottle, LoginAccountThrottle]

    class InputSerializer(serializers.Serializer):
        email = EmailAddressField()
        password = StringField(max_length=128, trim_whitespace=False)
        first_name = SingleLineField(max_length=150, required=False, allow_blank=True)
        last_name = SingleLineField(max_length=150, required=False, allow_blank=True)
        phone = SingleLineField(max_length=70, required=False, allow_blank=True, allow_null=True)
        gender = serializers.ChoiceField(
            choices=Gender.choices, required=False, allow_null=True, allow_blank=True
        )
        date_of_birth = serializers.DateField(required=False, allow_null=True)
        email_allowed = serializers.BooleanField(required=False, default=False)
        sms_allowed = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        request=InputSerializer,
        responses={201: KeySerializer, 400: OpenApiResponse(description="Field errors")},
        summary="Register a customer and log in",
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.user_register(**given_fields(data, data, optional=("phone", "gender")))
        key = services.session_start(request=request._request, user=user)
        return Response({"key": key}, status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    authentication_classes: list[type] = []
    throttle_classes = [LoginThrottle, LoginAccountThrottle]

    class InputSerializer(serializers.Serializer):
        email = SingleLineField(max_length=254)
        password = StringField(max_length=128, trim_whitespace=False)

    @extend_schema(
        request=InputSerializer,
        responses={200: KeySerializer, 400: OpenApiResponse(description="Bad credentials")},
        summary="Log in with e-mail and password",
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = services.session_login(request=request._request, **serializer.validated_data)
        return Response({"key": key})


LOGOUT_FORM = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Log out</title></head><body>\n'
    '<form method="post" action="/users/logout/">\n'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{token}">\n'
    '<button type="submit">Log out</button>\n</form>\n</body></html>\n'
)


class LogoutApi(APIView):
    """Two steps, as the storefront does it: a POST without a CSRF token gets a form holding
    one and changes nothing; a POST with a token must pass the CSRF check and ends the session.
    """

    authentication_classes: list[type] = []

    @staticmethod
    def _carries_token(request: Request) -> bool:
        django_request = request._request
        if django_request.META.get("HTTP_X_CSRFTOKEN", "").strip():
            return True
        # Only a real form field counts: Django parses POST for form bodies alone, so a
        # `csrfmiddlewaretoken` key in a JSON body is not a token.
        return bool(django_request.POST.get("csrfmiddlewaretoken", "").strip())

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(
                description="`{}` when the session ended; an HTML form with a CSRF token when "
                "the request carried none"
            ),
            403: OpenApiResponse(description="CSRF failed"),
        },
        summary="End the session (two-step for the storefront)",
    )
    def post(self, request: Request) -> Response | HttpResponse:
        if not self._carries_token(request):
            token = get_token(request._request)
            return HttpResponse(
                LOGOUT_FORM.format(token=escape(token)), content_type="text/html; charset=utf-8"
            )
        SessionAuthentication().enforce_csrf(request)
        services.session_end(request=request._request)
        return Response({})


class CurrentUserApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.ModelSerializer[User]):
        pk = serializers.IntegerField(source="id")
        hashed_email = serializers.CharField()

        class Meta:
            model = User
            fields = (
                "pk",
                "first_name",
                "last_name",
                "email",
                "phone",
                "gender",
                "date_joined",
                "last_login",
                "date_of_birth",
                "email_allowed",
                "sms_allowed",
                "hashed_email",
            )

    @extend_schema(responses=OutputSerializer, summary="The logged-in user")
    def get(self, request: Request) -> Response:
        assert isinstance(request.user, User)
        return Response(self.OutputSerializer(request.user).data)
