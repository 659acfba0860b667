"""An operator runs the business from Django admin in Chromium (SPEC 11): an action through its form (`Reason`,
`Days`, a submit button bearing the action's name), the dashboard and its preview. Controls found by label."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from subscriptions.models import LifecycleEvent
from tests.billing.factories import ActiveSubscriptionFactory
from tests.operators import operator, sign_in_to_admin
from tests.subscriptions.factories import TrialSubscriptionFactory
from works_console.dates import kst_date

pytestmark = pytest.mark.django_db(transaction=True)


def log_in_to_admin(page: Page) -> None:
    sign_in_to_admin(page, operator())


def test_an_operator_extends_a_trial_from_the_subscription_page(page, screenshot):
    today = kst_date(timezone.now())
    trial = TrialSubscriptionFactory(applied_on=today - timedelta(days=20))
    log_in_to_admin(page)

    page.goto(f"/admin/subscriptions/subscription/{trial.pk}/change/")
    page.get_by_role("link", name="Extend trial", exact=True).click()
    page.get_by_label("Days", exact=True).fill("12")
    page.get_by_label("Reason", exact=True).fill("Pilot extended by sales")
    screenshot("admin-extend-trial")
    page.get_by_role("button", name="Extend trial", exact=True).click()

    expect(page.get_by_text("now ends on", exact=False)).to_be_visible()
    trial.refresh_from_db()
    assert trial.trial_last_day == today - timedelta(days=20) + timedelta(days=29 + 12)
    event = LifecycleEvent.objects.get(subscription=trial, kind="trial_extended")
    assert (event.actor, event.details["reason"], event.details["days"]) == ("operator", "Pilot extended by sales", 12)


def test_the_dashboard_previews_a_date_with_its_amounts(page, screenshot):
    today = kst_date(timezone.now())
    paid_start = today - timedelta(days=45)
    ActiveSubscriptionFactory(applied_on=paid_start - timedelta(days=10), paid_start=paid_start)
    log_in_to_admin(page)
    screenshot("admin-dashboard")

    # 105 days after the paid start: periods 0, 1 and 2 have ended, each 10 licences x 5,000 + VAT
    page.get_by_label("Preview date", exact=True).fill((today + timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Preview", exact=True).click()

    expect(page.get_by_role("heading", name="Totals", exact=True)).to_be_visible()
    expect(page.locator('[data-total="invoices"]')).to_have_text("₩165,000")
    screenshot("admin-preview")
