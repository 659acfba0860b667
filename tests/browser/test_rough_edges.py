"""The customer's rough edges of issue 20, mended, in Chromium: the empty-state illustration under the CSP.

The `page` fixture fails a test on any Content-Security-Policy report Chromium logs.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.accounts.factories import UserFactory
from tests.conftest import USER_PASSWORD
from tests.subscriptions.factories import TrialSubscriptionFactory

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


@pytest.mark.parametrize("width", [390, 1366])
def test_my_product_points_to_the_platform_that_holds_the_subscriptions(page, width):
    first = TrialSubscriptionFactory(platform="VPC")
    second = TrialSubscriptionFactory(customer=first.customer, platform="VPC")
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, first.customer.email)

    if width < 1200:  # the header's selectors sit behind the ⋮ toggler below the desktop width
        page.get_by_role("button", name="Show the header settings").click()
    page.get_by_label("Platform", exact=True).select_option(label="Classic")
    expect(
        page.get_by_role("heading", name="You have no NAVER WORKS subscription under Platform Classic")
    ).to_be_visible()
    expect(page.get_by_text("You have 2 subscriptions under Platform VPC.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")

    page.get_by_role("button", name="Switch to VPC", exact=True).click()
    expect(page.locator(f"#subscription-{first.public_id}")).to_be_visible()
    expect(page.locator(f"#subscription-{second.public_id}")).to_be_visible()
    expect(page.get_by_label("Platform", exact=True)).to_have_value("VPC")
    expect(page.get_by_text("under Platform")).to_have_count(0)
