"""The seller API (token-authenticated, no CSRF)."""

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.conversations import pages
from parley.conversations.apis import (
    read_answer,
    read_receipts_answer,
    unread_answer,
    unread_summary_answer,
)
from parley.conversations.models import MESSAGE_MAX_LENGTH, WriterType
from parley.conversations.serializers import (
    AttachmentIdListField,
    ConversationFilterSerializer,
    ReadInputSerializer,
    ReadReceiptsOutputSerializer,
    ReadStateOutputSerializer,
    SellerConversationOutputSerializer,
    SellerMessageOutputSerializer,
    UnreadSummaryOutputSerializer,
)
from parley.core.apis import paginated_response, path_id
from parley.core.idempotency import idempotent
from parley.core.pagination import PageLimitPagination
from parley.core.renderers import OrjsonRenderer
from parley.core.validators import TextField
from parley.sellers import selectors, services
from parley.sellers.authentication import SellerApiMixin, request_seller

# In a query string an unencoded `+` arrives as a space: `...T10:00:00 03:00` meant `+03:00`.
_SPACE_FOR_PLUS = re.compile(r"^(\S+T\S+) (\d{2}(?::?\d{2})?)$")


class SellerConversationFilterSerializer(ConversationFilterSerializer):
    """The customer listing's filters, without `datasource`, with `updated_since`."""

    datasource = None  # type: ignore[assignment]
    absent_when_empty = (
        "conversation_type",
        "is_answered",
        "item_content",
        "item_id",
        "updated_since",
        "unread",
    )
    unread = serializers.BooleanField(
        required=False,
        help_text="true: conversations with a customer message the seller has not read; "
        "false: the others.",
    )
    updated_since = serializers.DateTimeField(
        required=False,
        input_formats=["iso-8601"],
        help_text="ISO 8601; conversations with any change at or after this time. A time "
        "without an offset is UTC.",
    )

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("updated_since"), str):
            data = {name: data[name] for name in data}
            value = data["updated_since"].strip()
            if any(unicodedata.category(char) == "Cc" for char in value):
                # Django's parser would quietly drop a trailing NUL; a bad form is a 400.
                raise serializers.ValidationError({"updated_since": ["Not an ISO 8601 time."]})
            data["updated_since"] = _SPACE_FOR_PLUS.sub(r"\1+\2", value)
        return super().to_internal_value(data)


class SellerConversationListApi(SellerApiMixin, APIView):
    """The seller's conversations, the customer API's objects, filtered and paginated."""

    # Declared so the OpenAPI schema shows the paginated object and page/limit.
    pagination_class = PageLimitPagination
    renderer_classes = [OrjsonRenderer]

    @extend_schema(
        parameters=[SellerConversationFilterSerializer],
        responses={
            200: SellerConversationOutputSerializer(many=True),
            400: OpenApiResponse(description="A filter of the wrong form, named"),
        },
        summary="The seller's conversations, newest activity first",
    )
    def get(self, request: Request) -> Response:
        filters = SellerConversationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        conversations = selectors.conversation_list_for_seller(
            request_seller(request), filters.validated_data
        )
        return paginated_response(
            request, self, conversations, pages.seller_conversation_page_render
        )


class SellerConversationDetailApi(SellerApiMixin, APIView):
    """One of the seller's conversations; any other is 404."""

    renderer_classes = [OrjsonRenderer]

    @extend_schema(
        responses={
            200: SellerConversationOutputSerializer,
            404: OpenApiResponse(description="Not one of the seller's conversations"),
        },
        summary="One of the seller's conversations",
    )
    def get(self, request: Request, conversation_id: str) -> Response:
        return Response(
            selectors.conversation_get_for_seller(request_seller(request), path_id(conversation_id))
        )


