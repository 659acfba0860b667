"""Issue 12 in Chromium at 390, 768, 1024 and 1366 px: the card's own NAVER WORKS Admin (SPEC 7.1), only
actions that can succeed and a confirmation for destructive ones, with the keyboard and without JavaScript
(SPEC 10), and names as people write them (Unicode domains, the family name first in Japanese).

One browser context per width; the data is made once per test.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from subscriptions.models import Reservation
from tests.billing.factories import ActiveSubscriptionFactory
from tests.conftest import USER_PASSWORD
from tests.subscriptions.factories import ReservationFactory, TrialSubscriptionFactory
from tests.workspaces.factories import ADMIN_PASSWORD, DomainWorkspaceFactory, MemberFactory, WorkspaceFactory
from works_console.dates import kst_date
from workspaces.models import Member

from .conftest import SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (390, 768, 1024, 1366)
LOCALES = {"en": "en-US", "ja": "ja-JP"}


def today():
    return kst_date(timezone.now())


def _context(browser, live_server, *, width: int, language: str = "en", javascript: bool = True):
    context = browser.new_context(
        base_url=live_server.url,
        locale=LOCALES[language],
        viewport={"width": width, "height": 900},
        java_script_enabled=javascript,
    )
    context.set_default_timeout(10_000)
    return context


def _log_in(page: Page, email: str, button: str = "Log in") -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(USER_PASSWORD)
    page.get_by_role("button", name=button, exact=True).click()
    expect(page).to_have_url(re.compile(r"/naver-works/my-product/$"))


def _screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _card(page: Page, subscription):
    return page.locator(f"#subscription-{subscription.public_id}")


def _customer_with_trials():
    first = TrialSubscriptionFactory(
        workspace=WorkspaceFactory(name="first-team", company_set_up_at=timezone.now()), applied_on=today()
    )
    customer = first.customer
    customer.set_password(USER_PASSWORD)
    customer.save()
    second = TrialSubscriptionFactory(
        customer=customer,
        workspace=WorkspaceFactory(name="second-team", company_set_up_at=timezone.now()),
        applied_on=today(),
    )
    return customer, first, second


def _start(page: Page, button: str = "Start") -> None:
    page.locator("#id_password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name=button, exact=True).click()


def _header_link(page: Page, name: str):
    """A link of NAVER WORKS Admin's header, opening the collapsed header first on narrow screens."""
    link = page.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        page.get_by_role("button", name="Show the header settings", exact=True).click()
    return link


def test_go_to_naver_works_admin_opens_the_cards_own_workspace(browser, live_server):
    customer, first, second = _customer_with_trials()
    for width in WIDTHS:
        context = _context(browser, live_server, width=width)
        page = context.new_page()
        _log_in(page, customer.email)

        # No admin session: the login page, with the card's Account ID filled in
        _card(page, first).get_by_role("button", name="Go to NAVER WORKS Admin", exact=True).click()
        expect(page).to_have_url(re.compile(r"/works/login/"))
        expect(page.get_by_label("Account ID", exact=True)).to_have_value("admin@first-team")
        _start(page)
        expect(page).to_have_url(re.compile(r"/works/$"))
        expect(page.locator(".workspace-name")).to_have_text("· first-team")

        # Another card: the first workspace's session ends, the login asks for the second one
        page.goto("/naver-works/my-product/")
        _card(page, second).get_by_role("button", name="Go to NAVER WORKS Admin", exact=True).click()
        expect(page.get_by_label("Account ID", exact=True)).to_have_value("admin@second-team")
        page.goto("/works/")
        expect(page).to_have_url(re.compile(r"/works/login/"))
        page.get_by_label("Account ID", exact=True).fill("admin@second-team")
        _start(page)
        expect(page.locator(".workspace-name")).to_have_text("· second-team")

        # The card of the open session goes straight to its admin home; the way back is a link
        _header_link(page, "Back to the console").click()
        expect(page).to_have_url(re.compile(r"/naver-works/my-product/$"))
        _card(page, second).get_by_role("button", name="Go to NAVER WORKS Admin", exact=True).click()
        expect(page).to_have_url(re.compile(r"/works/$"))
        expect(page.locator(".workspace-name")).to_have_text("· second-team")
        context.close()


def test_only_buttons_that_can_succeed_and_a_keyboard_confirmation_for_withdrawals(browser, live_server):
    paid_start = today() - timedelta(days=40)
    premium = ActiveSubscriptionFactory(
        plan_code="premium", applied_on=paid_start - timedelta(days=5), paid_start=paid_start
    )
    customer = premium.customer
    customer.set_password(USER_PASSWORD)
    customer.save()
    basic = TrialSubscriptionFactory(customer=customer, applied_on=today())
    for width in WIDTHS:
        reservation = ReservationFactory(subscription=premium, effective_on=today() + timedelta(days=20))
        context = _context(browser, live_server, width=width)
        page = context.new_page()
        _log_in(page, customer.email)

        # No Upgrade on Premium (no higher tier), and none with the pending cancellation either
        expect(_card(page, premium).get_by_role("button", name="Upgrade", exact=True)).to_have_count(0)
        expect(_card(page, basic).get_by_role("button", name="Upgrade", exact=True)).to_be_visible()

        # The keyboard alone: Enter asks in a modal, Escape goes back with nothing changed
        withdraw = _card(page, premium).get_by_role("button", name="Withdraw cancellation", exact=True)
        withdraw.focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_role("heading")).to_have_text(f"Withdraw the reserved cancellation of {premium.name}?")
        confirm = dialog.get_by_role("button", name="Withdraw cancellation", exact=True)
        expect(confirm).to_be_focused()
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        _screenshot(page, f"confirm-modal-{width}")
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(withdraw).to_be_focused()
        reservation.refresh_from_db()
        assert reservation.state == Reservation.State.PENDING

        # Enter again, then Enter on the focused confirmation: withdrawn
        page.keyboard.press("Enter")
        expect(confirm).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_text(f"The reserved cancellation of {premium.name} is withdrawn.")).to_be_visible()
        reservation.refresh_from_db()
        assert reservation.state == Reservation.State.WITHDRAWN
        context.close()


