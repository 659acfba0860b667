"""Every journey with the keyboard alone (SPEC 14, issue 20): sign up, apply, convert, upgrade, renewal, cancel,
withdraw, NAVER WORKS Admin and password reset, through Tab, Shift+Tab, Enter, Space and the arrows (keyboard.py),
never a click, with a visible focus on every control passed; the skip link; the confirmation modal and the cancel
popup take the focus and give it back to their opener; a form sent with errors puts the focus on its error summary,
whose links lead to the fields in error.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from billing.models import ContractType
from subscriptions.models import Reservation, Status, Subscription
from tests.accounts.factories import UserFactory
from tests.celery_queue import run_queued_tasks
from tests.conftest import USER_PASSWORD
from tests.smtp import parts
from tests.subscriptions.factories import (
    ActiveSubscriptionFactory,
    ConversionReservationFactory,
    TrialSubscriptionFactory,
)
from tests.workspaces.factories import ADMIN_PASSWORD, WorkspaceFactory
from works_console.dates import kst_date
from workspaces.models import Member, OrgUnit, WorkGroup

from .keyboard import Keyboard

pytestmark = pytest.mark.django_db(transaction=True)

MY_PRODUCT = re.compile(r"/naver-works/my-product/(#[\w-]+)?$")
RESET_LINK = re.compile(r"https?://[^/\s]+(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


def today():
    return kst_date(timezone.now())


def button(page: Page, name: str, scope=None):
    return (scope or page).get_by_role("button", name=name, exact=True)


def field(page: Page, label: str, scope=None):
    return (scope or page).get_by_label(label, exact=True)


def card(page: Page, subscription):
    return page.locator(f"#subscription-{subscription.public_id}")


def log_in(keys: Keyboard, email: str, password: str = USER_PASSWORD) -> None:
    """The console login (its Email field has the focus on arrival)."""
    page = keys.page
    page.goto("/accounts/login/")
    keys.fill(field(page, "Email"), email)
    keys.fill(field(page, "Password"), password)
    keys.press("Enter")
    expect(page).to_have_url(MY_PRODUCT)


def expect_error_summary_leads_to(keys: Keyboard, label: str) -> None:
    """A form sent with errors: the focus is on the summary at the top; its link for `label`, described by the
    field's message, leads to the field, which keeps that message and is marked invalid."""
    page = keys.page
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="Check what you entered")).to_be_visible()
    link = summary.get_by_role("link", name=label, exact=True)
    keys.activate(link)
    target = field(page, label)
    expect(target).to_be_focused()
    expect(target).to_have_attribute("aria-invalid", "true")
    message = page.locator(f"#{target.get_attribute('id')}_error")
    expect(message).to_be_visible()
    expect(link).to_have_accessible_description(message.inner_text().strip())
    assert message.get_attribute("id") in target.get_attribute("aria-describedby").split()


def test_the_skip_link_leads_past_the_header_and_the_menu(page, customer):
    keys = Keyboard(page)
    log_in(keys, customer.email)
    page.goto("/naver-works/my-product/")
    keys.press("Tab")
    skip = page.get_by_role("link", name="Skip to content", exact=True)
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    keys.press("Enter")
    expect(page.locator("main")).to_be_focused()
    keys.press("Tab")
    # The next stop is the page's first control, after the header's and the menu's.
    expect(page.get_by_role("link", name="Invoices", exact=True)).to_be_focused()

    # The language switcher with the arrows (it sends itself on change): <html lang> follows
    switcher = page.locator("#language-switcher")
    keys.tab_to(switcher)
    with page.expect_navigation():
        keys.press("ArrowDown")
    expect(page.locator("html")).to_have_attribute("lang", switcher.input_value())
    assert switcher.input_value() != "en"


