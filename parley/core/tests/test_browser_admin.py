"""Staff sign in to the admin in a real browser (headless Chromium, pytest-django's live server).

Also the example of the shared `browser`/`page` fixtures (parley/core/tests/browser.py) with the
test database: the ORM calls here run beside Playwright's event loop.
"""

from typing import Any

import pytest
from playwright.sync_api import Page

from parley.accounts.tests.factories import PASSWORD, UserFactory

# Django's admin stylesheet paints the header in its primary colour; unstyled, it is transparent.
UNSTYLED = "rgba(0, 0, 0, 0)"


@pytest.mark.django_db(transaction=True)
def test_staff_sign_in_to_the_styled_admin(live_server: Any, page: Page) -> None:
    staff = UserFactory.create(email="staff@example.com", is_staff=True, is_superuser=True)

    page.goto(f"{live_server.url}/admin/")
    assert page.url == f"{live_server.url}/admin/login/?next=/admin/"
    page.fill("#id_username", staff.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.wait_for_url(f"{live_server.url}/admin/")
    assert page.locator("#site-name").inner_text() == "Django administration"
    assert page.get_by_role("link", name="Contact requests").count() == 1
    header = page.evaluate("getComputedStyle(document.querySelector('#header')).backgroundColor")
    assert header != UNSTYLED
    staff.refresh_from_db()
    assert staff.last_login is not None
