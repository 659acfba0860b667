"""The back office in Chromium (issue 19, SPEC 13): enrolment and sign-in with a TOTP code computed here, a wrong
code refused; a Support operator offered `Extend trial` and refused `Waive penalty`; the penalty preview of
`Cancel on behalf` posted without a reload; a search in Unicode. Controls found by their labels (SPEC 9)."""

import re
from base64 import b32decode
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from billing.models import CreditNote
from subscriptions.models import LifecycleEvent
from tests.billing.factories import ActiveSubscriptionFactory
from tests.conftest import USER_PASSWORD
from tests.operators import code_for, operator, sign_in_to_admin
from tests.subscriptions.factories import TerminatedSubscriptionFactory, TrialSubscriptionFactory
from tests.workspaces.factories import DomainWorkspaceFactory
from works_console.dates import kst_date

pytestmark = pytest.mark.django_db(transaction=True)


def _password(page: Page, user) -> None:
    page.goto("/admin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_operator_enrols_an_authenticator_then_signs_in_with_its_code(page, screenshot):
    user = operator()

    _password(page, user)
    expect(page.get_by_text("Secret key", exact=True)).to_be_visible()
    expect(page.locator("svg.second-factor-qr")).to_be_visible()
    screenshot("admin-second-factor-enrol")
    key = page.locator("[data-secret-key]").inner_text().replace(" ", "")
    key = b32decode(key + "=" * (-len(key) % 8))
    wrong = f"{(int(code_for(key)) + 500_000) % 1_000_000:06d}"
    page.get_by_label("Authentication code", exact=True).fill(wrong)
    page.get_by_role("button", name="Activate", exact=True).click()
    expect(page.get_by_text("This code is not valid. Enter the current code from your app.")).to_be_visible()
    page.get_by_label("Authentication code", exact=True).fill(code_for(key))
    page.get_by_role("button", name="Activate", exact=True).click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("[data-recovery-codes] li")).to_have_count(10)
    screenshot("admin-recovery-codes")
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.get_by_role("button", name=re.compile("log out", re.IGNORECASE)).click()
    _password(page, user)
    expect(page.get_by_text("Secret key", exact=True)).to_have_count(0)
    page.get_by_label("Authentication code", exact=True).fill(
        "123456" if code_for(key, steps_ahead=1) != "123456" else "654321"
    )
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_text("This code is not valid.", exact=False)).to_be_visible()
    page.get_by_label("Authentication code", exact=True).fill(code_for(key, steps_ahead=1))  # a code not used yet
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_support_is_offered_extend_trial_and_refused_waive_penalty(page):
    trial = TrialSubscriptionFactory(applied_on=kst_date(timezone.now()) - timedelta(days=10))
    ended = TerminatedSubscriptionFactory()
    sign_in_to_admin(page, operator("Support"))

    page.goto(f"/admin/subscriptions/subscription/{trial.pk}/change/")
    expect(page.get_by_role("link", name="Extend trial", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Cancel on behalf", exact=True)).to_have_count(0)
    page.goto(f"/admin/subscriptions/subscription/{ended.pk}/change/")
    expect(page.get_by_role("link", name="Waive penalty", exact=True)).to_have_count(0)

    # Posted anyway, with the session's own CSRF token: 403, nothing written.
    token = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken")
    response = page.request.post(
        f"/admin/subscriptions/subscription/{ended.pk}/act/waive-penalty/",
        form={"csrfmiddlewaretoken": token, "reason": "Hardship"},
        headers={"Referer": page.url},
    )
    assert response.status == 403
    assert not CreditNote.objects.exists()
    assert not LifecycleEvent.objects.filter(subscription=ended, kind="penalty_waived").exists()

    page.goto(f"/admin/subscriptions/subscription/{trial.pk}/change/")
    page.get_by_role("link", name="Extend trial", exact=True).click()
    page.get_by_label("Days", exact=True).fill("5")
    page.get_by_label("Reason", exact=True).fill("Pilot slipped")
    page.get_by_role("button", name="Extend trial", exact=True).click()
    expect(page.get_by_text(f"The trial of {trial.name} now ends on", exact=False)).to_be_visible()


def test_cancel_on_behalf_shows_the_penalty_by_post_without_a_reload(page, screenshot):
    today = kst_date(timezone.now())
    active = ActiveSubscriptionFactory(applied_on=today - timedelta(days=70), paid_start=today - timedelta(days=40))
    sign_in_to_admin(page, operator("Billing"))
    page.goto(f"/admin/subscriptions/subscription/{active.pk}/act/cancel/")
    url = page.url
    page.get_by_label("Reason", exact=True).fill("Customer phoned")
    first = page.locator("[data-penalty-amount]").get_attribute("data-penalty-amount")
    later = min(active.term_end, today + timedelta(days=100))

    with page.expect_request(lambda request: request.url.endswith("/act/cancel/penalty/")) as penalty:
        page.get_by_label("Cancellation date", exact=True).fill(later.isoformat())
        page.get_by_label("Cancellation date", exact=True).dispatch_event("change")
    request = penalty.value
    assert request.method == "POST"
    assert "csrfmiddlewaretoken=" in request.post_data and "reason=Customer%20phoned" in request.post_data
    expect(page.locator("[data-cancellation-summary]")).to_contain_text(later.isoformat())
    assert page.locator("[data-penalty-amount]").get_attribute("data-penalty-amount") != first
    assert page.url == url  # no reload, nothing in the URL
    expect(page.get_by_label("Reason", exact=True)).to_have_value("Customer phoned")

    page.get_by_role("button", name="Show penalty", exact=True).click()
    expect(page.locator("[data-cancellation-summary]")).to_contain_text(later.isoformat())
    assert page.url == url
    screenshot("admin-cancel-on-behalf")
    assert not LifecycleEvent.objects.filter(subscription=active, actor="operator").exists()


def test_subscriptions_are_searched_in_unicode(page):
    wanted = TrialSubscriptionFactory(workspace=DomainWorkspaceFactory(name="xn--13550-kq4djdra.jp"))
    TrialSubscriptionFactory()
    sign_in_to_admin(page, operator("Support"))

    page.goto("/admin/subscriptions/subscription/")
    page.locator("#searchbar").fill("テスト13550")
    page.locator("#searchbar").press("Enter")

    expect(page.get_by_role("link", name=re.compile("^テスト13550.jp"))).to_be_visible()
    expect(page.get_by_text("1 result", exact=False)).to_be_visible()
    expect(page.get_by_text("xn--13550-kq4djdra.jp", exact=False).first).to_be_visible()
    assert wanted.public_id in page.content()
