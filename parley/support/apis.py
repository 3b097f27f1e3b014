import ipaddress
from collections.abc import Mapping
from typing import Any

from django.utils import translation
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from parley.core.exceptions import ApplicationError
from parley.core.idempotency import idempotent
from parley.core.schema import SchemaPrecision
from parley.core.throttles import (
    ContactUsDailyEmailThrottle,
    ContactUsDailyThrottle,
    ContactUsEmailThrottle,
    ContactUsThrottle,
)
from parley.core.validators import (
    EmailAddressField,
    IdField,
    SingleLineField,
    TextField,
    given_fields,
)
from parley.support import selectors, services
from parley.support.attachments import CheckedAttachment, attachment_check
from parley.support.models import ContactSubject


class ContactSubjectListApi(APIView):
    class OutputSerializer(serializers.ModelSerializer[ContactSubject]):
        class Meta:
            model = ContactSubject
            fields = ("id", "text", "is_order_needed")

    @extend_schema(
        responses=OutputSerializer(many=True),
        summary="Contact Us subjects in the request's language",
    )
    def get(self, request: Request) -> Response:
        subjects = selectors.contact_subject_list()
        return Response(self.OutputSerializer(subjects, many=True).data)


class OperationKeyField(SingleLineField):
    """A key of CONTACT_US_EMAIL_TO; the service refuses an unknown one (its schema lists the
    keys of the moment: parley.support.schema)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", selectors.OPERATION_MAX_LENGTH)
        super().__init__(**kwargs)


class ContactUsApi(APIView):
    """Public, CSRF-checked (the default authentication), throttled per client (the shopper
    behind the storefront) and per submitted e-mail."""

    throttle_classes = [
        ContactUsThrottle,
        ContactUsDailyThrottle,
        ContactUsEmailThrottle,
        ContactUsDailyEmailThrottle,
    ]

    class InputSerializer(SchemaPrecision, serializers.Serializer):
        absent_when_empty = absent_when_null = ("phone", "file", "order", "operation")

        subject = IdField()
        full_name = SingleLineField(max_length=70)
        email = EmailAddressField()
        phone = SingleLineField(max_length=70, required=False)
        message = TextField(max_length=10_000)
        file = serializers.FileField(required=False, allow_empty_file=True, use_url=False)
        order = IdField(required=False)
        operation = OperationKeyField(required=False)

        def validate_file(self, upload: Any) -> CheckedAttachment:
            try:
                return attachment_check(upload)
            except ApplicationError as error:
                raise serializers.ValidationError(error.message) from error

    def _input(self, request: Request) -> Any:
        """Only the known fields (extras are ignored) and optional ones given as "" or null
        are dropped, as the storefront sends them."""
        data: Any = request.data
        if not isinstance(data, Mapping):
            return data  # a JSON list or scalar: the serializer answers with its own 400
        return given_fields(
            data, self.InputSerializer().fields, optional=self.InputSerializer.absent_when_empty
        )

    @staticmethod
    def _client_ip(request: Request) -> str | None:
        ident = BaseThrottle().get_ident(request)
        try:
            return str(ipaddress.ip_address(ident))
        except ValueError:
            return None

    @extend_schema(
        request={
            "application/json": InputSerializer,
            "multipart/form-data": InputSerializer,
        },
        responses={
            200: OpenApiResponse(description="Received; empty body"),
            400: OpenApiResponse(description="Field errors"),
        },
        summary="Send a message to the shop",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=self._input(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        services.contact_request_create(
            subject_id=data["subject"],
            full_name=data["full_name"],
            email=data["email"],
            phone=data.get("phone", ""),
            message=data["message"],
            order_id=data.get("order"),
            operation=data.get("operation"),
            attachment=data.get("file"),
            user_id=user.pk if user and user.is_authenticated else None,
            language=translation.get_language() or "",
            client_ip=self._client_ip(request),
        )
        return Response(status=200)
