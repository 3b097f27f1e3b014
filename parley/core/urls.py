from typing import Any

from django.urls import URLPattern, path


def optional_slash(route: str, view: Any, name: str) -> list[URLPattern]:
    """The route with and without its trailing slash, one view, no redirect."""
    assert route.endswith("/"), route
    return [path(route, view, name=name), path(route[:-1], view)]
