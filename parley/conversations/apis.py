import hashlib
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from parley.accounts.models import User, UserType
from parley.conversations import pages, selectors, services
from parley.conversations.models import (
    MESSAGE_MAX_LENGTH,
    ConversationType,
    ItemContent,
    WriterType,
)
from parley.conversations.serializers import (
    AttachmentIdListField,
    AttachmentOutputSerializer,
    AttachmentUploadSerializer,
    ConversationAttachmentSerializer,
    ConversationFilterSerializer,
    ConversationOutputSerializer,
    PublicQuestionSerializer,
    ReadInputSerializer,
    ReadReceiptsOutputSerializer,
    ReadStateOutputSerializer,
    SimilarQuestionSerializer,
    UnreadSummaryOutputSerializer,
    attachment_render,
    read_state_render,
)
from parley.core.apis import paginated_response, path_id
from parley.core.idempotency import idempotent
from parley.core.middleware import mark_language_independent
from parley.core.pagination import PageLimitPagination
from parley.core.renderers import OrjsonRenderer
from parley.core.schema import BAD_REQUEST, SchemaPrecision
from parley.core.throttles import (
    AttachmentUploadThrottle,
    ConversationCreateThrottle,
    SimilarQuestionsThrottle,
)
from parley.core.validators import IdField, SingleLineField, TextField, given_fields

# With `conversation`, these belong to the conversation: ignored in the request, not validated.
CONVERSATION_OWN_FIELDS = ("subject", "is_public", "item_content", "item_id")
OPTIONAL_FIELDS = ("conversation", *CONVERSATION_OWN_FIELDS)


def _absent(name: str) -> dict[str, Any]:
    """JSON Schema: the optional body field `name` is missing, empty or null."""
    return {
        "anyOf": [
            {"not": {"required": [name]}},
            {"properties": {name: {"type": "string", "maxLength": 0, "nullable": True}}},
        ]
    }


def _given(name: str) -> dict[str, Any]:
    """JSON Schema: the body field `name` is present, neither empty nor null."""
    return {"required": [name], "properties": {name: {"not": {"enum": ["", None]}}}}


ALREADY_EXISTS = {
    "type": "array",
    "items": {"type": "string", "enum": ["Conversation already exists"]},
}


