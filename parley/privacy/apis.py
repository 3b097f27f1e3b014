from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts.models import User
from parley.privacy.selectors import customer_export
from parley.privacy.serializers import CustomerExportSerializer


class CustomerExportApi(APIView):
    """API.md §11: everything Parley holds about the logged-in user, as JSON."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            200: CustomerExportSerializer,
            403: OpenApiResponse(description="Not logged in"),
        },
        summary="Export everything Parley holds about me",
    )
    def get(self, request: Request) -> Response:
        assert isinstance(request.user, User)
        return Response(customer_export(request.user))
