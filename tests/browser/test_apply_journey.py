"""A new customer applies for NAVER WORKS in Chromium, finding every control by its SPEC 9 label."""

import re
from datetime import date

import pytest
from dateutil.relativedelta import relativedelta
from playwright.sync_api import Page, expect

from billing.catalog import ensure_catalog
from subscriptions.models import RenewalOption, Status, Subscription
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import USER_PASSWORD
from tests.subscriptions.factories import (
    ActiveSubscriptionFactory,
    ConversionReservationFactory,
    InvoiceFactory,
    ReservationFactory,
)
from workspaces.models import Member

PASSPHRASE = "a-long-enough-passphrase"


@pytest.fixture(autouse=True)
def _plan_catalog(transactional_db):
    # Committed at once (transactional test): the live server's thread reads the plans of step 1.
    ensure_catalog()


def sign_up(page: Page, email: str, *, first_name: str = "Minji", last_name: str = "Kim") -> None:
    page.goto("/accounts/signup/")
    page.locator("#id_first_name").fill(first_name)
    page.locator("#id_last_name").fill(last_name)
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(PASSPHRASE)
    page.locator("#id_password2").fill(PASSPHRASE)
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/naver-works/my-product/$"))


def test_a_new_customer_applies_for_a_trial_in_english(page, screenshot):
    sign_up(page, "minji@example.com")
    page.get_by_role("button", name="Apply for product", exact=True).click()

    # Step 1: Select product
    expect(page.get_by_role("heading", name="Select product")).to_be_visible()
    for plan_name in ("Lite", "Basic", "Premium"):
        expect(page.get_by_role("radio", name=plan_name, exact=True)).to_be_visible()
    expect(page.get_by_text("Mail: 30 GB per user, with your own domain")).to_be_visible()
    page.get_by_role("radio", name="Premium", exact=True).check()
    screenshot("apply-step-1")
    page.get_by_role("button", name="Agree to terms", exact=True).click()

    # Step 2: Agree to terms
    expect(page.get_by_role("heading", name="Agree to terms")).to_be_visible()
    page.get_by_role("button", name="Enter information", exact=True).click()
    expect(page.get_by_text("You must agree to the terms to apply.")).to_be_visible()
    page.get_by_label("I agree to the terms", exact=True).check()
    screenshot("apply-step-2")
    page.get_by_role("button", name="Enter information", exact=True).click()

    # Step 3: Enter information, with Check availability answering in place (no reload)
    expect(page.get_by_role("heading", name="Enter information")).to_be_visible()
    page.get_by_role("radio", name="Use group name", exact=True).check()
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Group name", exact=True).fill("Acme")
    page.get_by_role("button", name="Check availability", exact=True).click()
    expect(page.get_by_text("A group name must be in lowercase: uppercase letters are not allowed.")).to_be_visible()
    page.get_by_label("Group name", exact=True).fill("acme-korea")
    page.get_by_role("button", name="Check availability", exact=True).click()
    expect(page.get_by_text("This group name is available.")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    page.get_by_label("Admin ID", exact=True).fill("admin")
    expect(page.get_by_text("admin@acme-korea")).to_be_visible()
    page.get_by_label("Admin password", exact=True).fill("works2026ok")
    page.get_by_label("Confirm admin password", exact=True).fill("works2026ok")
    page.get_by_label("Company name", exact=True).fill("Acme Korea")
    # The phone number's country, beside it, defaults to Korea in the English UI (SPEC 5.1).
    expect(page.get_by_label("Country", exact=True)).to_have_value("KR")
    page.get_by_label("Company phone number", exact=True).fill("02-1234-5678")
    screenshot("apply-step-3")
    page.set_viewport_size({"width": 390, "height": 900})
    screenshot("apply-step-3-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("button", name="Review application", exact=True).click()

    # Step 4: Review application, then Back and forward again: nothing is lost
    expect(page.get_by_role("heading", name="Review application")).to_be_visible()
    expect(page.locator("[data-review=account-id]")).to_have_text("admin@acme-korea")
    expect(page.locator("[data-review=company-phone]")).to_have_text("+82 2-1234-5678")
    expect(page.locator("[data-review=password]")).to_contain_text("••••••••")
    expect(page.locator("[data-review=plan]")).to_have_text("Premium")
    assert "works2026ok" not in page.content()
    screenshot("apply-step-4")
    page.get_by_role("button", name="Back", exact=True).click()
    expect(page.get_by_role("heading", name="Enter information")).to_be_visible()
    expect(page.get_by_role("radio", name="Use group name", exact=True)).to_be_checked()
    expect(page.get_by_label("Group name", exact=True)).to_have_value("acme-korea")
    expect(page.get_by_label("Admin ID", exact=True)).to_have_value("admin")
    # The password is kept server-side, never rendered back (issue 12)
    expect(page.get_by_label("Admin password", exact=True)).to_have_value("")
    expect(page.get_by_label("Confirm admin password", exact=True)).to_have_value("")
    expect(page.locator("[data-password-kept]")).to_be_visible()
    assert "works2026ok" not in page.content()
    expect(page.get_by_label("Company name", exact=True)).to_have_value("Acme Korea")
    expect(page.get_by_label("Company phone number", exact=True)).to_have_value(re.compile(r"1234-5678"))
    screenshot("apply-step-3-back")
    page.get_by_role("button", name="Review application", exact=True).click()
    page.get_by_role("button", name="Submit application", exact=True).click()

    # Step 5: Application complete
    expect(page.get_by_role("heading", name="Application complete")).to_be_visible()
    expect(page.get_by_text("admin@acme-korea")).to_be_visible()
    screenshot("apply-step-5")
    subscription = Subscription.objects.get(name="acme-korea")
    assert subscription.status == Status.TRIAL
    assert subscription.plan.code == "premium"
    assert Member.objects.get(workspace__name="acme-korea").password.startswith("argon2$")

    # My Product shows the trial with its days left (applied today: 30 days, today included)
    page.get_by_role("link", name="My Product", exact=True).click()
    card = page.locator(f"#subscription-{subscription.public_id}")
    expect(card.get_by_role("heading", name="acme-korea")).to_be_visible()
    expect(card.get_by_text("30 days left", exact=True)).to_be_visible()
    expect(card.get_by_role("button", name="Convert to paid", exact=True)).to_be_visible()
    expect(card.get_by_role("button", name="Go to NAVER WORKS Admin", exact=True)).to_be_visible()
    screenshot("my-product-trial")

    # Set up company info: the NAVER WORKS login as admin@acme-korea
    page.goto(f"/naver-works/my-product/apply/?complete={subscription.public_id}")
    page.get_by_role("button", name="Set up company info", exact=True).click()
    page.get_by_label("Account ID", exact=True).fill("admin@acme-korea")
    page.get_by_label("Password", exact=True).fill("works2026ok")
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page).not_to_have_url(re.compile(r"/works/login/"))


def test_a_domain_account_is_warned_about_ownership_and_a_taken_name_is_reported(page, screenshot):
    sign_up(page, "jisoo@example.com", first_name="Jisoo")
    page.goto("/naver-works/my-product/apply/")
    page.get_by_role("radio", name="Basic", exact=True).check()
    page.get_by_role("button", name="Agree to terms", exact=True).click()
    page.get_by_label("I agree to the terms", exact=True).check()
    page.get_by_role("button", name="Enter information", exact=True).click()

    page.get_by_role("radio", name="Use domain name", exact=True).check()
    expect(page.get_by_label("Group name", exact=True)).to_be_hidden()
    page.get_by_label("Domain name", exact=True).fill("Acme.한국")
    page.get_by_role("button", name="Check availability", exact=True).click()
    expect(page.get_by_text("This domain name is available.")).to_be_visible()
    page.get_by_label("Admin ID", exact=True).fill("boss")
    page.get_by_label("Admin password", exact=True).fill("works2026ok")
    page.get_by_label("Confirm admin password", exact=True).fill("works2026no")
    page.get_by_label("Company name", exact=True).fill("Acme")
    page.get_by_label("Company phone number", exact=True).fill("+82 10-1234-5678")
    page.get_by_role("button", name="Review application", exact=True).click()
    expect(page.get_by_text("The two passwords do not match.")).to_be_visible()
    screenshot("apply-step-3-errors")
    # After an error the password fields come back empty (issue 12): both are typed again
    expect(page.get_by_label("Admin password", exact=True)).to_have_value("")
    page.get_by_label("Admin password", exact=True).fill("works2026ok")
    page.get_by_label("Confirm admin password", exact=True).fill("works2026ok")
    page.get_by_role("button", name="Review application", exact=True).click()

    expect(page.get_by_text("Domain ownership must be verified.")).to_be_visible()
    # Shown as people write it (issue 12), stored in its ASCII form
    expect(page.locator("[data-review=account-id]")).to_have_text("boss@acme.한국")
    screenshot("apply-step-4-domain")
    page.get_by_role("button", name="Submit application", exact=True).click()
    expect(page.get_by_role("heading", name="Application complete")).to_be_visible()

    # The same name again is refused at once by Check availability
    page.goto("/naver-works/my-product/apply/")
    page.get_by_role("radio", name="Lite", exact=True).check()
    page.get_by_role("button", name="Agree to terms", exact=True).click()
    page.get_by_label("I agree to the terms", exact=True).check()
    page.get_by_role("button", name="Enter information", exact=True).click()
    page.get_by_role("radio", name="Use domain name", exact=True).check()
    page.get_by_label("Domain name", exact=True).fill("acme.xn--3e0b707e")
    page.get_by_role("button", name="Check availability", exact=True).click()
    expect(page.get_by_text("This domain name is already in use.")).to_be_visible()


def screenshot_of(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def japanese_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_a_new_customer_applies_for_a_trial_in_japanese(japanese_page):
    page = japanese_page
    sign_up(page, "sakura@example.com", first_name="さくら", last_name="山田")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.get_by_role("button", name="商品申込", exact=True).click()

    page.get_by_role("radio", name="Basic", exact=True).check()
    screenshot_of(page, "apply-ja-step-1")
    page.get_by_role("button", name="約款同意", exact=True).click()
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="情報入力", exact=True).click()

    page.get_by_role("radio").first.check()
    page.locator("[data-name-field=group] input").fill("sakura-team")
    page.get_by_role("button", name="重複チェック", exact=True).click()
    expect(page.locator("#name-check-result [data-available=true]")).to_be_visible()
    page.locator("input[name$=admin_id]").fill("admin")
    page.locator("input[name$=admin_password]").fill("works2026ok")
    page.locator("input[name$=admin_password_confirmation]").fill("works2026ok")
    page.locator("input[name$=company_name]").fill("山田商事")
    # A Tokyo number: the country beside it defaults to Japan in the Japanese UI, and the number is read there
    # (not as the Korean +82 31-234-5678).
    expect(page.get_by_label("国", exact=True)).to_have_value("JP")
    expect(page.get_by_label("国", exact=True).locator("option:checked")).to_have_text("日本 +81")
    page.get_by_label("会社の電話番号", exact=True).fill("03-1234-5678")
    screenshot_of(page, "apply-ja-step-3")
    page.set_viewport_size({"width": 390, "height": 900})
    screenshot_of(page, "apply-ja-step-3-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("button", name="申込内容の確認", exact=True).click()

    expect(page.locator("[data-review=account-id]")).to_have_text("admin@sakura-team")
    expect(page.locator("[data-review=company-phone]")).to_have_text("+81 3-1234-5678")
    screenshot_of(page, "apply-ja-step-4")
    page.get_by_role("button", name="最終申込", exact=True).click()

    expect(page.get_by_role("button", name="会社情報を設定する", exact=True)).to_be_visible()
    screenshot_of(page, "apply-ja-step-5")
    subscription = Subscription.objects.select_related("workspace").get(name="sakura-team")
    assert subscription.status == Status.TRIAL
    assert subscription.workspace.company_phone.as_e164 == "+81312345678"


def test_my_product_shows_paid_contracts_reservations_and_invoices(page, customer, screenshot):
    active = ActiveSubscriptionFactory(
        customer=customer,
        workspace__name="acme-paid",
        renewal_option=RenewalOption.RENEW_ANNUAL,
        next_period_index=4,
        next_invoice_on=date(2027, 5, 10),
    )
    for index, total in enumerate([55_000, 57_200, 3_960_000, 61_600]):
        InvoiceFactory(
            subscription=active,
            period_index=index,
            period_start=date(2026, 12, 10) + relativedelta(months=index),
            period_end=date(2026, 12, 9) + relativedelta(months=index + 1),
            total=total,
        )
    ReservationFactory(subscription=active, effective_on=date(2027, 6, 1))
    converting = ConversionReservationFactory(
        subscription__customer=customer, subscription__workspace__name="acme-trial", effective_on=date(2026, 12, 20)
    ).subscription

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(customer.email)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    paid_card = page.locator(f"#subscription-{active.public_id}")
    expect(paid_card.get_by_text("Annual · 10 licences")).to_be_visible()
    expect(paid_card.get_by_text("Cancellation reserved for 2027-06-01")).to_be_visible()
    expect(paid_card.get_by_role("cell", name="₩3,960,000")).to_be_visible()
    expect(paid_card.get_by_role("button", name="Withdraw cancellation", exact=True)).to_be_visible()
    expect(paid_card.get_by_role("button", name="Cancel subscription", exact=True)).to_have_count(0)
    trial_card = page.locator(f"#subscription-{converting.public_id}")
    expect(trial_card.get_by_role("button", name="Withdraw conversion", exact=True)).to_be_visible()
    expect(
        trial_card.get_by_text("Paid conversion reserved for 2026-12-20: Premium, Annual (25 licences)")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Invoices", exact=True)).to_be_visible()
    screenshot("my-product-paid")
