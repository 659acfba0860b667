"""The customer's rough edges of issue 20, mended, in Chromium: the empty-state illustration under the CSP, the
other Platform's subscriptions on My Product, the group rename checked before it is confirmed (with and without
JavaScript), and step 3's account ID preview.

The `page` fixture fails a test on any Content-Security-Policy report Chromium logs.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from billing.catalog import ensure_catalog
from subscriptions.models import Subscription
from tests.accounts.factories import UserFactory
from tests.conftest import USER_PASSWORD
from tests.subscriptions.factories import TrialSubscriptionFactory
from tests.workspaces.factories import ADMIN_PASSWORD
from workspaces.models import Workspace

from .conftest import _record_violation
from .test_paid_journeys import log_in

pytestmark = pytest.mark.django_db(transaction=True)


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


def _works_admin_home(page: Page) -> Subscription:
    """A trial whose company info is set up, its admin logged in to NAVER WORKS Admin's home."""
    subscription = TrialSubscriptionFactory(workspace__name="seoul-team")
    Workspace.objects.filter(pk=subscription.workspace_id).update(company_set_up_at=timezone.now())
    page.goto("/works/login/")
    page.get_by_label("Account ID").fill("admin@seoul-team")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_label("New group name")).to_be_visible()
    return subscription


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_the_group_rename_checks_the_name_first_then_asks_naming_it(browser, live_server, javascript):
    ensure_catalog()
    context = browser.new_context(base_url=live_server.url, locale="en-US", java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    page = context.new_page()
    violations = []
    page.on("console", lambda message: _record_violation(violations, message.text))
    subscription = _works_admin_home(page)
    field = page.get_by_label("New group name")

    # A name the rules refuse: the field says so, nothing is asked
    field.fill("Bad--Name")
    page.get_by_role("button", name="Change group name", exact=True).click()
    expect(page.get_by_text("A group name must be in lowercase: uppercase letters are not allowed.")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("heading", name="Rename to Bad--Name?")).to_have_count(0)
    expect(field).to_have_value("Bad--Name")

    # A good name: asked, naming it (a modal with JavaScript, a page without)
    page.get_by_label("New group name").fill("busan-team")
    page.get_by_role("button", name="Change group name", exact=True).click()
    question = page.get_by_role("dialog") if javascript else page.locator("main")
    expect(question.get_by_role("heading", name="Rename to busan-team?")).to_be_visible()
    expect(question.get_by_text("You cannot change it again for 24 hours.")).to_be_visible()
    assert Workspace.objects.get(pk=subscription.workspace_id).name == "seoul-team"
    question.get_by_role("button", name="Change group name", exact=True).click()

    expect(page.get_by_text("The group name is now busan-team. Your account ID is admin@busan-team.")).to_be_visible()
    assert Workspace.objects.get(pk=subscription.workspace_id).name == "busan-team"
    context.close()
    assert violations == []


def test_step_3_previews_only_a_true_account_id(page):
    customer = UserFactory(password=USER_PASSWORD)
    log_in(page, customer.email)
    page.get_by_role("button", name="Apply for product", exact=True).click()
    page.get_by_role("radio", name="Basic", exact=True).check()
    page.get_by_role("button", name="Agree to terms", exact=True).click()
    page.get_by_label("I agree to the terms", exact=True).check()
    page.get_by_role("button", name="Enter information", exact=True).click()
    preview = page.locator("[data-account-id-preview]")
    expect(preview).to_have_text("ID@group")

    # What the fields refuse is never shown as an account ID
    page.get_by_label("Group name", exact=True).fill("AB")
    page.get_by_label("Admin ID", exact=True).fill("Admin!")
    expect(preview.locator("[data-account-id=placeholder]")).to_have_text("ID@group")
    page.get_by_label("Group name", exact=True).fill("ab")
    expect(preview.locator("[data-account-id=placeholder]")).to_have_text("ID@group")
    assert "Admin!@" not in page.locator("main").inner_text()

    # Both valid: the true ID
    page.get_by_label("Admin ID", exact=True).fill("admin")
    expect(preview.locator("[data-account-id=true]")).to_have_text("admin@ab")
    page.get_by_label("Group name", exact=True).fill("a--b")
    expect(preview.locator("[data-account-id=placeholder]")).to_have_text("ID@group")

    # A domain, as people write it once it is valid
    page.get_by_role("radio", name="Use domain name", exact=True).check()
    expect(preview.locator("[data-account-id=placeholder]")).to_have_text("ID@domain")
    page.get_by_label("Domain name", exact=True).fill("Acme.한국")
    expect(preview.locator("[data-account-id=true]")).to_have_text("admin@acme.한국")