def listing_filters(request: Request) -> Mapping[str, Any]:
    """The validated listing filters. With none given (the usual page) the serializer's DRF
    field machinery is skipped: its answer would be `{}` (figures: docs/PERFORMANCE.md)."""
    params = request.query_params
    if not any(params.get(name) for name in FILTER_NAMES):
        return {}
    filters = ConversationFilterSerializer(data=params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data


FILTER_NAMES = tuple(ConversationFilterSerializer().fields)


class ConversationListCreateApi(APIView):
    # Declared so the OpenAPI schema shows the paginated object and page/limit.
    pagination_class = PageLimitPagination
    permission_classes = [IsAuthenticated]
    renderer_classes = [OrjsonRenderer]

    class ConversationMessageInputSerializer(SchemaPrecision, serializers.Serializer):
        absent_when_empty = absent_when_null = (*OPTIONAL_FIELDS, "attachments")
        # `item_content` and `item_id` go together, unless `conversation` names the
        # conversation (whose own item then holds: the request's item fields are ignored).
        schema_extra = {
            "allOf": [
                {"anyOf": [_absent(one), _given("conversation"), _given(other)]}
                for one, other in (("item_id", "item_content"), ("item_content", "item_id"))
            ]
        }

        conversation_type = serializers.ChoiceField(choices=ConversationType.choices)
        user = IdField(help_text="Your own id (`pk` of `GET /current_user/`); any other is 400.")
        user_type = serializers.ChoiceField(choices=UserType.choices)
        message_content = TextField(max_length=MESSAGE_MAX_LENGTH)
        datasource = IdField()
        content_type = serializers.ChoiceField(choices=WriterType.choices)
        content_id = IdField(help_text="Your own id, as `user`; any other is 400.")
        is_public = serializers.BooleanField(required=False, default=False)
        subject = SingleLineField(max_length=255, required=False, allow_blank=True)
        conversation = IdField(required=False)
        item_content = serializers.ChoiceField(choices=ItemContent.choices, required=False)
        item_id = IdField(required=False)
        attachments = AttachmentIdListField()

        def to_internal_value(self, data: Any) -> Any:
            if isinstance(data, Mapping):
                data = given_fields(data, self.fields, optional=self.absent_when_empty)
                if "conversation" in data:
                    for name in CONVERSATION_OWN_FIELDS:
                        data.pop(name, None)
            return super().to_internal_value(data)

    CreatedSerializer = inline_serializer(
        "ConversationMessageCreated",
        {
            "id": serializers.IntegerField(),
            "datasource": serializers.IntegerField(),
            "user": serializers.IntegerField(),
            "subject": serializers.CharField(allow_null=True),
            "item_content": serializers.ChoiceField(choices=ItemContent.choices, allow_null=True),
            "is_public": serializers.BooleanField(),
            "item_id": serializers.IntegerField(allow_null=True),
            "conversation_type": serializers.ChoiceField(choices=ConversationType.choices),
            "message_content": serializers.CharField(),
            "user_type": serializers.ChoiceField(choices=UserType.choices),
            "content_id": serializers.IntegerField(),
            "content_type": serializers.ChoiceField(choices=WriterType.choices),
        },
    )

    def get_throttles(self) -> list[BaseThrottle]:
        if self.request.method == "POST":
            return [ConversationCreateThrottle()]
        return []

    @extend_schema(
        parameters=[ConversationFilterSerializer],
        responses={
            200: ConversationOutputSerializer(many=True),
            400: OpenApiResponse(description="A filter of the wrong form, named"),
        },
        summary="The logged-in user's conversations, newest activity first",
    )
    def get(self, request: Request) -> Response:
        conversations = pages.conversation_list_for_user(request.user, listing_filters(request))
        return paginated_response(request, self, conversations, pages.conversation_page_render)

    @extend_schema(
        request=ConversationMessageInputSerializer,
        responses={
            201: CreatedSerializer,
            400: OpenApiResponse(
                response={"anyOf": [*BAD_REQUEST["anyOf"], ALREADY_EXISTS]},
                description='Field errors, or exactly `["Conversation already exists"]`',
            ),
        },
        summary="Open a conversation with a seller, or write into one of your own",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = self.ConversationMessageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        assert isinstance(request.user, User)
        message = services.customer_message_send(
            user=request.user,
            conversation_type=data["conversation_type"],
            user_id=data["user"],
            user_type=data["user_type"],
            content_type=data["content_type"],
            content_id=data["content_id"],
            datasource_id=data["datasource"],
            message_content=data["message_content"],
            conversation_id=data.get("conversation"),
            subject=data.get("subject") or None,
            is_public=data["is_public"],
            item_content=data.get("item_content"),
            item_id=data.get("item_id"),
            attachments=data.get("attachments") or (),
        )
        conversation = message.conversation
        return Response(
            {
                "id": conversation.pk,
                "datasource": conversation.datasource_id,
                "user": conversation.user_id,
                "subject": conversation.subject,
                "item_content": conversation.item_content,
                "is_public": conversation.is_public,
                "item_id": conversation.item_id,
                "conversation_type": conversation.conversation_type,
                "message_content": message.message_content,
                "user_type": message.user_type,
                "content_id": message.content_id,
                "content_type": message.content_type,
            },
            status=status.HTTP_201_CREATED,
        )


# The two upload endpoints' answers (the seller's is in parley.sellers.attachment_apis).
ATTACHMENT_UPLOAD_RESPONSES = {
    201: AttachmentOutputSerializer,
    400: OpenApiResponse(description="No file, or not an allowed file, named `file`"),
    413: OpenApiResponse(description="A body over its cap"),
}


def attachment_upload_answer(
    request: Request, *, user_id: int | None = None, datasource_id: int | None = None
) -> Response:
    """Validate the multipart `file`, store it as the caller's upload, answer `201`."""
    serializer = AttachmentUploadSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    attachment = services.attachment_upload(
        upload=serializer.validated_data["file"], user_id=user_id, datasource_id=datasource_id
    )
    return Response(attachment_render(attachment), status=status.HTTP_201_CREATED)


class AttachmentUploadApi(APIView):
    """`POST /users/conversations/attachments/` (API.md §8): the customer uploads a file to
    link to a message of theirs later. Session and CSRF; throttled as `attachment_upload`."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [AttachmentUploadThrottle]

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses=ATTACHMENT_UPLOAD_RESPONSES,
        summary="Upload a file to attach to one of your messages",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        return attachment_upload_answer(request, user_id=request.user.pk)


class ConversationAttachmentListApi(APIView):
    """`GET /users/conversations/<id>/attachments/`: the files of the visible messages."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [OrjsonRenderer]

    @extend_schema(
        responses={
            200: ConversationAttachmentSerializer(many=True),
            404: OpenApiResponse(description="Not one of the user's conversations"),
        },
        summary="The files of one of your conversations' messages",
    )
    def get(self, request: Request, conversation_id: str) -> Response:
        assert isinstance(request.user, User)
        found = selectors.attachment_list_for_customer(
            user_id=request.user.pk, conversation_id=path_id(conversation_id)
        )
        return Response(
            [
                {**attachment_render(attachment), "message": attachment.message_id}
                for attachment in found
            ]
        )


class ConversationDetailApi(APIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [OrjsonRenderer]

    @extend_schema(
        responses={
            200: ConversationOutputSerializer,
            404: OpenApiResponse(description="Not one of the user's conversations"),
        },
        summary="One of the logged-in user's conversations",
    )
    def get(self, request: Request, conversation_id: str) -> Response:
        return Response(pages.conversation_get_for_user(request.user, path_id(conversation_id)))


# The caching headers of the public questions' answers.
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


# Part of every public-questions tag: bump it when the answer's shape or rendering changes, so
# that no cache keeps a body of the old form under a tag that still matches.
PUBLIC_QUESTIONS_FORMAT = "1"


def public_questions_etag(version: pages.PublicQuestionsVersion, url: str) -> str:
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
        version = pages.public_questions_version(path_id(product_id))
        if version is None:
            raise NotFound()
        etag = public_questions_etag(version, request.build_absolute_uri())
        response = get_conditional_response(request._request, etag=etag)
        if response is None:
            questions = pages.public_question_list(
                product_id=version.product_id, datasource_id=version.datasource_id
            )
            response = paginated_response(
                request, self, questions, pages.public_question_page_render
            )
        response.headers["ETag"] = etag
        patch_cache_control(response, public=True, max_age=settings.PARLEY_PUBLIC_QUESTIONS_MAX_AGE)
        return mark_language_independent(response)


class ProductQuestionSimilarApi(APIView):
    """`GET /products/<pk>/questions/similar/?q=...` (API.md §12): before asking, the product's
    public questions that may already answer the shopper's. Public like the list: no login, no
    session read; throttled per client, since every call runs the model once."""

    authentication_classes: list[type] = []
    throttle_classes = [SimilarQuestionsThrottle]

    class QuerySerializer(serializers.Serializer):
        q = serializers.CharField(
            min_length=3, max_length=500, help_text="The shopper's text, 3 to 500 characters."
        )

    @extend_schema(
        parameters=[QuerySerializer],
        responses={
            200: inline_serializer(
                "SimilarQuestions", {"results": SimilarQuestionSerializer(many=True)}
            ),
            400: OpenApiResponse(
                response=BAD_REQUEST, description="`q` missing, or not 3 to 500 characters"
            ),
        },
        summary="Up to three of a product's public questions like the shopper's, best first",
    )
    def get(self, request: Request, product_id: str) -> Response:
        product = selectors.product_get(path_id(product_id))
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        questions = pages.public_question_similar_render(product, query.validated_data["q"])
        return Response({"results": questions})


# --- Read marks (API.md §7) -------------------------------------------------------------------
# The answers, the same for both parties; the customer's views are below, the seller's (token
# authentication, their own schema texts) in parley.sellers.apis.


def unread_summary_answer(*, column: str, owner_id: int) -> Response:
    """The badge of `column`'s owner (`user_id`, `datasource_id`): from the kept counts."""
    return Response(
        pages.unread_summary_render(pages.unread_summary(column=column, owner_id=owner_id))
    )


def read_receipts_answer(*, party: str, owner_id: int, conversation_id: str) -> Response:
    own, other = services.read_receipts_get(
        party=party, owner_id=owner_id, conversation_id=path_id(conversation_id)
    )
    return Response({"last_read_message_id": own, "counterparty_last_read_message_id": other})


def read_answer(request: Request, *, party: str, owner_id: int, conversation_id: str) -> Response:
    pk = path_id(conversation_id)
    serializer = ReadInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    state = services.conversation_read(
        party=party,
        owner_id=owner_id,
        conversation_id=pk,
        last_read_message_id=serializer.validated_data.get("last_read_message_id"),
    )
    return Response(read_state_render(state))


def unread_answer(*, party: str, owner_id: int, conversation_id: str) -> Response:
    state = services.conversation_unread(
        party=party, owner_id=owner_id, conversation_id=path_id(conversation_id)
    )
    return Response(read_state_render(state))


def customer_id(request: Request) -> int:
    """The logged-in customer's id (the views require a login)."""
    assert isinstance(request.user, User)
    return request.user.pk


class ConversationUnreadSummaryApi(APIView):
    """The storefront's message badge: read from the kept counts, one query."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [OrjsonRenderer]

    @extend_schema(
        responses={
            200: UnreadSummaryOutputSerializer,
            403: OpenApiResponse(description="Not logged in"),
        },
        summary="The logged-in user's unread conversations and messages",
    )
    def get(self, request: Request) -> Response:
        return unread_summary_answer(column="user_id", owner_id=customer_id(request))


class ConversationReadApi(APIView):
    permission_classes = [IsAuthenticated]
    # JSON only: a form or multipart body that parses to nothing would read as "no body" and
    # mark everything read (the live schema run sent one).
    parser_classes = [JSONParser]

    @extend_schema(
        responses={
            200: ReadReceiptsOutputSerializer,
            403: OpenApiResponse(description="Not logged in"),
            404: OpenApiResponse(description="Not one of the user's conversations"),
        },
        summary="Read receipts: the user's and the seller's read marks",
    )
    def get(self, request: Request, conversation_id: str) -> Response:
        return read_receipts_answer(
            party=WriterType.USER, owner_id=customer_id(request), conversation_id=conversation_id
        )

    @extend_schema(
        request=ReadInputSerializer,
        responses={
            200: ReadStateOutputSerializer,
            400: OpenApiResponse(description="Not a visible message of this conversation"),
            403: OpenApiResponse(description="Not logged in, or CSRF failed"),
            404: OpenApiResponse(description="Not one of the user's conversations"),
        },
        summary="Mark the conversation read up to a message (default: the newest)",
    )
    def post(self, request: Request, conversation_id: str) -> Response:
        return read_answer(
            request,
            party=WriterType.USER,
            owner_id=customer_id(request),
            conversation_id=conversation_id,
        )


class ConversationMarkUnreadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: ReadStateOutputSerializer,
            403: OpenApiResponse(description="Not logged in, or CSRF failed"),
            404: OpenApiResponse(description="Not one of the user's conversations"),
        },
        summary="Mark the seller's newest message unread again",
    )
    def post(self, request: Request, conversation_id: str) -> Response:
        return unread_answer(
            party=WriterType.USER, owner_id=customer_id(request), conversation_id=conversation_id
        )
