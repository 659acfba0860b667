"""The customer's rough edges of issue 20, mended, in Chromium: the empty-state illustration under the CSP.

The `page` fixture fails a test on any Content-Security-Policy report Chromium logs.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.accounts.factories import UserFactory
from tests.conftest import USER_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(USER_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", name="My Product")).to_be_visible()


@pytest.mark.parametrize("width", [390, 1366])
def test_empty_states_show_an_illustration_under_the_csp(page, width):
    customer = UserFactory(password=USER_PASSWORD)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, customer.email)

    for path, heading in [
        ("/naver-works/my-product/", "You have no NAVER WORKS subscription yet"),
        ("/billing/invoices/", "No invoices yet"),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        illustration = page.locator(".empty-state svg.empty-illustration")
        expect(illustration).to_be_visible()
        box = illustration.bounding_box()
        assert (box["width"], box["height"]) == (120, 88)
        # Drawn by the stylesheet's classes (an inline style would be refused): the tray is outlined
        assert illustration.locator(".empty-illustration-tray").evaluate("e => getComputedStyle(e).stroke") == (
            "rgb(174, 183, 194)"
        )
        expect(page.get_by_role("img")).to_have_count(0)  # decorative: not announced
        expect(page.get_by_text("▢")).to_have_count(0)