def test_destructive_actions_ask_on_a_page_without_javascript(browser, live_server):
    customer, first, _second = _customer_with_trials()
    for width in WIDTHS:
        staff = MemberFactory(workspace=first.workspace, login_id=f"staff{width}")
        reservation = ReservationFactory(subscription=first, effective_on=today() + timedelta(days=10))
        context = _context(browser, live_server, width=width, javascript=False)
        page = context.new_page()
        _log_in(page, customer.email)

        # Without JavaScript the menu and the header controls are simply shown
        expect(page.locator("#console-menu").get_by_role("link", name="My Product", exact=True)).to_be_visible()
        expect(page.get_by_label("Region", exact=True)).to_be_visible()

        _card(page, first).get_by_role("button", name="Withdraw cancellation", exact=True).click()
        expect(
            page.get_by_role("heading", name=f"Withdraw the reserved cancellation of {first.name}?")
        ).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        _screenshot(page, f"confirm-page-nojs-{width}")
        reservation.refresh_from_db()
        assert reservation.state == Reservation.State.PENDING
        page.get_by_role("button", name="Withdraw cancellation", exact=True).click()
        expect(page.get_by_text(f"The reserved cancellation of {first.name} is withdrawn.")).to_be_visible()

        # NAVER WORKS Admin: removing a member asks first, Back keeps it
        page.goto("/works/login/")
        page.get_by_label("Account ID", exact=True).fill(first.admin_account_id)
        _start(page)
        page.get_by_role("button", name=f"Remove member {staff.account_id}", exact=True).click()
        expect(page.get_by_role("heading", name=f"Remove member {staff.account_id}?")).to_be_visible()
        page.get_by_role("button", name="Back", exact=True).click()
        assert Member.objects.live().filter(pk=staff.pk).exists()
        page.get_by_role("button", name=f"Remove member {staff.account_id}", exact=True).click()
        page.get_by_role("button", name="Remove", exact=True).click()
        expect(page.get_by_text(f"Member {staff.account_id} removed.")).to_be_visible()
        assert not Member.objects.live().filter(pk=staff.pk).exists()  # removed: the row waits for the purge
        context.close()


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        pytest.param(
            "en",
            {
                "unverified": "Domain not verified",
                "first": "First name",
                "last": "Last name",
                "log_in": "Log in",
                "start": "Start",
            },
            id="en",
        ),
        pytest.param(
            "ja",
            {"unverified": "ドメイン未認証", "first": "名", "last": "姓", "log_in": "ログイン", "start": "始める"},
            id="ja",
        ),
    ],
)
def test_names_as_people_write_them(browser, live_server, language, texts):
    domain = TrialSubscriptionFactory(
        workspace=DomainWorkspaceFactory(name="xn--r8jz45g.jp", company_set_up_at=timezone.now()), applied_on=today()
    )
    customer = domain.customer
    customer.set_password(USER_PASSWORD)
    customer.save()
    for width in WIDTHS:
        context = _context(browser, live_server, width=width, language=language)
        page = context.new_page()

        # Sign up: the family name first in Japanese (above it, or left of it when side by side)
        page.goto("/accounts/signup/")
        first = page.get_by_label(texts["first"], exact=True).bounding_box()
        last = page.get_by_label(texts["last"], exact=True).bounding_box()
        family_first = (last["y"], last["x"]) < (first["y"], first["x"])
        assert family_first == (language == "ja")

        # My Product: the domain in Unicode, not verified yet
        _log_in(page, customer.email, texts["log_in"])
        card = _card(page, domain)
        expect(card.get_by_role("heading", name="例え.jp", exact=True)).to_be_visible()
        expect(card.get_by_text(texts["unverified"], exact=True)).to_be_visible()
        expect(card.get_by_text("admin@例え.jp", exact=True)).to_be_visible()
        assert "xn--r8jz45g" not in card.inner_text()

        # NAVER WORKS Admin: the TXT instructions name the domain both ways
        page.goto("/works/login/")
        page.locator("#id_account_id").fill("admin@例え.jp")
        _start(page, texts["start"])
        page.goto("/works/")
        expect(page.locator("[data-dns-name]")).to_have_text("xn--r8jz45g.jp")
        expect(page.locator(".workspace-name")).to_have_text("· 例え.jp")
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        context.close()
