"""The one-query paginator reads a page and its total together, and errs as Django does."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger

from parley.core.pagination import MAX_OFFSET, OneQueryPaginator


class Listing:
    """Rows 0..total-1; records what the paginator asked for."""

    ordered = True

    def __init__(self, total):
        self.total = total
        self.calls = []

    def page_with_total(self, start, stop):
        self.calls.append(("page_with_total", start, stop))
        rows = list(range(start, min(stop, self.total)))
        return (rows, self.total) if rows else None

    def count(self):
        self.calls.append(("count",))
        return self.total

    def __len__(self):
        return self.count()

    def __getitem__(self, key):
        self.calls.append(("slice", key.start, key.stop))
        return list(range(self.total))[key]

    def __iter__(self):
        self.calls.append(("iter",))
        return iter(range(self.total))


def test_a_page_and_its_total_come_from_one_read():
    listing = Listing(45)
    page = OneQueryPaginator(listing, 20).page("2")
    assert list(page) == list(range(20, 40))
    assert (page.paginator.count, page.paginator.num_pages) == (45, 3)
    assert (page.has_next(), page.has_previous()) == (True, True)
    assert listing.calls == [("page_with_total", 20, 40)]


def test_the_last_page_is_short_and_knows_it_is_last():
    listing = Listing(45)
    page = OneQueryPaginator(listing, 20).page(3)
    assert list(page) == [40, 41, 42, 43, 44]
    assert page.has_next() is False


def test_an_empty_page_falls_back_to_counting():
    listing = Listing(45)
    with pytest.raises(EmptyPage):
        OneQueryPaginator(listing, 20).page(4)
    assert listing.calls == [("page_with_total", 60, 80), ("count",)]


def test_an_empty_listing_still_has_its_empty_first_page():
    page = OneQueryPaginator(Listing(0), 20).page(1)
    assert list(page) == [] and page.paginator.count == 0


@pytest.mark.parametrize("number", ["x", "1.5", None, 2.5])
def test_a_page_that_is_not_a_number_is_refused(number):
    with pytest.raises(PageNotAnInteger):
        OneQueryPaginator(Listing(45), 20).page(number)


@pytest.mark.parametrize("number", [0, -1, MAX_OFFSET, 10**20])
def test_a_page_below_one_or_absurdly_far_is_refused_without_reading_it(number):
    listing = Listing(45)
    with pytest.raises(EmptyPage):
        OneQueryPaginator(listing, 20).page(number)
    assert ("page_with_total",) not in [call[:1] for call in listing.calls]


def test_a_list_without_the_one_query_read_is_paginated_as_django_does():
    rows = list(range(45))
    page = OneQueryPaginator(rows, 20).page(2)
    assert list(page) == rows[20:40] and page.paginator.count == 45
