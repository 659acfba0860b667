"""Every page from a phone to a desktop (issue 12 point 1, SPEC 10): no sideways scrolling at 360, 390, 768, 1024 and
1366 px, a header that collapses and an off-canvas services menu below the desktop width.

One browser context per width walks all the pages; the screenshots (390 and 1366 px) are for people to look at.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from billing.models import ContractType
from subscriptions.models import RenewalOption
from tests.billing.factories import ActiveSubscriptionFactory
from tests.conftest import USER_PASSWORD
from tests.subscriptions.factories import InvoiceFactory, TrialSubscriptionFactory
from tests.workspaces.factories import (
    ADMIN_PASSWORD,
    DomainWorkspaceFactory,
    MemberFactory,
    OrgUnitFactory,
    WorkGroupFactory,
    WorkspaceFactory,
)
from works_console.dates import kst_date

from .conftest import SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)

# The four widths of issue 12, and SPEC 10's narrowest screen.
WIDTHS = (360, 390, 768, 1024, 1366)
DESKTOP = 1200  # Bootstrap's xl: the header's one row and the side menu start here
SCREENSHOT_WIDTHS = (390, 1366)
LOCALES = {"en": "en-US", "ja": "ja-JP"}
# The labels this test clicks, per language (SPEC 9 names and their guide translations).
TEXTS = {
    "en": {
        "log_in": "Log in",
        "agree": "Agree to terms",
        "terms": "I agree to the terms",
        "enter": "Enter information",
        "review": "Review application",
        "submit": "Submit application",
        "start": "Start",
        "menu": "Open the services menu",
        "settings": "Show the header settings",
        "my_product": "My Product",
    },
    "ja": {
        "log_in": "ログイン",
        "agree": "約款同意",
        "terms": "約款に同意します",
        "enter": "情報入力",
        "review": "申込内容の確認",
        "submit": "最終申込",
        "start": "始める",
        "menu": "サービスメニューを開く",
        "settings": "ヘッダーの設定を表示",
        "my_product": "My Product",
    },
}


def _scrolls_sideways(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


class Walk:
    """Visits pages at one width, recording every page that scrolls sideways."""

    def __init__(self, page: Page, *, width: int, language: str) -> None:
        self.page = page
        self.width = width
        self.language = language
        self.overflowing: list[str] = []

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        if _scrolls_sideways(self.page):
            self.overflowing.append(f"{name} ({self.page.url}) at {self.width} px")
        if self.width in SCREENSHOT_WIDTHS:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            path = SCREENSHOTS / f"responsive-{self.language}-{self.width}-{name}.png"
            self.page.screenshot(path=str(path), full_page=True)

    def visit(self, name: str, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        self.check(name)


def _data():
    """A customer with a group trial, a Unicode domain trial and an annual contract with invoices; the trial's
    workspace is set up with members, units and groups for the NAVER WORKS Admin pages."""
    today = kst_date(timezone.now())
    workspace = WorkspaceFactory(
        name="seoul-trading-team",
        company_name="Seoul Trading Company International Holdings",
        company_set_up_at=timezone.now(),
    )
    trial = TrialSubscriptionFactory(workspace=workspace, applied_on=today - timedelta(days=3))
    customer = trial.customer
    customer.set_password(USER_PASSWORD)
    customer.email = "a.rather.long.customer.address@example-company.co.kr"
    customer.save()
    TrialSubscriptionFactory(
        customer=customer, workspace=DomainWorkspaceFactory(name="xn--r8jz45g.jp"), applied_on=today - timedelta(1)
    )
    paid_start = today - timedelta(days=70)
    annual = ActiveSubscriptionFactory(
        customer=customer,
        applied_on=paid_start - timedelta(days=10),
        paid_start=paid_start,
        contract_type=ContractType.ANNUAL,
        renewal_option=RenewalOption.RENEW_ANNUAL,
        renewal_licences=8,
    )
    invoice = InvoiceFactory(subscription=annual, period_start=paid_start, period_end=paid_start + timedelta(29))
    sales = OrgUnitFactory(workspace=workspace, name="Sales and Business Development")
    OrgUnitFactory(workspace=workspace, name="Seoul office", parent=sales)
    members = [
        MemberFactory(workspace=workspace, login_id=f"member.with.a.long.id{n}", name=f"Kim Jiwoo {n}", org_unit=sales)
        for n in range(3)
    ]
    WorkGroupFactory(workspace=workspace, name="Quarterly planning group", members=members)
    return customer, trial, annual, invoice


def _walk(page: Page, walk: Walk, *, customer, trial, annual, invoice, texts: dict) -> None:
    # Signed out: the login and sign-up pages
    walk.visit("login", "/accounts/login/")
    walk.visit("signup", "/accounts/signup/")
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(customer.email)
    page.locator("#id_password").fill(USER_PASSWORD)
    page.get_by_role("button", name=texts["log_in"], exact=True).click()
    walk.check("my-product")

    # The menu: a side column on a desktop, an off-canvas panel opened from the header below it
    menu_link = page.locator("#console-menu").get_by_role("link", name=texts["my_product"], exact=True)
    region = page.locator("#shell-region")
    if walk.width >= DESKTOP:
        expect(menu_link).to_be_visible()
        expect(region).to_be_visible()
    else:
        expect(menu_link).to_be_hidden()
        expect(region).to_be_hidden()
        page.get_by_role("button", name=texts["menu"], exact=True).click()
        expect(menu_link).to_be_visible()
        walk.check("menu-open")
        # Keyboard: the open panel holds the focus, and Escape closes it
        # (a locator, not wait_for_function: the CSP refuses the string evaluation that one compiles)
        expect(page.locator("#console-menu:focus, #console-menu :focus")).to_have_count(1)
        page.keyboard.press("Escape")
        expect(menu_link).to_be_hidden()
        page.get_by_role("button", name=texts["settings"], exact=True).click()
        expect(region).to_be_visible()
        walk.check("header-open")

    for name, url in [
        ("invoices", "/billing/invoices/"),
        ("invoice", f"/billing/invoices/{invoice.public_id}/"),
        ("profile", "/accounts/profile/"),
        ("password", "/accounts/password/"),
        ("convert", f"/naver-works/my-product/{trial.public_id}/convert/"),
        ("upgrade", f"/naver-works/my-product/{trial.public_id}/upgrade/"),
        ("renewal", f"/naver-works/my-product/{annual.public_id}/renewal/"),
        ("licences", f"/naver-works/my-product/{annual.public_id}/licences/"),
        ("cancel", f"/naver-works/my-product/{annual.public_id}/cancel/"),
    ]:
        walk.visit(name, url)

    # The wizard, step by step
    walk.visit("apply-1", "/naver-works/my-product/apply/")
    page.get_by_role("radio", name="Premium", exact=True).check()
    page.get_by_role("button", name=texts["agree"], exact=True).click()
    walk.check("apply-2")
    page.get_by_label(texts["terms"], exact=True).check()
    page.get_by_role("button", name=texts["enter"], exact=True).click()
    walk.check("apply-3")
    page.locator("[data-name-field=group] input").fill(f"width-{walk.width}-{walk.language}")
    page.locator("input[name$=admin_id]").fill("admin")
    page.locator("input[name$=admin_password]").fill(ADMIN_PASSWORD)
    page.locator("input[name$=admin_password_confirmation]").fill(ADMIN_PASSWORD)
    page.locator("input[name$=company_name]").fill("Acme Korea")
    # A Korean number: its country is chosen beside it (the Japanese UI defaults to Japan).
    page.locator("select[name$=company_phone_country]").select_option("KR")
    page.locator("input[name$=company_phone]").fill("+82 2-555-0199")
    page.get_by_role("button", name=texts["review"], exact=True).click()
    walk.check("apply-4")
    page.get_by_role("button", name=texts["submit"], exact=True).click()
    walk.check("apply-5")

    # NAVER WORKS Admin
    walk.visit("works-login", "/works/login/")
    page.locator("#id_account_id").fill(trial.admin_account_id)
    page.locator("#id_password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name=texts["start"], exact=True).click()
    walk.check("works-home")
    walk.visit("works-company", "/works/company/")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_no_page_scrolls_sideways_at_any_width(browser, live_server, language):
    customer, trial, annual, invoice = _data()
    overflowing = []
    for width in WIDTHS:
        context = browser.new_context(
            base_url=live_server.url, locale=LOCALES[language], viewport={"width": width, "height": 900}
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        walk = Walk(page, width=width, language=language)
        try:
            _walk(page, walk, customer=customer, trial=trial, annual=annual, invoice=invoice, texts=TEXTS[language])
        finally:
            context.close()
        overflowing += walk.overflowing
    assert overflowing == []
