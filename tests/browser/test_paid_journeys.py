"""A customer takes a trial through paid conversion, renewal option, upgrade and cancellation in Chromium,
finding every control by its SPEC 9 label (SPEC 5.2-5.5).

The live server runs on the real clock, so the subscriptions are built relative to today's KST date.
"""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from billing.models import ContractType, Invoice
from subscriptions.models import RenewalOption, Reservation, Status, Subscription
from subscriptions.services.cancel import cancellation_penalty
from subscriptions.standing import standing_on
from tests.billing.factories import ActiveSubscriptionFactory
from tests.conftest import USER_PASSWORD
from tests.subscriptions.factories import TrialSubscriptionFactory
from works_console.dates import kst_date

pytestmark = pytest.mark.django_db(transaction=True)


def today() -> date:
    return kst_date(timezone.now())


def log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(USER_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", name="My Product")).to_be_visible()


def a_trial() -> Subscription:
    return TrialSubscriptionFactory(applied_on=today() - timedelta(days=5))


def an_annual_contract(**kwargs) -> Subscription:
    paid_start = today() - timedelta(days=45)
    return ActiveSubscriptionFactory(applied_on=paid_start - timedelta(days=10), paid_start=paid_start, **kwargs)


def won(amount: int) -> str:
    return f"₩{amount:,}"


def test_convert_a_trial_to_an_annual_contract_today(page, screenshot):
    trial = a_trial()
    log_in(page, trial.customer.email)

    page.get_by_role("button", name="Convert to paid", exact=True).click()
    page.get_by_label("Plan", exact=True).select_option(label="Premium")
    expect(page.get_by_role("group", name="Contract type")).to_be_visible()
    page.get_by_role("radio", name="Annual", exact=True).check()
    page.get_by_label("Licences", exact=True).fill("5")
    expect(page.get_by_label("Start date", exact=True)).to_have_value(today().isoformat())
    screenshot("convert-now")
    page.get_by_role("button", name="Apply for paid version", exact=True).click()

    expect(page).to_have_url(re.compile(r"/naver-works/my-product/$"))
    expect(page.get_by_text(f"{trial.name} is now a paid Premium subscription.")).to_be_visible()
    trial.refresh_from_db()
    assert (trial.status, trial.plan.code, trial.contract_type, trial.licences, trial.paid_start) == (
        Status.ACTIVE,
        "premium",
        ContractType.ANNUAL,
        5,
        today(),
    )


def test_reserve_a_conversion_then_withdraw_it(page, screenshot):
    trial = a_trial()
    start_on = today() + timedelta(days=3)
    log_in(page, trial.customer.email)

    page.get_by_role("button", name="Convert to paid", exact=True).click()
    page.get_by_label("Plan", exact=True).select_option(label="Basic")
    page.get_by_role("radio", name="Monthly", exact=True).check()
    page.get_by_label("Start date", exact=True).fill(start_on.isoformat())
    page.get_by_role("button", name="Apply for paid version", exact=True).click()

    expect(
        page.get_by_text(f"The paid conversion of {trial.name} is reserved for {start_on.isoformat()}.")
    ).to_be_visible()
    assert list(Reservation.objects.filter(subscription=trial).values_list("state", "effective_on")) == [
        (Reservation.State.PENDING, start_on)
    ]
    screenshot("conversion-reserved")

    page.get_by_role("button", name="Withdraw conversion", exact=True).click()
    # The withdrawal asks first, in a modal (issue 12)
    page.get_by_role("dialog").get_by_role("button", name="Withdraw conversion", exact=True).click()

    expect(page.get_by_text(f"The reserved paid conversion of {trial.name} is withdrawn.")).to_be_visible()
    assert list(Reservation.objects.filter(subscription=trial).values_list("state", flat=True)) == [
        Reservation.State.WITHDRAWN
    ]
    trial.refresh_from_db()
    assert trial.status == Status.TRIAL


def test_change_the_renewal_option_with_save_then_confirm(page, screenshot):
    active = an_annual_contract()
    log_in(page, active.customer.email)

    page.get_by_role("button", name="Change renewal option", exact=True).click()
    page.get_by_role("radio", name="Renew as annual (same conditions)", exact=True).check()
    page.get_by_label("Licences", exact=True).fill("8")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("heading", name="Confirm the renewal option")).to_be_visible()
    active.refresh_from_db()
    assert active.renewal_option == ""  # nothing is saved before Confirm
    screenshot("renewal-confirm")
    page.get_by_role("button", name="Confirm", exact=True).click()

    expect(page).to_have_url(re.compile(r"/naver-works/my-product/$"))
    active.refresh_from_db()
    assert (active.renewal_option, active.renewal_licences) == (RenewalOption.RENEW_ANNUAL, 8)


