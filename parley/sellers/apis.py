"""The seller API (token-authenticated, no CSRF) and the public questions of a product."""

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.conversations.selectors import conversation_rows_fetch
from parley.conversations.serializers import (
    ConversationFilterSerializer,
    ConversationOutputSerializer,
    MessageOutputSerializer,
    conversation_rows_render,
)
from parley.core.apis import path_id
from parley.core.idempotency import idempotent
from parley.core.middleware import mark_language_independent
from parley.core.pagination import PageLimitPagination
from parley.core.renderers import OrjsonRenderer
from parley.core.validators import TextField
from parley.sellers import selectors, services
from parley.sellers.authentication import SellerApiMixin, request_seller
from parley.sellers.serializers import PublicQuestionSerializer

UNAUTHORIZED = OpenApiResponse(
    description="No token, or a malformed, unknown or revoked one (`WWW-Authenticate: Token`)"
)
THROTTLED = OpenApiResponse(description="Over the `seller` rate of this token")
CACHE_HEADERS = [
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=[200, 304],
        required=True,
        description="A weak tag of this answer, for `If-None-Match`.",
    ),
    OpenApiParameter(
        "Cache-Control",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=[200, 304],
        required=True,
        description="`public, max-age=<seconds>` (PARLEY_PUBLIC_QUESTIONS_MAX_AGE).",
    ),
]
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
            200: ConversationOutputSerializer(many=True),
            400: OpenApiResponse(description="A filter of the wrong form, named"),
            401: UNAUTHORIZED,
            429: THROTTLED,
        },
        summary="The seller's conversations, newest activity first",
    )
    def get(self, request: Request) -> Response:
        filters = SellerConversationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        conversations = selectors.conversation_list_for_seller(
            request_seller(request), filters.validated_data
        )
        paginator = self.pagination_class()
        # Rows sliced from a counted queryset, which DRF's annotation does not foresee.
        page: list[tuple[Any, ...]] | None = paginator.paginate_queryset(
            conversations,  # type: ignore[arg-type]
            request,
            view=self,
        )
        assert page is not None
        return paginator.get_paginated_response(
            conversation_rows_render(conversation_rows_fetch(page))
        )


class SellerConversationDetailApi(SellerApiMixin, APIView):
    """One of the seller's conversations; any other is 404."""

    renderer_classes = [OrjsonRenderer]

    @extend_schema(
        responses={
            200: ConversationOutputSerializer,
            401: UNAUTHORIZED,
            404: OpenApiResponse(description="Not one of the seller's conversations"),
            429: THROTTLED,
        },
        summary="One of the seller's conversations",
    )
    def get(self, request: Request, conversation_id: str) -> Response:
        page = selectors.conversation_get_for_seller(
            request_seller(request), path_id(conversation_id)
        )
        return Response(conversation_rows_render(page)[0])


class StrictTextField(TextField):
    """Text that must arrive as a string: DRF would turn `123` into `"123"`."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class SellerMessageCreateApi(SellerApiMixin, APIView):
    """Appends the seller's message; the conversation becomes answered."""

    class SellerMessageInputSerializer(serializers.Serializer):
        message_content = StrictTextField(max_length=5000)

    @extend_schema(
        request=SellerMessageInputSerializer,
        responses={
            201: MessageOutputSerializer,
            400: OpenApiResponse(description="Blank, over-long or non-string message_content"),
            401: UNAUTHORIZED,
            404: OpenApiResponse(description="Not one of the seller's conversations"),
            429: THROTTLED,
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
        )
        return Response(MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)


class SellerStatsApi(SellerApiMixin, APIView):
    """The seller's response figures; their definitions are in docs/sellers.md."""

    class SellerStatsSerializer(serializers.Serializer):
        unanswered = serializers.IntegerField()
        oldest_unanswered_since = serializers.DateTimeField(allow_null=True)
        median_first_response_seconds_30d = serializers.FloatField(allow_null=True)
        answered_within_24h_ratio_30d = serializers.FloatField(allow_null=True)

    @extend_schema(
        responses={200: SellerStatsSerializer, 401: UNAUTHORIZED, 429: THROTTLED},
        summary="The seller's response figures (definitions in docs/sellers.md)",
    )
    def get(self, request: Request) -> Response:
        stats = selectors.seller_stats(request_seller(request), now=timezone.now())
        return Response(self.SellerStatsSerializer(stats).data)


# Part of every public-questions tag: bump it when the answer's shape or rendering changes, so
# that no cache keeps a body of the old form under a tag that still matches.
PUBLIC_QUESTIONS_FORMAT = "1"


def public_questions_etag(version: selectors.PublicQuestionsVersion, url: str) -> str:
    """A weak tag (the same tag means the same answer, not the same bytes) of the answer for
    `url`, whose page, limit, scheme and host (the `next`/`previous` links) it includes."""
    newest = version.newest_change.isoformat() if version.newest_change else ""
    state = "\n".join(
        (
            PUBLIC_QUESTIONS_FORMAT,
            str(version.product_id),
            str(version.datasource_id),
            version.datasource_name,
            version.datasource_title,
            newest,
            str(version.questions),
            url,
        )
    )
    return f'W/"{hashlib.sha256(state.encode()).hexdigest()[:32]}"'


class ProductQuestionListApi(APIView):
    """Public: no login, no session read, so nothing here can depend on who asks, and the
    answer may be kept by shared caches: `ETag` and `Cache-Control: public, max-age` (the
    setting PARLEY_PUBLIC_QUESTIONS_MAX_AGE), `304` for a matching `If-None-Match` after one
    cheap query (docs/conversations.md, "Public questions")."""

    # Declared so the OpenAPI schema shows the paginated object and page/limit.
    pagination_class = PageLimitPagination

    authentication_classes: list[type] = []

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                required=False,
                description="Tags of answers the client holds (or `*`): a match is `304`.",
            ),
            *CACHE_HEADERS,
        ],
        responses={
            200: PublicQuestionSerializer(many=True),
            304: OpenApiResponse(
                description="Not modified: the answer held under a tag of `If-None-Match` is "
                "current (no body)."
            ),
            404: OpenApiResponse(description="No such product, or an invalid page"),
        },
        summary="A product's answered public questions, newest activity first",
    )
    def get(self, request: Request, product_id: str) -> HttpResponseBase:
        version = selectors.public_questions_version(path_id(product_id))
        if version is None:
            raise NotFound()
        etag = public_questions_etag(version, request.build_absolute_uri())
        response = get_conditional_response(request._request, etag=etag)
        if response is None:
            paginator = self.pagination_class()
            page = paginator.paginate_queryset(
                selectors.public_question_list(
                    product_id=version.product_id, datasource_id=version.datasource_id
                ),
                request,
                view=self,
            )
            assert page is not None
            response = paginator.get_paginated_response(
                PublicQuestionSerializer(page, many=True).data
            )
        response.headers["ETag"] = etag
        patch_cache_control(response, public=True, max_age=settings.PARLEY_PUBLIC_QUESTIONS_MAX_AGE)
        return mark_language_independent(response)