def test_sign_up_with_a_mistake_corrected_through_the_error_summary(page, live_server):
    keys = Keyboard(page)
    page.goto("/accounts/login/")
    keys.activate(page.get_by_role("link", name="Create an account", exact=True))
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    keys.fill(field(page, "First name"), "Minji")
    keys.fill(field(page, "Last name"), "Kim")
    keys.fill(field(page, "Email"), "minji.kim@example")
    keys.fill(field(page, "Password"), "a-long-passphrase-2027")
    keys.fill(field(page, "Password (again)"), "a-long-passphrase-2027")
    keys.activate(button(page, "Sign up"))

    expect_error_summary_leads_to(keys, "Email")
    expect(field(page, "First name")).to_have_value("Minji")
    keys.type("minji.kim@example.com", replace=True)
    keys.fill(field(page, "Password"), "a-long-passphrase-2027")
    keys.fill(field(page, "Password (again)"), "a-long-passphrase-2027")
    keys.press("Enter")
    expect(page).to_have_url(MY_PRODUCT)
    expect(page.get_by_text("Welcome to the console. Your account has been created.")).to_be_visible()


def test_apply_through_the_five_steps_then_set_up_the_company_in_naver_works_admin(page, customer):
    keys = Keyboard(page)
    log_in(keys, customer.email)
    keys.activate(page.get_by_role("button", name="Apply for product", exact=True))

    # Step 1: the plan radios with the arrows
    keys.choose(page.get_by_role("radio", name="Premium", exact=True))
    expect(page.get_by_role("radio", name="Premium", exact=True)).to_be_checked()
    keys.activate(button(page, "Agree to terms"))
    # Step 2: the checkbox with Space
    keys.activate(field(page, "I agree to the terms"), "Space")
    keys.activate(button(page, "Enter information"))

    # Step 3: sent with a refused name and nothing else; the summary lists the fields in their order on the page,
    # and its first link leads back to the name; Check availability answers in place
    keys.fill(field(page, "Group name"), "Bad--Name")
    keys.activate(button(page, "Review application"))
    expect(page.locator("[data-error-summary] a")).to_have_text(
        [
            "Group name",
            "Admin ID",
            "Admin password",
            "Confirm admin password",
            "Company name",
            "Company phone number",
        ]
    )
    expect_error_summary_leads_to(keys, "Group name")
    keys.type("keyboard-team", replace=True)
    keys.activate(button(page, "Check availability"))
    expect(page.locator("#name-check-result [data-available=true]")).to_be_visible()
    keys.fill(field(page, "Admin ID"), "admin")
    keys.fill(field(page, "Admin password"), ADMIN_PASSWORD)
    keys.fill(field(page, "Confirm admin password"), ADMIN_PASSWORD)
    keys.fill(field(page, "Company name"), "Acme Korea")
    keys.fill(field(page, "Company phone number"), "02-555-0199")
    keys.activate(button(page, "Review application"))

    # Step 4, step 5
    expect(page.locator("[data-review=account-id]")).to_have_text("admin@keyboard-team")
    keys.activate(button(page, "Submit application"))
    expect(page.get_by_role("heading", name="Application complete")).to_be_visible()
    subscription = Subscription.objects.get(name="keyboard-team")
    assert subscription.status == Status.TRIAL and subscription.plan.code == "premium"
    keys.activate(page.get_by_role("button", name="Set up company info", exact=True))

    # NAVER WORKS Admin: log in, company info, a unit, a member in it, a group with that member
    expect(page).to_have_url(re.compile(r"/works/login/"))
    keys.fill(field(page, "Account ID"), "admin@keyboard-team")
    keys.fill(field(page, "Password"), ADMIN_PASSWORD)
    keys.activate(button(page, "Start"))
    expect(page).to_have_url(re.compile(r"/works/company/$"))
    keys.fill(field(page, "Company address"), "110 Sejong-daero, Seoul")
    keys.activate(button(page, "Save company info"))
    expect(page).to_have_url(re.compile(r"/works/$"))

    keys.fill(field(page, "Unit name"), "Sales")
    keys.press("Enter")
    expect(page.get_by_text("Unit “Sales” added.")).to_be_visible()
    keys.fill(field(page, "Member ID"), "jiwoo.kim")
    keys.fill(field(page, "Member name"), "Kim Jiwoo")
    keys.fill(field(page, "Initial password"), "seoul2027go")
    keys.select(field(page, "Organization unit"), "Sales")
    keys.activate(button(page, "Add member"))
    expect(page.get_by_text("Member jiwoo.kim@keyboard-team added.")).to_be_visible()
    keys.fill(field(page, "New group"), "Design")
    keys.press("Enter")
    keys.select(field(page, "Member to add to Design"), "jiwoo.kim@keyboard-team (Kim Jiwoo)")
    keys.activate(button(page, "Add to Design"))
    expect(page.get_by_text("jiwoo.kim@keyboard-team added to “Design”.")).to_be_visible()
    workspace = subscription.workspace
    member = Member.objects.get(workspace=workspace, login_id="jiwoo.kim")
    assert member.org_unit == OrgUnit.objects.get(workspace=workspace, name="Sales")
    assert list(WorkGroup.objects.get(workspace=workspace, name="Design").members.all()) == [member]

    # Removing the member asks in a modal that takes the focus; Escape gives it back, Enter twice removes
    remove = button(page, "Remove member jiwoo.kim@keyboard-team")
    keys.activate(remove)
    dialog = page.get_by_role("dialog")
    expect(button(page, "Remove", dialog)).to_be_focused()
    keys.press("Escape")
    expect(dialog).to_be_hidden()
    expect(remove).to_be_focused()
    keys.press("Enter")
    expect(button(page, "Remove", dialog)).to_be_focused()
    keys.press("Enter")
    expect(page.get_by_text("Member jiwoo.kim@keyboard-team removed.")).to_be_visible()
    assert not Member.objects.live().filter(pk=member.pk).exists()


