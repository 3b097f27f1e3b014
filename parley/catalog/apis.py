"""The shopper's own orders (API.md §6), which the storefront's contact form lists."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.catalog import selectors
from parley.catalog.serializers import OrderOutputSerializer
from parley.core.apis import paginated_response, path_id
from parley.core.pagination import PageLimitPagination


class OrderListApi(APIView):
    # Declared so the OpenAPI schema shows the paginated object and page/limit.
    pagination_class = PageLimitPagination
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            200: OrderOutputSerializer(many=True),
            404: OpenApiResponse(description="An invalid page"),
        },
        summary="The logged-in user's orders, newest first",
    )
    def get(self, request: Request) -> Response:
        orders = selectors.order_list_for_user(request.user)
        return paginated_response(
            request, self, orders, lambda page: OrderOutputSerializer(page, many=True).data
        )


class OrderDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            200: OrderOutputSerializer,
            404: OpenApiResponse(description="Not one of the user's orders"),
        },
        summary="One of the logged-in user's orders",
    )
    def get(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get_for_user(request.user, path_id(order_id))
        return Response(OrderOutputSerializer(order).data)
