from typing import Any

from django.core.paginator import Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView

# Past any real listing; a larger OFFSET would overflow SQLite's integers.
MAX_OFFSET = 2**31


class OneQueryPaginator(DjangoPaginator):
    """Django's paginator, which counts before it slices: two queries per page. An object
    list that can read a page with its total in one query (`page_with_total(start, stop)`,
    the conversation lists) is read that way; an empty page, or any other list, is
    paginated as Django does (and a page past the end is still `EmptyPage`)."""

    def page(self, number: Any) -> Page:
        read = getattr(self.object_list, "page_with_total", None)
        if read is None:
            return super().page(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        start = (number - 1) * self.per_page
        if number < 1 or start > MAX_OFFSET:
            return super().page(number)  # Django's error, without an absurd OFFSET in SQL
        found = read(start, start + self.per_page)
        if found is None:
            return super().page(number)
        rows, total = found
        self.__dict__["count"] = total  # the cached_property, known now
        return Page(rows, number, self)


class PageLimitPagination(PageNumberPagination):
    """`?page=N&limit=M` as the storefront sends it.

    DRF already gives the contract's edge cases: a non-numeric or non-positive `limit` means
    the default, one above the maximum is clamped, and a bad `page` is `404 Invalid page.`.
    """

    django_paginator_class = OneQueryPaginator
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100

    def paginate_queryset(
        self, queryset: Any, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        """DRF's, for any object list with `count()` and slices (not only a queryset)."""
        return super().paginate_queryset(queryset, request, view=view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """What the server really accepts (API.md §1): `page` is a positive integer or empty,
        which means "not given", as every empty optional value does (anything else is
        `404 Invalid page.`); `limit` is any value at all, a number from 1 to 100
        taken as it is, a larger one clamped, anything else meaning the default."""
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number from 1 (empty means the first page); another "
                "value, or a page past the end, is `404 Invalid page.`",
                "schema": {
                    "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "maxLength": 0}]
                },
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page, default {self.page_size}; above "
                f"{self.max_page_size} means {self.max_page_size}, and a value that is not "
                "a positive integer (`0`, `-3`, `abc`, empty) means the default.",
                # Any value at all, also repeated (the last one counts): `{}` says so.
                "schema": {
                    "anyOf": [{"type": "integer", "minimum": 1, "maximum": self.max_page_size}, {}]
                },
            },
        ]
