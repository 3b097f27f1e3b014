"""`/seller/webhooks/` (API.md §10): a seller's webhook endpoints and their deliveries, part of
the seller API (its token authentication, permission and throttle). The machinery is
parley.webhooks, which sits below conversations so that their services can emit events;
these views live here, above it, with the rest of the seller API."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.core.pagination import PageLimitPagination
from parley.sellers.authentication import SellerApiMixin, request_seller
from parley.webhooks import selectors, services
from parley.webhooks.serializers import (
    WebhookDeliveryOutputSerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointCreateInputSerializer,
    WebhookEndpointOutputSerializer,
    WebhookEndpointUpdateInputSerializer,
    WebhookSecretSerializer,
)

MAX_ID = 2**63 - 1
UNAUTHORIZED = OpenApiResponse(
    description="No token, or a malformed, unknown or revoked one (`WWW-Authenticate: Token`)"
)
THROTTLED = OpenApiResponse(description="Over the `seller` rate of this token")
NOT_FOUND = OpenApiResponse(description="Not one of the seller's endpoints (or deliveries)")


def _path_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
        raise NotFound()
    return int(raw)


class WebhookEndpointListApi(SellerApiMixin, APIView):
    """The seller's endpoints (at most five), and registering a new one."""

    @extend_schema(
        responses={200: WebhookEndpointOutputSerializer(many=True), 401: UNAUTHORIZED},
        summary="The seller's webhook endpoints",
    )
    def get(self, request: Request) -> Response:
        endpoints = selectors.webhook_endpoint_list_for_seller(request_seller(request))
        return Response(WebhookEndpointOutputSerializer(endpoints, many=True).data)

    @extend_schema(
        request=WebhookEndpointCreateInputSerializer,
        responses={
            201: WebhookEndpointCreatedSerializer,
            400: OpenApiResponse(
                description="A URL that is not https or not public, an unknown event type, "
                "or already five endpoints"
            ),
            401: UNAUTHORIZED,
            429: THROTTLED,
        },
        summary="Register a webhook endpoint; its secret is shown only in this answer",
    )
    def post(self, request: Request) -> Response:
        serializer = WebhookEndpointCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(
            datasource=request_seller(request), **serializer.validated_data
        )
        return Response(
            WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )


class WebhookEndpointDetailApi(SellerApiMixin, APIView):
    @extend_schema(
        responses={200: WebhookEndpointOutputSerializer, 401: UNAUTHORIZED, 404: NOT_FOUND},
        summary="One of the seller's webhook endpoints",
    )
    def get(self, request: Request, endpoint_id: str) -> Response:
        endpoint = selectors.webhook_endpoint_get_for_seller(
            request_seller(request), _path_id(endpoint_id)
        )
        return Response(WebhookEndpointOutputSerializer(endpoint).data)

    @extend_schema(
        request=WebhookEndpointUpdateInputSerializer,
        responses={
            200: WebhookEndpointOutputSerializer,
            400: OpenApiResponse(description="A refused URL or an unknown event type"),
            401: UNAUTHORIZED,
            404: NOT_FOUND,
            429: THROTTLED,
        },
        summary="Change an endpoint's URL, event types or is_active",
    )
    def patch(self, request: Request, endpoint_id: str) -> Response:
        endpoint = selectors.webhook_endpoint_get_for_seller(
            request_seller(request), _path_id(endpoint_id)
        )
        serializer = WebhookEndpointUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, **serializer.validated_data)
        return Response(WebhookEndpointOutputSerializer(endpoint).data)

    @extend_schema(
        responses={204: None, 401: UNAUTHORIZED, 404: NOT_FOUND, 429: THROTTLED},
        summary="Delete an endpoint and its deliveries",
    )
    def delete(self, request: Request, endpoint_id: str) -> Response:
        endpoint = selectors.webhook_endpoint_get_for_seller(
            request_seller(request), _path_id(endpoint_id)
        )
        services.webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookSecretRotateApi(SellerApiMixin, APIView):
    @extend_schema(
        request=None,
        responses={
            200: WebhookSecretSerializer,
            401: UNAUTHORIZED,
            404: NOT_FOUND,
            429: THROTTLED,
        },
        summary="A new signing secret; the old one signs too for 24 hours",
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint = selectors.webhook_endpoint_get_for_seller(
            request_seller(request), _path_id(endpoint_id)
        )
        endpoint = services.webhook_endpoint_secret_rotate(endpoint=endpoint)
        data: dict[str, Any] = {
            "secret": endpoint.secret,
            "previous_secret_expires_at": endpoint.previous_secret_expires_at,
        }
        return Response(WebhookSecretSerializer(data).data)


class WebhookDeliveryListApi(SellerApiMixin, APIView):
    """Recent deliveries to one endpoint, newest first, paginated as §1."""

    pagination_class = PageLimitPagination

    @extend_schema(
        responses={
            200: WebhookDeliveryOutputSerializer(many=True),
            401: UNAUTHORIZED,
            404: NOT_FOUND,
            429: THROTTLED,
        },
        summary="Recent deliveries to one of the seller's endpoints",
    )
    def get(self, request: Request, endpoint_id: str) -> Response:
        endpoint = selectors.webhook_endpoint_get_for_seller(
            request_seller(request), _path_id(endpoint_id)
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.webhook_delivery_list_for_endpoint(endpoint), request, view=self
        )
        assert page is not None
        return paginator.get_paginated_response(
            WebhookDeliveryOutputSerializer(page, many=True).data
        )


class WebhookDeliveryRetryApi(SellerApiMixin, APIView):
    @extend_schema(
        request=None,
        responses={
            202: WebhookDeliveryOutputSerializer,
            400: OpenApiResponse(
                description="The endpoint is disabled, or the delivery is being sent right now"
            ),
            401: UNAUTHORIZED,
            404: NOT_FOUND,
            429: THROTTLED,
        },
        summary="Send a delivery again (same webhook-id and body)",
    )
    def post(self, request: Request, endpoint_id: str, delivery_id: str) -> Response:
        delivery = selectors.webhook_delivery_get_for_seller(
            request_seller(request), _path_id(endpoint_id), _path_id(delivery_id)
        )
        delivery = services.webhook_delivery_retry(delivery=delivery)
        return Response(
            WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )
