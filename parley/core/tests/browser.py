"""A real headless Chromium for the tests that need a browser (the root conftest loads this).

`browser` launches Debian's `chromium` (`shutil.which("chromium")`; `playwright install` cannot
download here, and CI installs the package in `.ci/run`) once per test module; `page` is a
fresh page in a fresh context (no cookies) for each test. Use them against a server that runs
in its own thread or process: pytest-django's `live_server`, or a real server process.

Playwright's synchronous API runs an asyncio event loop on the calling thread while it is
started, and Django refuses ORM calls from a thread with a running loop
(SynchronousOnlyOperation). The tests' own ORM calls (factories, assertions, the
`live_server` flush) are ordinary synchronous code that merely shares the thread, so while the
browser is up `DJANGO_ALLOW_ASYNC_UNSAFE` is set; it is removed again when the browser stops
at the end of the module. Keep browser tests in modules of their own, so that no other test
runs while the loop is up.
"""

import os
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        # Never a skip: a missing browser would silently drop every browser test from CI.
        pytest.fail("chromium is not installed: apt-get install -y chromium (.ci/run does)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
