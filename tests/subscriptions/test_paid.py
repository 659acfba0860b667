"""Paid services (SPEC 5.2-5.4, 6): conversion, renewal option, upgrade, licences, renewal at the term end.

The trial of TrialSubscriptionFactory was applied on 2026-12-01: last trial day 2026-12-30, grace to
2027-01-29. ActiveSubscriptionFactory starts paid on 2026-12-15 (Basic annual, 10 licences, term 2026-12-15 ..
2027-12-14). Catalog: Lite 3,000 / 3,600, Basic 5,000 / 6,000, Premium 10,000 / 12,000 (annual / monthly).
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from billing.models import ContractType, Invoice, RateSegment
from subscriptions.models import LifecycleEvent, RenewalOption, Reservation, Status
from subscriptions.services.core import customer_actor, job_actor
from subscriptions.services.paid import (
    subscription_activate_reserved_conversion,
    subscription_convert,
    subscription_increase_licences,
    subscription_upgrade,
    subscription_withdraw_conversion,
)
from subscriptions.services.renewal import subscription_renew_at_term_end, subscription_set_renewal_option
from tests.billing.factories import ActiveSubscriptionFactory, issue_due, kst, subscription_snapshot
from tests.subscriptions.factories import TrialSubscriptionFactory, plan
from tests.workspaces.factories import MemberFactory

pytestmark = pytest.mark.django_db

JOB = job_actor("test-job")


def segments_of(subscription) -> list[tuple]:
    return list(
        RateSegment.objects.filter(subscription=subscription)
        .order_by("starts_on", "id")
        .values_list(
            "plan__code", "contract_type", "unit_price", "list_unit_price", "quantity", "starts_on", "ends_on"
        )
    )


def events_of(subscription) -> list[tuple]:
    return list(
        LifecycleEvent.objects.filter(subscription=subscription)
        .order_by("id")
        .values_list("kind", "from_status", "to_status", "actor")
    )


def last_event(subscription) -> LifecycleEvent:
    return LifecycleEvent.objects.filter(subscription=subscription).order_by("-id").first()


def convert(subscription, *, start_on, now, plan_code="basic", contract_type=ContractType.ANNUAL, licences=10):
    return subscription_convert(
        subscription=subscription,
        plan=plan(plan_code),
        contract_type=contract_type,
        licences=licences,
        start_on=start_on,
        by=customer_actor(subscription.customer),
        now=now,
    )


# --- convert to paid (SPEC 5.2) -------------------------------------------------------------------------------


def test_convert_today_starts_an_annual_contract_at_once():
    trial = TrialSubscriptionFactory()

    subscription = convert(trial, start_on=date(2026, 12, 10), now=kst(2026, 12, 10))

    subscription.refresh_from_db()
    assert subscription.status == Status.ACTIVE
    assert (subscription.paid_start, subscription.term_start, subscription.term_end) == (
        date(2026, 12, 10),
        date(2026, 12, 10),
        date(2027, 12, 9),
    )
    assert (subscription.plan.code, subscription.contract_type, subscription.licences) == ("basic", "annual", 10)
    assert (subscription.next_period_index, subscription.next_invoice_on) == (0, date(2027, 1, 10))
    assert segments_of(subscription) == [("basic", "annual", 5_000, 6_000, 10, date(2026, 12, 10), None)]
    assert events_of(subscription) == [("converted", "trial", "active", "customer")]
    assert last_event(subscription).details == {
        "plan": "basic",
        "contract_type": "annual",
        "licences": 10,
        "start_on": "2026-12-10",
        "unit_price": 5_000,
        "term_end": "2027-12-09",
    }


def test_convert_today_to_monthly_bills_members_and_ignores_licences():
    trial = TrialSubscriptionFactory()

    subscription = convert(
        trial, start_on=date(2026, 12, 10), now=kst(2026, 12, 10), plan_code="premium", contract_type="monthly"
    )

    subscription.refresh_from_db()
    assert (subscription.status, subscription.contract_type, subscription.licences) == ("active", "monthly", None)
    # a monthly contract's term is its current billing period
    assert (subscription.term_start, subscription.term_end) == (date(2026, 12, 10), date(2027, 1, 9))
    assert segments_of(subscription) == [("premium", "monthly", 12_000, 12_000, None, date(2026, 12, 10), None)]


def test_a_suspended_trial_converts_within_the_grace():
    suspended = TrialSubscriptionFactory(status=Status.SUSPENDED)

    subscription = convert(suspended, start_on=date(2027, 1, 29), now=kst(2027, 1, 29))

    assert subscription.status == Status.ACTIVE
    assert events_of(subscription) == [("converted", "suspended", "active", "customer")]


def test_a_later_start_date_reserves_the_conversion():
    trial = TrialSubscriptionFactory()

    subscription = convert(trial, start_on=date(2026, 12, 20), now=kst(2026, 12, 10))

    subscription.refresh_from_db()
    assert subscription.status == Status.TRIAL
    assert subscription.paid_start is None
    assert list(
        Reservation.objects.filter(subscription=trial).values_list(
            "kind", "state", "effective_on", "plan__code", "contract_type", "licences"
        )
    ) == [("conversion", "pending", date(2026, 12, 20), "basic", "annual", 10)]
    assert events_of(subscription) == [("conversion_reserved", "trial", "trial", "customer")]
    assert not RateSegment.objects.exists()


def test_applying_again_changes_the_reserved_conversion():
    trial = TrialSubscriptionFactory()
    convert(trial, start_on=date(2026, 12, 20), now=kst(2026, 12, 10))

    convert(trial, start_on=date(2027, 1, 5), now=kst(2026, 12, 11), plan_code="premium", contract_type="monthly")

    assert list(
        Reservation.objects.filter(subscription=trial).values_list(
            "state", "effective_on", "plan__code", "contract_type", "licences"
        )
    ) == [("pending", date(2027, 1, 5), "premium", "monthly", None)]
    assert [kind for kind, *_ in events_of(trial)] == ["conversion_reserved", "conversion_changed"]
    assert last_event(trial).details == {
        "from": {"plan": "basic", "contract_type": "annual", "licences": 10, "start_on": "2026-12-20"},
        "to": {"plan": "premium", "contract_type": "monthly", "licences": None, "start_on": "2027-01-05"},
    }


def test_the_same_reservation_twice_writes_one_event():
    trial = TrialSubscriptionFactory()
    convert(trial, start_on=date(2026, 12, 20), now=kst(2026, 12, 10))

    convert(trial, start_on=date(2026, 12, 20), now=kst(2026, 12, 11))

    assert [kind for kind, *_ in events_of(trial)] == ["conversion_reserved"]


def test_converting_today_over_a_reservation_completes_it():
    trial = TrialSubscriptionFactory()
    convert(trial, start_on=date(2026, 12, 20), now=kst(2026, 12, 10))

    subscription = convert(trial, start_on=date(2026, 12, 12), now=kst(2026, 12, 12))

    assert subscription.status == Status.ACTIVE
    assert subscription.paid_start == date(2026, 12, 12)
    assert list(Reservation.objects.filter(subscription=trial).values_list("state", flat=True)) == ["done"]


def test_withdrawing_the_reserved_conversion():
    trial = TrialSubscriptionFactory()
    convert(trial, start_on=date(2026, 12, 20), now=kst(2026, 12, 10))

    subscription_withdraw_conversion(subscription=trial, by=customer_actor(trial.customer), now=kst(2026, 12, 11))

    trial.refresh_from_db()
    assert trial.status == Status.TRIAL
    assert list(Reservation.objects.filter(subscription=trial).values_list("state", flat=True)) == ["withdrawn"]
    assert [kind for kind, *_ in events_of(trial)] == ["conversion_reserved", "conversion_withdrawn"]


def test_withdrawing_without_a_reservation_is_refused():
    trial = TrialSubscriptionFactory()
    before = subscription_snapshot(trial)

    with pytest.raises(ValidationError, match="no reserved conversion"):
        subscription_withdraw_conversion(subscription=trial, by=customer_actor(trial.customer), now=kst(2026, 12, 11))

    assert subscription_snapshot(trial) == before


def test_the_job_activates_a_due_reservation_anchored_on_its_date():
    trial = TrialSubscriptionFactory()
    convert(trial, start_on=date(2026, 12, 20), now=kst(2026, 12, 10))

    # the job runs two days late: paid service still started on the reserved date
    subscription = subscription_activate_reserved_conversion(subscription=trial, now=kst(2026, 12, 22), by=JOB)

    subscription.refresh_from_db()
    assert subscription.status == Status.ACTIVE
    assert (subscription.paid_start, subscription.term_end, subscription.next_invoice_on) == (
        date(2026, 12, 20),
        date(2027, 12, 19),
        date(2027, 1, 20),
    )
    assert segments_of(subscription) == [("basic", "annual", 5_000, 6_000, 10, date(2026, 12, 20), None)]
    assert list(Reservation.objects.filter(subscription=trial).values_list("state", flat=True)) == ["done"]
    assert events_of(subscription)[-1] == ("converted", "trial", "active", "job:test-job")


def test_the_job_leaves_a_reservation_that_is_not_due():
    trial = TrialSubscriptionFactory()
    convert(trial, start_on=date(2026, 12, 20), now=kst(2026, 12, 10))
    before = subscription_snapshot(trial)

    # 2026-12-19 23:30 KST: the reserved date has not come in Seoul
    subscription_activate_reserved_conversion(subscription=trial, now=kst(2026, 12, 19, 23, 30), by=JOB)

    assert subscription_snapshot(trial) == before


def test_a_withdrawn_reservation_does_nothing_when_the_job_comes():
    trial = TrialSubscriptionFactory()
    convert(trial, start_on=date(2026, 12, 20), now=kst(2026, 12, 10))
    subscription_withdraw_conversion(subscription=trial, by=customer_actor(trial.customer), now=kst(2026, 12, 19))
    before = subscription_snapshot(trial)

    subscription = subscription_activate_reserved_conversion(subscription=trial, now=kst(2026, 12, 20), by=JOB)

    assert subscription.status == Status.TRIAL
    assert subscription_snapshot(trial) == before


def test_activation_raises_annual_licences_to_the_members_registered_meanwhile():
    trial = TrialSubscriptionFactory()
    convert(trial, start_on=date(2026, 12, 20), now=kst(2026, 12, 10), licences=1)
    MemberFactory.create_batch(2, workspace=trial.workspace)

    subscription = subscription_activate_reserved_conversion(subscription=trial, now=kst(2026, 12, 20), by=JOB)

    assert subscription.licences == 3
    assert segments_of(subscription)[0][4] == 3
    assert last_event(subscription).details["licences_raised_to_members"] == 3


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({"start_on": date(2026, 12, 9)}, "from 2026-12-10 to 2027-01-29", id="start-yesterday"),
        pytest.param({"start_on": date(2027, 1, 30)}, "from 2026-12-10 to 2027-01-29", id="start-after-grace"),
        pytest.param({"licences": None}, "number of licences", id="annual-without-licences"),
        pytest.param({"licences": 2}, "at least 3 licences", id="annual-below-members"),
        pytest.param({"contract_type": "weekly"}, "monthly or annual", id="unknown-contract"),
    ],
)
def test_conversion_rules_are_enforced(arguments, message):
    trial = TrialSubscriptionFactory()
    MemberFactory.create_batch(2, workspace=trial.workspace)
    before = subscription_snapshot(trial)
    terms = {"start_on": date(2026, 12, 10), "licences": 10, "contract_type": "annual", **arguments}

    with pytest.raises(ValidationError, match=message):
        convert(trial, now=kst(2026, 12, 10), **terms)

    assert subscription_snapshot(trial) == before


def test_a_retired_plan_cannot_be_chosen():
    trial = TrialSubscriptionFactory()
    premium = plan("premium")
    premium.is_active = False
    premium.save()
    before = subscription_snapshot(trial)

    with pytest.raises(ValidationError, match="no longer offered"):
        convert(trial, start_on=date(2026, 12, 10), now=kst(2026, 12, 10), plan_code="premium")

    assert subscription_snapshot(trial) == before


def test_an_active_subscription_cannot_convert_again():
    active = ActiveSubscriptionFactory()
    before = subscription_snapshot(active)

    with pytest.raises(ValidationError, match="not available"):
        convert(active, start_on=date(2027, 1, 5), now=kst(2027, 1, 5))

    assert subscription_snapshot(active) == before


def test_a_trial_with_a_reserved_cancellation_cannot_convert():
    trial = TrialSubscriptionFactory()
    Reservation.objects.create(subscription=trial, kind=Reservation.Kind.CANCELLATION, effective_on=date(2026, 12, 20))
    before = subscription_snapshot(trial)

    with pytest.raises(ValidationError, match="not available"):
        convert(trial, start_on=date(2026, 12, 10), now=kst(2026, 12, 10))

    assert subscription_snapshot(trial) == before


# --- renewal option (SPEC 5.3) --------------------------------------------------------------------------------


def set_option(subscription, option, licences=None, now=None):
    return subscription_set_renewal_option(
        subscription=subscription,
        option=option,
        licences=licences,
        by=customer_actor(subscription.customer),
        now=now or kst(2027, 3, 1),
    )


def test_an_annual_renewal_may_lower_the_licences_of_the_next_term():
    active = ActiveSubscriptionFactory()

    set_option(active, RenewalOption.RENEW_ANNUAL, licences=5)

    active.refresh_from_db()
    assert (active.renewal_option, active.renewal_licences, active.licences) == ("renew_annual", 5, 10)
    assert events_of(active) == [("renewal_option_changed", "active", "active", "customer")]
    assert last_event(active).details == {
        "from": {"option": "", "licences": None},
        "to": {"option": "renew_annual", "licences": 5},
        "effective_on": "2027-12-15",
    }


def test_an_annual_renewal_without_licences_keeps_the_current_count():
    active = ActiveSubscriptionFactory()

    set_option(active, RenewalOption.RENEW_ANNUAL)

    active.refresh_from_db()
    assert (active.renewal_option, active.renewal_licences) == ("renew_annual", None)


@pytest.mark.parametrize("option", [RenewalOption.SWITCH_TO_MONTHLY, RenewalOption.DO_NOT_RENEW])
def test_other_options_take_no_licences(option):
    active = ActiveSubscriptionFactory()

    set_option(active, option, licences=3)

    active.refresh_from_db()
    assert (active.renewal_option, active.renewal_licences) == (option, None)


def test_a_monthly_contract_renews_as_annual_with_the_licences_given():
    monthly = ActiveSubscriptionFactory(contract_type=ContractType.MONTHLY)

    set_option(monthly, RenewalOption.RENEW_ANNUAL, licences=3, now=kst(2027, 1, 5))

    monthly.refresh_from_db()
    assert (monthly.renewal_option, monthly.renewal_licences) == ("renew_annual", 3)


def test_the_same_option_twice_writes_one_event():
    active = ActiveSubscriptionFactory()
    set_option(active, RenewalOption.DO_NOT_RENEW)

    set_option(active, RenewalOption.DO_NOT_RENEW)

    assert len(events_of(active)) == 1


@pytest.mark.parametrize(
    ("factory_kwargs", "option", "licences", "now", "message"),
    [
        pytest.param({}, "weekly", None, kst(2027, 3, 1), "Choose a renewal option", id="unknown-option"),
        pytest.param({}, "renew_annual", 1, kst(2027, 3, 1), "at least 3 licences", id="below-members"),
        pytest.param(
            {"contract_type": "monthly"},
            "renew_annual",
            None,
            kst(2027, 1, 5),
            "number of licences",
            id="monthly-none",
        ),
    ],
)
def test_renewal_option_rules_are_enforced(factory_kwargs, option, licences, now, message):
    active = ActiveSubscriptionFactory(**factory_kwargs)
    MemberFactory.create_batch(2, workspace=active.workspace)
    before = subscription_snapshot(active)

    with pytest.raises(ValidationError, match=message):
        set_option(active, option, licences=licences, now=now)

    assert subscription_snapshot(active) == before


@pytest.mark.parametrize("status", [Status.TRIAL, Status.SUSPENDED])
def test_only_active_subscriptions_have_a_renewal_option(status):
    trial = TrialSubscriptionFactory(status=status)
    before = subscription_snapshot(trial)

    with pytest.raises(ValidationError, match="not available"):
        set_option(trial, RenewalOption.DO_NOT_RENEW, now=kst(2026, 12, 10))

    assert subscription_snapshot(trial) == before


# --- renewal at the term's end (SPEC 5.3, 6) ------------------------------------------------------------------


def renew(subscription, now):
    return subscription_renew_at_term_end(subscription=subscription, now=now, by=JOB)


def test_without_a_setting_an_annual_contract_continues_monthly():
    active = ActiveSubscriptionFactory()

    subscription = renew(active, kst(2027, 12, 15))

    assert (subscription.contract_type, subscription.licences) == ("monthly", None)
    assert (subscription.term_start, subscription.term_end) == (date(2027, 12, 15), date(2028, 1, 14))
    assert segments_of(subscription) == [
        ("basic", "annual", 5_000, 6_000, 10, date(2026, 12, 15), date(2027, 12, 15)),
        ("basic", "monthly", 6_000, 6_000, None, date(2027, 12, 15), None),
    ]
    assert events_of(subscription) == [("renewed", "active", "active", "job:test-job")]


def test_an_annual_renewal_starts_a_new_term_at_the_catalog_price_of_the_day():
    active = ActiveSubscriptionFactory(renewal_option=RenewalOption.RENEW_ANNUAL, renewal_licences=5)
    basic = plan("basic")
    basic.annual_unit_price = 5_500
    basic.save()

    subscription = renew(active, kst(2027, 12, 15))

    assert (subscription.contract_type, subscription.licences, subscription.renewal_licences) == ("annual", 5, None)
    assert (subscription.term_start, subscription.term_end) == (date(2027, 12, 15), date(2028, 12, 14))
    assert segments_of(subscription) == [
        ("basic", "annual", 5_000, 6_000, 10, date(2026, 12, 15), date(2027, 12, 15)),
        ("basic", "annual", 5_500, 6_000, 5, date(2027, 12, 15), None),
    ]
    assert last_event(subscription).details == {
        "option": "renew_annual",
        "from_contract_type": "annual",
        "contract_type": "annual",
        "licences": 5,
        "unit_price": 5_500,
        "term_start": "2027-12-15",
        "term_end": "2028-12-14",
    }


def test_an_annual_renewal_never_goes_below_the_members():
    active = ActiveSubscriptionFactory(renewal_option=RenewalOption.RENEW_ANNUAL, renewal_licences=2)
    MemberFactory.create_batch(3, workspace=active.workspace)

    subscription = renew(active, kst(2027, 12, 15))

    assert subscription.licences == 4


def test_a_monthly_contract_rolls_into_its_next_period():
    monthly = ActiveSubscriptionFactory(contract_type=ContractType.MONTHLY)
    segments = segments_of(monthly)

    subscription = renew(monthly, kst(2027, 1, 15))

    assert (subscription.term_start, subscription.term_end) == (date(2027, 1, 15), date(2027, 2, 14))
    assert segments_of(subscription) == segments
    assert events_of(subscription) == []


def test_a_late_run_catches_up_every_ended_monthly_term():
    monthly = ActiveSubscriptionFactory(contract_type=ContractType.MONTHLY)

    subscription = renew(monthly, kst(2027, 3, 20))

    assert (subscription.term_start, subscription.term_end) == (date(2027, 3, 15), date(2027, 4, 14))


def test_a_monthly_contract_set_to_renew_as_annual_switches_at_its_term_end():
    monthly = ActiveSubscriptionFactory(
        contract_type=ContractType.MONTHLY, renewal_option=RenewalOption.RENEW_ANNUAL, renewal_licences=4
    )

    subscription = renew(monthly, kst(2027, 1, 15))

    assert (subscription.contract_type, subscription.licences) == ("annual", 4)
    # twelve billing periods from period 1 of the anchor 2026-12-15
    assert (subscription.term_start, subscription.term_end) == (date(2027, 1, 15), date(2028, 1, 14))
    assert segments_of(subscription)[-1] == ("basic", "annual", 5_000, 6_000, 4, date(2027, 1, 15), None)


def test_do_not_renew_ends_the_service_the_day_after_the_term_without_penalty():
    active = ActiveSubscriptionFactory(renewal_option=RenewalOption.DO_NOT_RENEW)

    subscription = renew(active, kst(2027, 12, 15))

    subscription.refresh_from_db()
    assert (subscription.status, subscription.terminated_on) == ("terminated", date(2027, 12, 15))
    assert subscription.workspace is None
    assert subscription.purged_at is not None
    # the twelve periods of the term, each 5,000 x 10 = 50,000 + VAT; no penalty anywhere
    invoices = Invoice.objects.filter(subscription=subscription)
    assert sorted(invoices.values_list("period_index", flat=True)) == list(range(12))
    assert set(invoices.values_list("total", flat=True)) == {55_000}
    assert not invoices.filter(lines__kind="penalty").exists()
    assert [kind for kind, *_ in events_of(subscription)] == ["not_renewed", "purged"]


def test_renewal_is_idempotent_and_waits_for_the_term_end():
    active = ActiveSubscriptionFactory()
    renew(active, kst(2027, 12, 14, 23, 59))
    assert events_of(active) == []

    renew(active, kst(2027, 12, 15))
    after_first = subscription_snapshot(active)
    renew(active, kst(2027, 12, 15, 11))

    assert subscription_snapshot(active) == after_first


def test_a_cancellation_on_the_penalty_free_date_wins_over_the_renewal():
    active = ActiveSubscriptionFactory(renewal_option=RenewalOption.RENEW_ANNUAL)
    Reservation.objects.create(
        subscription=active, kind=Reservation.Kind.CANCELLATION, effective_on=date(2027, 12, 15)
    )
    before = subscription_snapshot(active)

    renew(active, kst(2027, 12, 15))

    assert subscription_snapshot(active) == before


# --- upgrade (SPEC 5.4) ---------------------------------------------------------------------------------------


def upgrade(subscription, plan_code, now):
    return subscription_upgrade(
        subscription=subscription, plan=plan(plan_code), by=customer_actor(subscription.customer), now=now
    )


def test_a_trial_upgrade_changes_the_plan_and_keeps_the_trial_end():
    trial = TrialSubscriptionFactory(plan_code="lite")

    upgrade(trial, "premium", kst(2026, 12, 10))

    trial.refresh_from_db()
    assert (trial.plan.code, trial.status, trial.trial_last_day) == ("premium", "trial", date(2026, 12, 30))
    assert not RateSegment.objects.filter(subscription=trial).exists()
    assert events_of(trial) == [("upgraded", "trial", "trial", "customer")]
    assert last_event(trial).details == {"from_plan": "lite", "to_plan": "premium", "effective_on": "2026-12-10"}


def test_a_trial_upgrade_moves_a_reserved_conversion_up_to_the_new_plan():
    trial = TrialSubscriptionFactory(plan_code="lite")
    convert(trial, start_on=date(2026, 12, 20), now=kst(2026, 12, 10), plan_code="lite", contract_type="monthly")

    upgrade(trial, "basic", kst(2026, 12, 11))

    assert list(
        Reservation.objects.filter(subscription=trial).values_list("plan__code", "contract_type", "effective_on")
    ) == [("basic", "monthly", date(2026, 12, 20))]
    assert last_event(trial).details["reserved_conversion_plan"] == {"from": "lite", "to": "basic"}


def test_an_active_upgrade_starts_a_segment_today_and_the_invoice_prorates_both():
    active = ActiveSubscriptionFactory()

    upgrade(active, "premium", kst(2027, 2, 1))

    active.refresh_from_db()
    assert active.plan.code == "premium"
    assert segments_of(active) == [
        ("basic", "annual", 5_000, 6_000, 10, date(2026, 12, 15), date(2027, 2, 1)),
        ("premium", "annual", 10_000, 12_000, 10, date(2027, 2, 1), None),
    ]
    invoice = issue_due(active, kst(2027, 2, 15))[-1]
    # period 1 = 01-15 .. 02-14 (31 days): 50,000 x 17/31 = 27,419; 100,000 x 14/31 = 45,161
    assert list(invoice.lines.values_list("plan_name", "days", "amount")) == [
        ("Basic", 17, 27_419),
        ("Premium", 14, 45_161),
    ]
    assert (invoice.subtotal, invoice.vat, invoice.total) == (72_580, 7_258, 79_838)


def test_a_monthly_upgrade_keeps_billing_members_at_the_new_monthly_price():
    monthly = ActiveSubscriptionFactory(contract_type=ContractType.MONTHLY, plan_code="lite")

    upgrade(monthly, "basic", kst(2027, 1, 3))

    assert segments_of(monthly)[-1] == ("basic", "monthly", 6_000, 6_000, None, date(2027, 1, 3), None)


def test_an_upgrade_on_the_segment_start_day_replaces_it():
    trial = TrialSubscriptionFactory(plan_code="lite")
    convert(trial, start_on=date(2026, 12, 10), now=kst(2026, 12, 10), plan_code="lite")

    upgrade(trial, "basic", kst(2026, 12, 10, 15))

    assert segments_of(trial) == [("basic", "annual", 5_000, 6_000, 10, date(2026, 12, 10), None)]


@pytest.mark.parametrize(
    ("plan_code", "target", "message"),
    [
        pytest.param("basic", "basic", "higher tier than Basic", id="same-tier"),
        pytest.param("basic", "lite", "higher tier than Basic", id="lower-tier"),
        # No plan above Premium: the allowed-actions table itself refuses the upgrade (issue 12).
        pytest.param("premium", "lite", "not available for this subscription", id="from-the-top"),
    ],
)
def test_only_a_higher_tier_is_accepted(plan_code, target, message):
    active = ActiveSubscriptionFactory(plan_code=plan_code)
    before = subscription_snapshot(active)

    with pytest.raises(ValidationError, match=message):
        upgrade(active, target, kst(2027, 2, 1))

    assert subscription_snapshot(active) == before


def test_a_suspended_trial_cannot_upgrade():
    suspended = TrialSubscriptionFactory(status=Status.SUSPENDED)
    before = subscription_snapshot(suspended)

    with pytest.raises(ValidationError, match="not available"):
        upgrade(suspended, "premium", kst(2027, 1, 5))

    assert subscription_snapshot(suspended) == before


def test_no_upgrade_with_a_pending_cancellation():
    active = ActiveSubscriptionFactory()
    Reservation.objects.create(subscription=active, kind=Reservation.Kind.CANCELLATION, effective_on=date(2027, 6, 1))
    before = subscription_snapshot(active)

    with pytest.raises(ValidationError, match="not available"):
        upgrade(active, "premium", kst(2027, 2, 1))

    assert subscription_snapshot(active) == before


# --- licences (SPEC 3) ----------------------------------------------------------------------------------------


def increase(subscription, licences, now=None):
    return subscription_increase_licences(
        subscription=subscription,
        licences=licences,
        by=customer_actor(subscription.customer),
        now=now or kst(2027, 1, 20),
    )


def test_licences_increase_from_today_at_the_agreed_price():
    active = ActiveSubscriptionFactory()
    basic = plan("basic")
    basic.annual_unit_price = 5_500  # a catalog change does not reach a running contract
    basic.save()

    increase(active, 15)

    active.refresh_from_db()
    assert active.licences == 15
    assert segments_of(active) == [
        ("basic", "annual", 5_000, 6_000, 10, date(2026, 12, 15), date(2027, 1, 20)),
        ("basic", "annual", 5_000, 6_000, 15, date(2027, 1, 20), None),
    ]
    assert events_of(active) == [("licences_increased", "active", "active", "customer")]
    assert last_event(active).details == {"from": 10, "to": 15, "effective_on": "2027-01-20"}


@pytest.mark.parametrize("licences", [pytest.param(8, id="fewer"), pytest.param(10, id="same")])
def test_licences_are_never_reduced_before_renewal(licences):
    active = ActiveSubscriptionFactory()
    before = subscription_snapshot(active)

    with pytest.raises(ValidationError, match="reduced at renewal"):
        increase(active, licences)

    assert subscription_snapshot(active) == before


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: ActiveSubscriptionFactory(contract_type=ContractType.MONTHLY), id="monthly"),
        pytest.param(TrialSubscriptionFactory, id="trial"),
    ],
)
def test_only_active_annual_contracts_add_licences(make):
    subscription = make()
    before = subscription_snapshot(subscription)

    with pytest.raises(ValidationError, match="active annual contracts only"):
        increase(subscription, 20)

    assert subscription_snapshot(subscription) == before