class SellerMessageCreateApi(SellerApiMixin, APIView):
    """Appends the seller's message; the conversation becomes answered."""

    class SellerMessageInputSerializer(serializers.Serializer):
        message_content = TextField(max_length=MESSAGE_MAX_LENGTH)
        attachments = AttachmentIdListField()

    @extend_schema(
        request=SellerMessageInputSerializer,
        responses={
            201: SellerMessageOutputSerializer,
            400: OpenApiResponse(description="Blank, over-long or non-string message_content"),
            404: OpenApiResponse(description="Not one of the seller's conversations"),
        },
        summary="Answer one of the seller's conversations",
    )
    @idempotent
    def post(self, request: Request, conversation_id: str) -> Response:
        conversation_pk = path_id(conversation_id)
        serializer = self.SellerMessageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.seller_message_send(
            datasource=request_seller(request),
            conversation_id=conversation_pk,
            content=serializer.validated_data["message_content"],
            attachments=serializer.validated_data.get("attachments") or (),
        )
        return Response(SellerMessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)


class SellerStatsApi(SellerApiMixin, APIView):
    """The seller's response figures; their definitions are in docs/sellers.md."""

    class SellerStatsSerializer(serializers.Serializer):
        unanswered = serializers.IntegerField()
        oldest_unanswered_since = serializers.DateTimeField(allow_null=True)
        median_first_response_seconds_30d = serializers.FloatField(allow_null=True)
        answered_within_24h_ratio_30d = serializers.FloatField(allow_null=True)
        unread_conversations = serializers.IntegerField()

    @extend_schema(
        responses={200: SellerStatsSerializer},
        summary="The seller's response figures (definitions in docs/sellers.md)",
    )
    def get(self, request: Request) -> Response:
        stats = selectors.seller_stats(request_seller(request), now=timezone.now())
        return Response(self.SellerStatsSerializer(stats).data)


# --- Read marks (API.md §7): the seller's side (the answers are the customer's) ------------------


class SellerUnreadSummaryApi(SellerApiMixin, APIView):
    renderer_classes = [OrjsonRenderer]

    @extend_schema(
        responses={200: UnreadSummaryOutputSerializer},
        summary="The seller's unread conversations and messages",
    )
    def get(self, request: Request) -> Response:
        return unread_summary_answer(column="datasource_id", owner_id=request_seller(request).pk)


class SellerConversationReadApi(SellerApiMixin, APIView):
    parser_classes = [JSONParser]  # as the customer's (conversations.apis.ConversationReadApi)

    @extend_schema(
        responses={
            200: ReadReceiptsOutputSerializer,
            404: OpenApiResponse(description="Not one of the seller's conversations"),
        },
        summary="Read receipts: the seller's and the customer's read marks",
    )
    def get(self, request: Request, conversation_id: str) -> Response:
        return read_receipts_answer(
            party=WriterType.DATASOURCE,
            owner_id=request_seller(request).pk,
            conversation_id=conversation_id,
        )

    @extend_schema(
        request=ReadInputSerializer,
        responses={
            200: ReadStateOutputSerializer,
            400: OpenApiResponse(description="Not a visible message of this conversation"),
            404: OpenApiResponse(description="Not one of the seller's conversations"),
        },
        summary="Mark the conversation read up to a message (default: the newest)",
    )
    def post(self, request: Request, conversation_id: str) -> Response:
        return read_answer(
            request,
            party=WriterType.DATASOURCE,
            owner_id=request_seller(request).pk,
            conversation_id=conversation_id,
        )


class SellerConversationMarkUnreadApi(SellerApiMixin, APIView):
    @extend_schema(
        request=None,
        responses={
            200: ReadStateOutputSerializer,
            404: OpenApiResponse(description="Not one of the seller's conversations"),
        },
        summary="Mark the customer's newest message unread again",
    )
    def post(self, request: Request, conversation_id: str) -> Response:
        return unread_answer(
            party=WriterType.DATASOURCE,
            owner_id=request_seller(request).pk,
            conversation_id=conversation_id,
        )
