"""Two roles (SPEC 13): `Support` reads everything and extends trials, resends reminders, withdraws reservations;
`Billing` adds converting and cancelling on behalf, waiving penalties, granting credit and plan prices. An action a
role lacks is not offered, and posting it anyway is a 403 that changes nothing."""

from datetime import date

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from backoffice.permissions import ACTION_PERMISSIONS, BILLING_ACTIONS, SUPPORT_ACTIONS
from billing.models import CreditNote, CustomerCredit, Plan
from subscriptions.models import LifecycleEvent
from tests.accounts.factories import UserFactory
from tests.billing.factories import ActiveSubscriptionFactory, kst, subscription_snapshot
from tests.operators import ensure_roles, operator
from tests.subscriptions.factories import TerminatedSubscriptionFactory, TrialSubscriptionFactory, plan
from tests.subscriptions.test_admin import _plan_form

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def act_url(subscription, slug: str) -> str:
    return reverse("admin:subscriptions_subscription_operator_action", args=[subscription.pk, slug])


def offered(client: Client, subscription) -> set[str]:
    html = client.get(reverse("admin:subscriptions_subscription_change", args=[subscription.pk])).content.decode()
    return {
        label
        for label in [
            "Extend trial",
            "Cancel on behalf",
            "Convert on behalf",
            "Waive penalty",
            "Withdraw reservation",
            "Resend reminder",
        ]
        if f">{label}</a>" in html
    }


def test_the_migration_makes_the_two_roles_with_the_permissions_of_the_table():
    ensure_roles()  # the migration's own function, should a live-server test have flushed its rows

    def codes(name: str) -> set[str]:
        group = Group.objects.get(name=name)
        return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}

    support, billing = codes("Support"), codes("Billing")

    assert {ACTION_PERMISSIONS[action] for action in SUPPORT_ACTIONS} <= support
    assert not {ACTION_PERMISSIONS[action] for action in set(BILLING_ACTIONS) - set(SUPPORT_ACTIONS)} & support
    assert {ACTION_PERMISSIONS[action] for action in BILLING_ACTIONS} | {"billing.change_plan"} <= billing
    for role in (support, billing):  # read everything, change nothing else
        assert {"subscriptions.view_subscription", "billing.view_invoice", "accounts.view_user"} <= role
        assert "billing.change_plan" not in role or role is billing
        assert not {code for code in role if code.split(".")[1].startswith(("delete_", "change_user"))}


def test_support_is_offered_the_support_actions_only():
    trial = TrialSubscriptionFactory()

    assert offered(signed_in(operator("Support")), trial) == {"Extend trial", "Resend reminder"}
    assert offered(signed_in(operator("Billing")), trial) == {
        "Extend trial",
        "Resend reminder",
        "Cancel on behalf",
        "Convert on behalf",
    }
    assert offered(signed_in(operator()), trial) == offered(signed_in(operator("Billing")), trial)


@time_machine.travel(kst(2027, 3, 1), tick=False)
@pytest.mark.parametrize(
    ("slug", "data"),
    [
        ("cancel", {"cancellation_date": "2027-03-01", "reason": "Asked"}),
        (
            "convert",
            {"plan": "1", "contract_type": "monthly", "licences": "1", "start_on": "2027-03-01", "reason": "x"},
        ),
        ("waive-penalty", {"reason": "Hardship"}),
    ],
)
def test_a_billing_action_posted_by_support_is_a_403_that_changes_nothing(slug, data):
    subscription = TerminatedSubscriptionFactory() if slug == "waive-penalty" else TrialSubscriptionFactory()
    before = subscription_snapshot(subscription)
    client = signed_in(operator("Support"))

    page = client.get(act_url(subscription, slug))
    posted = client.post(act_url(subscription, slug), data)

    assert (page.status_code, posted.status_code) == (403, 403)
    assert subscription_snapshot(subscription) == before
    assert not LifecycleEvent.objects.filter(subscription=subscription, actor="operator").exists()
    assert not CreditNote.objects.exists()


def test_staff_without_a_role_may_read_nothing_and_act_on_nothing():
    trial = TrialSubscriptionFactory()
    client = signed_in(UserFactory(is_staff=True))

    assert client.post(act_url(trial, "extend-trial"), {"days": "5", "reason": "x"}).status_code == 403
    assert client.get(reverse("admin:subscriptions_subscription_change", args=[trial.pk])).status_code == 403


def test_bulk_actions_follow_the_roles():
    trial = TrialSubscriptionFactory()
    changelist = reverse("admin:subscriptions_subscription_changelist")
    support = signed_in(operator("Support"))
    reader = operator("Support")
    reader.groups.clear()
    reader.user_permissions.add(*Group.objects.get(name="Support").permissions.filter(codename__startswith="view_"))
    viewer = signed_in(reader)

    support_page = support.get(changelist).content.decode()
    viewer_page = viewer.get(changelist).content.decode()
    refused = viewer.post(changelist, {"action": "extend_trials", "_selected_action": [trial.pk]})
    trial_before = subscription_snapshot(trial)

    assert 'value="extend_trials"' in support_page and 'value="resend_reminders"' in support_page
    assert 'value="extend_trials"' not in viewer_page
    assert refused.status_code == 403
    assert subscription_snapshot(trial) == trial_before


def test_grant_credit_needs_billing():
    customer = UserFactory()
    url = reverse("admin:accounts_user_grant_credit", args=[customer.pk])
    page = reverse("admin:accounts_user_change", args=[customer.pk])
    support, billing = signed_in(operator("Support")), signed_in(operator("Billing"))

    assert ">Grant credit</a>" not in support.get(page).content.decode()
    assert support.post(url, {"amount": "1000", "reason": "Goodwill"}).status_code == 403
    assert support.get(reverse("admin:billing_customercredit_add")).status_code == 403
    assert ">Grant credit</a>" in billing.get(page).content.decode()
    assert billing.post(url, {"amount": "1000", "reason": "Goodwill"}).status_code == 302
    assert list(CustomerCredit.objects.values_list("amount", flat=True)) == [1000]


def test_plan_prices_need_billing():
    basic = plan("basic")
    url = reverse("admin:billing_plan_change", args=[basic.pk])
    support = signed_in(operator("Support"))
    billing = signed_in(operator("Billing"))
    data = {**_plan_form(), "monthly_unit_price": "7000"}

    support_page = support.get(url).content.decode()
    refused = support.post(url, data)
    changed = billing.post(url, data)

    assert 'name="monthly_unit_price"' not in support_page  # read-only for Support
    assert refused.status_code == 403
    assert changed.status_code == 302
    assert Plan.objects.get(pk=basic.pk).monthly_unit_price == 7000


@time_machine.travel(kst(2027, 3, 1), tick=False)
def test_an_operators_action_keeps_the_operators_identity():
    active = ActiveSubscriptionFactory(next_period_index=2, next_invoice_on=date(2027, 3, 15))
    biller = operator("Billing")
    client = signed_in(biller)

    client.post(act_url(active, "cancel"), {"cancellation_date": "2027-03-10", "reason": "Customer phoned"})

    event = LifecycleEvent.objects.get(subscription=active, kind="cancellation_reserved")
    assert (event.actor, event.actor_user, event.details["reason"]) == ("operator", biller, "Customer phoned")
