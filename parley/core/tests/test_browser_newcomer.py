"""What a newcomer sees after `make run`: the styled admin and working API docs, in a real
headless Chromium, served by the embedded server itself (waitress, DEBUG off, static files by
WhiteNoise), started as `make run` starts it."""

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response

from parley.core.tests.servers import RunningServer, embedded_server

# Django's admin stylesheet paints the header in its primary colour; unstyled, it is transparent.
UNSTYLED = "rgba(0, 0, 0, 0)"


@pytest.fixture(scope="module")
def newcomer(
    migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    with embedded_server(migrated_sqlite, tmp_path_factory.mktemp("newcomer")) as server:
        yield server


@pytest.fixture
def broken_loads(page: Page) -> list[str]:
    """Every asset the page asked for that did not arrive."""
    broken: list[str] = []

    def judge(response: Response) -> None:
        if response.status >= 400:
            broken.append(f"{response.status} {response.url}")

    page.on("response", judge)
    page.on("requestfailed", lambda request: broken.append(f"failed {request.url}"))
    return broken


def test_the_admin_is_styled(newcomer: RunningServer, page: Page, broken_loads: list[str]) -> None:
    page.goto(f"{newcomer.base}/admin/")

    assert page.url == f"{newcomer.base}/admin/login/?next=/admin/"
    stylesheets = page.eval_on_selector_all(
        "link[rel=stylesheet]", "links => links.map(link => link.sheet !== null)"
    )
    assert stylesheets and all(stylesheets)
    header = page.evaluate("getComputedStyle(document.querySelector('#header')).backgroundColor")
    assert header != UNSTYLED
    # The login box is the stylesheet's narrow centred column, not the full-width default.
    box = page.locator("#container").bounding_box()
    assert box is not None and box["width"] < page.viewport_size["width"] / 2  # type: ignore[index]
    assert broken_loads == []


def test_the_api_docs_show_every_operation(
    newcomer: RunningServer, page: Page, broken_loads: list[str]
) -> None:
    with urllib.request.urlopen(f"{newcomer.base}/api/schema/?format=json", timeout=10) as answer:
        schema = json.load(answer)
    expected = sorted(
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    )

    page.goto(f"{newcomer.base}/api/docs/")
    page.wait_for_selector(".opblock-summary")

    assert page.locator(".info .title").inner_text().startswith("Parley API")
    shown = page.eval_on_selector_all(
        ".opblock-summary",
        """summaries => summaries.map(summary =>
            summary.querySelector('.opblock-summary-method').textContent + ' ' +
            summary.querySelector('.opblock-summary-path').dataset.path)""",
    )
    assert sorted(shown) == expected
    assert len(expected) > 10
    assert broken_loads == []
