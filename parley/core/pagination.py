from rest_framework.pagination import PageNumberPagination


class PageLimitPagination(PageNumberPagination):
    """`?page=N&limit=M` as the storefront sends it.

    DRF already gives the contract's edge cases: a non-numeric or non-positive `limit` means
    the default, one above the maximum is clamped, and a bad `page` is `404 Invalid page.`.
    """

    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100