def test_upgrade_through_select_product_agree_review_submit(page, screenshot):
    active = an_annual_contract()
    log_in(page, active.customer.email)

    page.get_by_role("button", name="Upgrade", exact=True).click()
    expect(page.get_by_role("radio", name="Lite", exact=True)).to_be_disabled()
    expect(page.get_by_role("radio", name="Basic", exact=True)).to_be_disabled()
    page.get_by_role("radio", name="Premium", exact=True).check()
    screenshot("upgrade-select-product")
    page.get_by_role("button", name="Agree to terms", exact=True).click()

    page.get_by_label("I agree to the terms", exact=True).check()
    page.get_by_role("button", name="Review", exact=True).click()

    expect(page.get_by_text("₩10,000 per user per month (Annual), VAT excluded")).to_be_visible()
    screenshot("upgrade-review")
    page.get_by_role("button", name="Submit", exact=True).click()

    expect(page.get_by_text(f"{active.name} is upgraded to Premium from today.")).to_be_visible()
    active.refresh_from_db()
    assert active.plan.code == "premium"
    assert list(active.rate_segments.order_by("starts_on").values_list("plan__code", "starts_on", "ends_on")) == [
        ("basic", active.paid_start, today()),
        ("premium", today(), None),
    ]


def test_cancel_an_annual_contract_now_with_the_penalty_itemised(page, screenshot):
    active = an_annual_contract()
    expected = cancellation_penalty(standing_on(active, today=today()), today())
    penalty_free_date = active.term_end + timedelta(days=1)
    log_in(page, active.customer.email)

    page.get_by_role("button", name="Cancel subscription", exact=True).click()
    expect(page.get_by_text("All data is deleted at once and for good.")).to_be_visible()
    expect(page.get_by_role("button", name="Download your data first", exact=True)).to_be_visible()
    expect(page.get_by_label("Cancellation date", exact=True)).to_have_value(today().isoformat())
    penalty = page.locator("[data-item=penalty]")
    expect(penalty).to_have_text(won(expected.amount))
    expect(page.locator("[data-item=discount-received]")).to_have_text(won(expected.discount_received))
    expect(page.locator("[data-item=remaining-fee]")).to_have_text(won(expected.remaining_fee))
    expect(page.locator("[data-item=rate]")).to_have_text("10%")
    screenshot("cancel-popup-annual-today")

    # The penalty follows the date without a reload, and the penalty-free date costs nothing
    page.evaluate("window.stillTheSamePage = true")
    later = today() + timedelta(days=40)
    page.get_by_label("Cancellation date", exact=True).fill(later.isoformat())
    expect(penalty).to_have_text(won(cancellation_penalty(standing_on(active, today=today()), later).amount))
    page.get_by_role("button", name="Use penalty-free date", exact=True).click()
    expect(page.get_by_label("Cancellation date", exact=True)).to_have_value(penalty_free_date.isoformat())
    expect(penalty).to_have_text("₩0")
    assert page.evaluate("window.stillTheSamePage") is True
    screenshot("cancel-popup-penalty-free")

    # Back to today, type the phrase, confirm
    page.get_by_label("Cancellation date", exact=True).fill(today().isoformat())
    expect(penalty).to_have_text(won(expected.amount))
    page.get_by_label("Confirmation phrase", exact=True).fill("Cancel the selected service")
    page.get_by_role("button", name="Confirm cancellation", exact=True).click()

    expect(
        page.get_by_text(f"{active.name} is cancelled: the service has stopped and its data is deleted.")
    ).to_be_visible()
    active.refresh_from_db()
    assert (active.status, active.terminated_on, active.workspace) == (Status.TERMINATED, today(), None)
    final = Invoice.objects.get(subscription=active, is_final=True)
    assert final.lines.get(kind="penalty").amount == expected.amount

    # The Invoices page: a header row and one row per invoice (the ended periods, then the final one)
    page.goto("/billing/invoices/")
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(1 + Invoice.objects.filter(subscription=active).count())
    final_row = rows.filter(has_text="final")
    expect(final_row).to_contain_text(won(final.total))
    screenshot("invoices")
    final_row.get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile("Final invoice"))).to_be_visible()
    expect(page.get_by_text("Early-termination penalty", exact=True)).to_be_visible()
    screenshot("invoice-final")


