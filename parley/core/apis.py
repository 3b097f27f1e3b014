"""Plumbing that every API view shares: the id in a path, a paginated answer."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.core.pagination import PageLimitPagination
from parley.core.validators import MAX_ID


def path_id(raw: str) -> int:
    """An id from the path: any segment reaches the view (`<str:...>` routes), so a malformed
    or absurd one is a JSON 404 rather than a database error."""
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
        raise NotFound()
    return int(raw)


def paginated_response(
    request: Request,
    view: APIView,
    object_list: Any,
    render: Callable[[list[Any]], Any],
) -> Response:
    """`?page=N&limit=M` of `object_list` (a queryset, or anything with `count()` and slices
    such as `parley.conversations.pages.ConversationPageQuery`), the page rendered by `render`,
    in the paginated shape of API.md §1. The view declares `pagination_class =
    PageLimitPagination` too, so the OpenAPI schema shows the shape and the parameters."""
    paginator = PageLimitPagination()
    page = paginator.paginate_queryset(object_list, request, view=view)
    if page is None:  # only without a page size, which PageLimitPagination always has
        raise ImproperlyConfigured("PageLimitPagination needs a page_size.")
    return paginator.get_paginated_response(render(page))