@pytest.fixture
def trial(customer):
    return TrialSubscriptionFactory(
        customer=customer,
        workspace=WorkspaceFactory(name="trial-team", company_set_up_at=timezone.now()),
        applied_on=today() - timedelta(days=5),
    )


@pytest.fixture
def annual(customer):
    paid_start = today() - timedelta(days=40)
    return ActiveSubscriptionFactory(
        customer=customer, applied_on=paid_start - timedelta(days=5), paid_start=paid_start
    )


def test_convert_a_trial_to_a_monthly_premium_contract(page, customer, trial):
    keys = Keyboard(page)
    log_in(keys, customer.email)
    keys.activate(page.get_by_role("button", name="Convert to paid", exact=True))
    keys.select(field(page, "Plan"), "Premium")
    keys.choose(page.get_by_role("radio", name="Monthly", exact=True))
    expect(field(page, "Start date")).to_have_value(today().isoformat())
    keys.activate(button(page, "Apply for paid version"))
    expect(page).to_have_url(MY_PRODUCT)
    trial.refresh_from_db()
    assert (trial.status, trial.plan.code, trial.contract_type) == (Status.ACTIVE, "premium", ContractType.MONTHLY)


def test_upgrade_a_trial(page, customer, trial):
    keys = Keyboard(page)
    log_in(keys, customer.email)
    keys.activate(button(page, "Upgrade", card(page, trial)))
    # Lite and Basic cannot be chosen: the radio group's only stop is Premium
    keys.choose(page.get_by_role("radio", name="Premium", exact=True))
    keys.activate(button(page, "Agree to terms"))
    keys.activate(field(page, "I agree to the terms"), "Space")
    keys.activate(button(page, "Review"))
    keys.activate(button(page, "Submit"))
    expect(page).to_have_url(MY_PRODUCT)
    trial.refresh_from_db()
    assert trial.plan.code == "premium"


def test_change_the_renewal_option(page, customer, annual):
    keys = Keyboard(page)
    log_in(keys, customer.email)
    keys.activate(page.get_by_role("button", name="Change renewal option", exact=True))
    keys.choose(page.get_by_role("radio", name="Do not renew", exact=True))
    keys.activate(button(page, "Save"))
    keys.activate(button(page, "Confirm"))
    expect(page).to_have_url(MY_PRODUCT)
    annual.refresh_from_db()
    assert annual.renewal_option == "do_not_renew"