def test_a_wrong_phrase_cancels_nothing(page):
    trial = a_trial()
    log_in(page, trial.customer.email)

    page.get_by_role("button", name="Cancel subscription", exact=True).click()
    expect(page.get_by_text("No early-termination penalty applies to this subscription.")).to_be_visible()
    page.get_by_label("Confirmation phrase", exact=True).fill("cancel")
    page.get_by_role("button", name="Confirm cancellation", exact=True).click()

    expect(page.get_by_text("Type the phrase exactly as shown: Cancel the selected service")).to_be_visible()
    trial.refresh_from_db()
    assert trial.status == Status.TRIAL


def test_a_date_typed_while_the_cancel_page_loads_still_gets_its_preview(page):
    # CI once typed the date before the deferred scripts ran, and the summary kept saying "today". Holding the
    # htmx script back until the date is in the field replays that order every time.
    trial = a_trial()
    on = today() + timedelta(days=4)
    log_in(page, trial.customer.email)
    held = []
    page.route(re.compile(r"/htmx[^/]*\.js$"), lambda route: held.append(route))

    page.get_by_role("button", name="Cancel subscription", exact=True).click()
    page.get_by_label("Cancellation date", exact=True).fill(on.isoformat())
    expect(page.get_by_text("The service will stop today, at once.")).to_be_visible()
    assert len(held) == 1
    held[0].continue_()

    expect(
        page.get_by_text(f"The cancellation will be reserved: the service will stop on {on.isoformat()}.")
    ).to_be_visible()


def test_reserve_a_cancellation_then_withdraw_it_on_my_product(page, screenshot):
    trial = a_trial()
    on = today() + timedelta(days=4)
    log_in(page, trial.customer.email)

    page.get_by_role("button", name="Cancel subscription", exact=True).click()
    page.get_by_label("Cancellation date", exact=True).fill(on.isoformat())
    expect(
        page.get_by_text(f"The cancellation will be reserved: the service will stop on {on.isoformat()}.")
    ).to_be_visible()
    screenshot("cancel-popup-trial-reserved")
    page.get_by_label("Confirmation phrase", exact=True).fill("Cancel the selected service")
    page.get_by_role("button", name="Confirm cancellation", exact=True).click()

    expect(page.get_by_text(f"The cancellation of {trial.name} is reserved for {on.isoformat()}.")).to_be_visible()
    assert list(Reservation.objects.filter(subscription=trial).values_list("kind", "state", "effective_on")) == [
        (Reservation.Kind.CANCELLATION, Reservation.State.PENDING, on)
    ]
    screenshot("cancellation-reserved")

    page.get_by_role("button", name="Withdraw cancellation", exact=True).click()
    # The withdrawal asks first, in a modal (issue 12)
    page.get_by_role("dialog").get_by_role("button", name="Withdraw cancellation", exact=True).click()

    expect(page.get_by_text(f"The reserved cancellation of {trial.name} is withdrawn.")).to_be_visible()
    assert list(Reservation.objects.filter(subscription=trial).values_list("state", flat=True)) == [
        Reservation.State.WITHDRAWN
    ]
    trial.refresh_from_db()
    assert trial.status == Status.TRIAL
