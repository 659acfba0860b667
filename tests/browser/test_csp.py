"""Django admin in Chromium with the Content-Security-Policy on (issue 11): the `page` fixture fails a test on any
CSP report, so these walk the operator pages that the console journeys do not reach."""

import re

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import UserFactory
from tests.billing.factories import ActiveSubscriptionFactory
from tests.operators import sign_in_to_admin

pytestmark = pytest.mark.django_db(transaction=True)

OPERATOR_PASSWORD = "operator-pass-2026"


def test_an_operator_uses_django_admin_under_the_csp(page, screenshot):
    operator = UserFactory(password=OPERATOR_PASSWORD, is_staff=True, is_superuser=True)
    subscription = ActiveSubscriptionFactory()

    sign_in_to_admin(page, operator, password=OPERATOR_PASSWORD)  # the admin index is the dashboard (issue 10)

    # A list filter (the admin's own JavaScript) and the change page
    page.goto("/admin/subscriptions/subscription/")
    page.get_by_role("link", name="Active", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"status__exact=active"))
    expect(page.get_by_role("link", name=subscription.name)).to_be_visible()
    page.get_by_role("link", name=subscription.name).click()
    expect(page.get_by_role("heading", name=re.compile("View subscription|Change subscription"))).to_be_visible()

    # django-celery-beat's periodic task form, whose inline script we moved to a static file
    page.goto("/admin/django_celery_beat/periodictask/add/")
    expect(page.locator(".field-crontab_translation")).to_be_hidden()
    screenshot("admin-periodic-task-add")