def test_cancel_on_the_penalty_free_date_then_withdraw_both_reservations(page, customer, annual, trial):
    ConversionReservationFactory(subscription=trial, effective_on=today() + timedelta(days=3))
    keys = Keyboard(page)
    log_in(keys, customer.email)

    # The cancel popup takes the focus; Escape closes it and gives the focus back to its opener
    opener = button(page, "Cancel subscription", card(page, annual))
    keys.activate(opener)
    expect(page.locator("#cancel-dialog-title")).to_be_focused()
    keys.press("Escape")
    expect(page).to_have_url(MY_PRODUCT)
    expect(opener).to_be_focused()
    keys.press("Enter")

    # The penalty-free date, then a wrong phrase: the summary leads back to the phrase
    keys.activate(button(page, "Use penalty-free date"))
    free_date = annual.term_end + timedelta(days=1)
    expect(field(page, "Cancellation date")).to_have_value(free_date.isoformat())
    keys.fill(field(page, "Confirmation phrase"), "cancel it")
    keys.press("Enter")
    expect_error_summary_leads_to(keys, "Confirmation phrase")
    keys.type("Cancel the selected service", replace=True)
    keys.activate(button(page, "Confirm cancellation"))
    expect(page).to_have_url(MY_PRODUCT)
    reservation = Reservation.objects.get(subscription=annual, kind=Reservation.Kind.CANCELLATION)
    assert (reservation.state, reservation.effective_on) == (Reservation.State.PENDING, free_date)

    # Withdraw both reservations: each asks in the modal, which takes the focus and gives it back
    for subscription, name in ((annual, "Withdraw cancellation"), (trial, "Withdraw conversion")):
        withdraw = button(page, name, card(page, subscription))
        keys.activate(withdraw)
        confirm = button(page, name, page.get_by_role("dialog"))
        expect(confirm).to_be_focused()
        keys.press("Escape")
        expect(withdraw).to_be_focused()
        keys.press("Enter")
        expect(confirm).to_be_focused()
        keys.press("Enter")
        expect(page).to_have_url(MY_PRODUCT)
    assert not Reservation.objects.filter(state=Reservation.State.PENDING).exists()


def test_reset_a_forgotten_password(page, smtp_inbox, transactional_db, empty_queue):
    UserFactory(email="minji@example.com", language="en")
    keys = Keyboard(page)
    page.goto("/accounts/login/")
    keys.activate(page.get_by_role("link", name="Forgot your password?", exact=True))
    keys.fill(field(page, "Email"), "minji@example.com")
    keys.activate(button(page, "Send reset link"))
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    run_queued_tasks()  # the worker's part: the mail goes out after the page has answered (issue 21)

    [message] = smtp_inbox.to("minji@example.com")
    page.goto(RESET_LINK.search(parts(message)["text/plain"]).group(1))  # the link in the mail
    keys.fill(field(page, "New password"), "a-brand-new-passphrase-7")
    keys.fill(field(page, "New password (again)"), "a-brand-new-passphrase-7")
    keys.activate(button(page, "Set password"))
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    log_in(keys, "minji@example.com", "a-brand-new-passphrase-7")


def test_at_a_phone_width_the_menu_and_the_header_open_with_the_keyboard(browser, live_server, customer):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 800}, reduced_motion="reduce"
    )
    page = context.new_page()
    keys = Keyboard(page)
    log_in(keys, customer.email)
    keys.activate(button(page, "Open the services menu"))
    menu_link = page.locator("#console-menu").get_by_role("link", name="My Product", exact=True)
    expect(menu_link).to_be_visible()
    keys.tab_to(menu_link)
    keys.press("Escape")
    expect(menu_link).to_be_hidden()
    expect(button(page, "Open the services menu")).to_be_focused()
    keys.activate(button(page, "Show the header settings"))
    expect(page.locator("#shell-region")).to_be_visible()
    keys.tab_to(page.locator("#shell-region"))
    context.close()
