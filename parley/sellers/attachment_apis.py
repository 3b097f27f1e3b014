"""Message attachments (API.md §8) where a seller takes part: the seller's upload (token) and
the download of any attachment (`GET /attachments/<id>/`), which authorises the customer
(session), the seller (token, or an inbox member's session) and staff. It lives here, above
conversations, because seller tokens and inbox memberships are this app's."""

import contextlib
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage, storages
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.conversations.apis import ATTACHMENT_UPLOAD_RESPONSES, attachment_upload_answer
from parley.conversations.models import Attachment
from parley.conversations.selectors import AttachmentCaller, attachment_get_for_download
from parley.conversations.serializers import (
    AttachmentUploadSerializer,
)
from parley.core.authentication import CsrfSessionAuthentication
from parley.core.idempotency import idempotent
from parley.core.throttles import AttachmentUploadThrottle, SellerThrottle
from parley.sellers import selectors
from parley.sellers.authentication import (
    SellerApiMixin,
    SellerPrincipal,
    SellerTokenAuthentication,
    request_seller,
)

# Images a browser may show in place; everything else is offered as a download.
INLINE_TYPES = ("image/jpeg", "image/png", "image/webp")
# What a download can be: the message kinds (parley.conversations.services.ATTACHMENT_KINDS).
DOWNLOAD_TYPES = (*INLINE_TYPES, "application/pdf")


class SellerAttachmentUploadApi(SellerApiMixin, APIView):
    """`POST /seller/conversations/attachments/`: the seller uploads a file to link to one of
    its answers later (the inbox's reply form uploads through the same service)."""

    throttle_classes = [SellerThrottle, AttachmentUploadThrottle]

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses=ATTACHMENT_UPLOAD_RESPONSES,
        summary="Upload a file to attach to one of the seller's answers",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        return attachment_upload_answer(request, datasource_id=request_seller(request).pk)


def _caller(request: Request) -> AttachmentCaller:
    principal: Any = request.user
    if isinstance(principal, SellerPrincipal):
        return AttachmentCaller(datasource_ids=frozenset({principal.datasource.pk}))
    if principal is None or not principal.is_authenticated:
        return AttachmentCaller()
    memberships = selectors.membership_list_for_user(principal)
    return AttachmentCaller(
        user_id=principal.pk,
        datasource_ids=frozenset(membership.datasource_id for membership in memberships),
        is_staff=bool(principal.is_staff),
    )


def _disposition(attachment: Attachment) -> str:
    kind = "inline" if attachment.content_type in INLINE_TYPES else "attachment"
    fallback = (
        attachment.name.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
        or "attachment"
    )
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(attachment.name)}"


def _protect(response: HttpResponse | FileResponse) -> Any:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _on_s3() -> bool:
    """Files on S3 (django-storages) are handed out as a short presigned URL."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is a dependency
        return False
    return isinstance(storages["default"], S3Storage)


class AttachmentDownloadApi(APIView):
    """`GET /attachments/<id>/`: checked on every request, 404 for anyone the file is not
    for (`attachment_get_for_download`)."""

    authentication_classes = [SellerTokenAuthentication, CsrfSessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [SellerThrottle]

    def perform_authentication(self, request: Request) -> None:
        # A token that does not authenticate makes the caller nobody (DRF has already set the
        # anonymous user), who gets the same 404 as anyone else: the download's answer never
        # says whether a file exists.
        with contextlib.suppress(AuthenticationFailed):
            super().perform_authentication(request)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The answer is a file (or a JSON error): what the client accepts does not change it.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        responses={
            **{
                (200, content_type): OpenApiResponse(
                    response=OpenApiTypes.BINARY,
                    description="The file (images may be inline); nosniff, sandboxed, not cached",
                )
                for content_type in DOWNLOAD_TYPES
            },
            302: OpenApiResponse(
                description="With S3 storage: a presigned URL of at most 300 seconds"
            ),
            404: OpenApiResponse(description="No such file for this caller"),
        },
        summary="Download an attachment",
    )
    def get(self, request: Request, attachment_id: str) -> Any:
        attachment = attachment_get_for_download(public_id=attachment_id, caller=_caller(request))
        name = str(attachment.file.name)
        if _on_s3():
            storage: Any = default_storage  # an S3Storage: its url() presigns
            url = storage.url(
                name,
                parameters={
                    "ResponseContentDisposition": _disposition(attachment),
                    "ResponseContentType": attachment.content_type,
                    "ResponseCacheControl": "private, no-store",
                },
                expire=settings.PARLEY_ATTACHMENT_URL_SECONDS,
            )
            return _protect(HttpResponseRedirect(url))
        response = FileResponse(
            default_storage.open(name, "rb"), content_type=attachment.content_type
        )
        response["Content-Disposition"] = _disposition(attachment)
        return _protect(response)
