"""NAVER WORKS Admin in Chromium, by the SPEC 9 labels: login, company info, members, units, groups, domain."""

import re

import pytest
from playwright.sync_api import expect

from subscriptions.models import Status, Subscription
from tests.subscriptions.factories import TrialSubscriptionFactory
from tests.workspaces.factories import ADMIN_PASSWORD, DomainWorkspaceFactory
from workspaces.models import Member

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in(page, account_id: str, password: str = ADMIN_PASSWORD) -> None:
    page.goto("/works/login/")
    page.get_by_label("Account ID").fill(account_id)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Start").click()


def test_admin_logs_in_sets_up_the_company_and_adds_a_member(page, screenshot):
    subscription = TrialSubscriptionFactory(workspace__name="seoul-team")

    # A wrong password first: one message, at the form
    _log_in(page, "admin@seoul-team", "wrong2026ok")
    expect(page.get_by_text("Enter a correct account ID and password.")).to_be_visible()
    screenshot("works-login-error")

    # Log in: the first login leads to company info setup
    page.get_by_label("Account ID").fill("admin@seoul-team")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    screenshot("works-login")
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(r"/works/company/$"))
    expect(page.get_by_role("heading", name="Set up company info")).to_be_visible()
    expect(page.get_by_label("Company name")).to_have_value("Acme Korea")
    page.get_by_label("Company name").fill("Seoul Trading Co.")
    expect(page.get_by_label("Country", exact=True)).to_have_value("KR")  # the applied number's country
    page.get_by_label("Company phone number").fill("02-555-0199")
    page.get_by_label("Company address").fill("110 Sejong-daero, Jung-gu, Seoul")
    screenshot("works-company-setup")
    page.get_by_role("button", name="Save company info").click()
    expect(page).to_have_url(re.compile(r"/works/$"))
    expect(page.get_by_role("heading", name="Seoul Trading Co.")).to_be_visible()

    # An organization unit, then a member in it
    page.get_by_label("Unit name").fill("Sales")
    page.get_by_role("button", name="Add unit").click()
    expect(page.get_by_text("Unit “Sales” added.")).to_be_visible()
    page.get_by_label("Member ID").fill("jiwoo.kim")
    page.get_by_label("Member name").fill("Kim Jiwoo")
    page.get_by_label("Initial password").fill("abc12345")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_text("The password cannot contain 3 sequential letters or digits")).to_be_visible()
    screenshot("works-member-refused")
    page.get_by_label("Initial password").fill("seoul2027go")
    page.get_by_label("Organization unit").select_option(label="Sales")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_text("Member jiwoo.kim@seoul-team added.")).to_be_visible()
    members = page.locator("#members tbody tr")
    expect(members).to_have_count(2)
    expect(members.nth(1)).to_contain_text("jiwoo.kim@seoul-team")
    expect(members.nth(1)).to_contain_text("Sales")

    # A group with the new member
    page.get_by_label("New group", exact=True).fill("Design")
    page.get_by_role("button", name="Add group").click()
    page.get_by_label("Member to add to Design").select_option(label="jiwoo.kim@seoul-team (Kim Jiwoo)")
    page.get_by_role("button", name="Add to Design").click()
    expect(page.get_by_text("jiwoo.kim@seoul-team added to “Design”.")).to_be_visible()
    screenshot("works-home")

    assert list(Member.objects.filter(workspace=subscription.workspace).values_list("login_id", "org_unit__name")) == [
        ("admin", None),
        ("jiwoo.kim", "Sales"),
    ]

    # The session ends at the next request once the trial is suspended
    Subscription.objects.filter(pk=subscription.pk).update(status=Status.SUSPENDED)
    page.reload()
    expect(page).to_have_url(re.compile(r"/works/login/$"))
    expect(page.get_by_text("This workspace is suspended because its trial has ended.")).to_be_visible()
    screenshot("works-session-ended")


def test_domain_admin_sees_the_txt_value_to_publish(page, screenshot):
    subscription = TrialSubscriptionFactory(workspace=DomainWorkspaceFactory(name="acme.example"))

    _log_in(page, "admin@acme.example")
    page.get_by_role("button", name="Save company info").click()

    expect(page.get_by_text(subscription.workspace.verification_token)).to_be_visible()
    expect(page.get_by_role("button", name="Verify now")).to_be_visible()
    expect(page.get_by_text("Domain ownership is not verified yet")).to_be_visible()
    screenshot("works-domain-verification")
