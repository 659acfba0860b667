"""What a customer does at 00:05, before the run, and what the jobs make of it later (issue 22).

A change made between a date's coming and the next run starts from the contract of the day (the row is brought up
to date first, ``services.core.lock_current``), and leaves exactly what the same change made after the run leaves;
the jobs, catching up on time, days late or in another order (SPEC 6), then bill it right to the won.

Contracts as in test_calendar_hours: Basic, anchored 2028-06-01, the admin account the only member (a monthly
period bills 6,000 for it); annual with 10 licences at 5,000 (list 6,000).
"""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from billing.models import ContractType, Invoice, RateSegment
from subscriptions.lifecycle import EXECUTE_CANCELLATIONS, JOBS, RENEW
from subscriptions.models import LifecycleEvent, RenewalOption, Reservation, Status, Subscription
from subscriptions.preview import preview_lifecycle
from subscriptions.services.cancel import subscription_cancel, subscription_withdraw_cancellation
from subscriptions.services.core import customer_actor
from subscriptions.services.paid import (
    subscription_increase_licences,
    subscription_upgrade,
    subscription_withdraw_conversion,
)
from subscriptions.services.renewal import subscription_set_renewal_option
from tests.billing.factories import kst, subscription_snapshot
from tests.lifecycle import run_jobs, run_lifecycle
from tests.subscriptions.factories import ConversionReservationFactory, TrialSubscriptionFactory, plan
from tests.subscriptions.test_calendar_hours import contract

pytestmark = pytest.mark.django_db


def fresh(subscription) -> Subscription:
    return Subscription.objects.select_related("plan", "workspace").get(pk=subscription.pk)


def by(subscription):
    return customer_actor(subscription.customer)


def invoices_of(subscription) -> list[tuple]:
    """Every invoice: period, its dates, final or not, its lines (kind, days, amount) and total."""
    return [
        (
            invoice.period_index,
            invoice.period_start,
            invoice.period_end,
            invoice.is_final,
            list(invoice.lines.order_by("id").values_list("kind", "days", "amount")),
            invoice.total,
        )
        for invoice in Invoice.objects.filter(subscription=subscription).order_by("period_index")
    ]


def segments_of(subscription) -> list[tuple]:
    return list(
        RateSegment.objects.filter(subscription=subscription)
        .order_by("starts_on", "id")
        .values_list("plan__code", "contract_type", "unit_price", "quantity", "starts_on", "ends_on")
    )


# --- the case: a cancellation reserved at 00:05 before the run ------------------------------------------

MONTHLY_RUNS = {
    "on-time": [(kst(2028, 7, 1, 0, 10), list(JOBS)), (kst(2028, 7, 10, 0, 10), list(JOBS))],
    "three-days-of-missed-runs": [(kst(2028, 7, 13, 0, 5), list(JOBS))],
    "cancellations-before-renewals": [(kst(2028, 7, 13, 0, 5), [EXECUTE_CANCELLATIONS, RENEW])],
}


@pytest.mark.parametrize("runs", list(MONTHLY_RUNS.values()), ids=list(MONTHLY_RUNS))
def test_a_monthly_cancellation_reserved_at_0005_for_the_10th_is_carried_out_by_the_later_runs(runs):
    subscription = contract(ContractType.MONTHLY, "")
    run_lifecycle(kst(2028, 6, 30, 23, 55))

    subscription_cancel(
        subscription=fresh(subscription), on=date(2028, 7, 10), by=by(subscription), now=kst(2028, 7, 1, 0, 5)
    )
    for now, jobs in runs:
        run_jobs(now, jobs)

    ended = fresh(subscription)
    assert (ended.status, ended.terminated_on) == (Status.TERMINATED, date(2028, 7, 10))
    # June at 6,000 for the admin; then 2028-07-01 .. 07-09: 6,000 x 9/31 = 1,741.9 -> 1,741 (VAT 174)
    assert invoices_of(subscription) == [
        (0, date(2028, 6, 1), date(2028, 6, 30), False, [("usage", 30, 6_000)], 6_600),
        (1, date(2028, 7, 1), date(2028, 7, 9), True, [("usage", 9, 1_741)], 1_915),
    ]
    assert Reservation.objects.get(subscription=subscription).state == Reservation.State.DONE


ANNUAL_RUNS = {
    "on-time": [(kst(2029, 6, 1, 0, 10), list(JOBS)), (kst(2029, 6, 10, 0, 10), list(JOBS))],
    "three-days-of-missed-runs": [(kst(2029, 6, 13, 0, 5), list(JOBS))],
    "cancellations-before-renewals": [(kst(2029, 6, 13, 0, 5), [EXECUTE_CANCELLATIONS, RENEW])],
}


@pytest.mark.parametrize("runs", list(ANNUAL_RUNS.values()), ids=list(ANNUAL_RUNS))
def test_an_annual_cancellation_reserved_at_0005_of_a_renewed_term_owes_that_term_s_penalty(runs):
    subscription = contract(ContractType.ANNUAL, RenewalOption.RENEW_ANNUAL)
    run_lifecycle(kst(2029, 5, 31, 23, 55))

    subscription_cancel(
        subscription=fresh(subscription), on=date(2029, 6, 10), by=by(subscription), now=kst(2029, 6, 1, 0, 5)
    )
    for now, jobs in runs:
        run_jobs(now, jobs)

    ended = fresh(subscription)
    assert (ended.status, ended.terminated_on) == (Status.TERMINATED, date(2029, 6, 10))
    # term 1 from 2029-06-01: usage 50,000 x 9/30 = 15,000; penalty 10% x (10,000 x 9/30 + 50,000 x (21/30 + 11))
    # = 10% x 588,000 = 58,800; VAT 10% of 73,800
    *_, may, final = invoices_of(subscription)
    assert may == (11, date(2029, 5, 1), date(2029, 5, 31), False, [("usage", 31, 50_000)], 55_000)
    assert final == (
        12,
        date(2029, 6, 1),
        date(2029, 6, 9),
        True,
        [("usage", 9, 15_000), ("penalty", None, 58_800)],
        81_180,
    )
    assert segments_of(subscription) == [
        ("basic", "annual", 5_000, 10, date(2028, 6, 1), date(2029, 6, 1)),
        ("basic", "annual", 5_000, 10, date(2029, 6, 1), date(2029, 6, 10)),
    ]


def test_a_cancellation_reserved_before_the_term_end_for_the_day_after_still_wins_over_the_renewal():
    subscription = contract(ContractType.ANNUAL, RenewalOption.RENEW_ANNUAL)
    run_lifecycle(kst(2029, 5, 20, 10, 0))
    subscription_cancel(
        subscription=fresh(subscription), on=date(2029, 6, 1), by=by(subscription), now=kst(2029, 5, 20)
    )

    run_jobs(kst(2029, 6, 3, 0, 5), [EXECUTE_CANCELLATIONS, RENEW])

    ended = fresh(subscription)
    assert (ended.status, ended.terminated_on, ended.term_end) == (
        Status.TERMINATED,
        date(2029, 6, 1),
        date(2029, 5, 31),
    )
    assert not Invoice.objects.filter(subscription=subscription, lines__kind="penalty").exists()
    assert [row[0] for row in invoices_of(subscription)] == list(range(12))


# --- a change at 00:05 before the run leaves what the same change after the run leaves ---------------------------


def cancel_today(subscription, now):
    subscription_cancel(subscription=fresh(subscription), on=now.date(), by=by(subscription), now=now)


def upgrade_to_premium(subscription, now):
    subscription_upgrade(subscription=fresh(subscription), plan=plan("premium"), by=by(subscription), now=now)


def fifteen_licences(subscription, now):
    subscription_increase_licences(subscription=fresh(subscription), licences=15, by=by(subscription), now=now)


def do_not_renew(subscription, now):
    subscription_set_renewal_option(
        subscription=fresh(subscription),
        option=RenewalOption.DO_NOT_RENEW,
        licences=None,
        by=by(subscription),
        now=now,
    )


def renew_as_annual_with_12(subscription, now):
    subscription_set_renewal_option(
        subscription=fresh(subscription), option=RenewalOption.RENEW_ANNUAL, licences=12, by=by(subscription), now=now
    )


# (contract type, renewal option, the last day of its period or term, the change made the next day)
CHANGES = {
    "monthly-upgraded-on-the-first-day-of-a-period": (ContractType.MONTHLY, "", date(2028, 6, 30), upgrade_to_premium),
    "monthly-renewing-as-annual-upgraded": (
        ContractType.MONTHLY,
        RenewalOption.RENEW_ANNUAL,
        date(2028, 6, 30),
        upgrade_to_premium,
    ),
    "annual-renewed-upgraded-on-its-first-day": (
        ContractType.ANNUAL,
        RenewalOption.RENEW_ANNUAL,
        date(2029, 5, 31),
        upgrade_to_premium,
    ),
    "annual-switched-to-monthly-upgraded": (
        ContractType.ANNUAL,
        RenewalOption.SWITCH_TO_MONTHLY,
        date(2029, 5, 31),
        upgrade_to_premium,
    ),
    "annual-renewed-licences-added": (
        ContractType.ANNUAL,
        RenewalOption.RENEW_ANNUAL,
        date(2029, 5, 31),
        fifteen_licences,
    ),
    "annual-renewed-cancelled-today": (
        ContractType.ANNUAL,
        RenewalOption.RENEW_ANNUAL,
        date(2029, 5, 31),
        cancel_today,
    ),
    "annual-switched-to-monthly-cancelled-today": (
        ContractType.ANNUAL,
        RenewalOption.SWITCH_TO_MONTHLY,
        date(2029, 5, 31),
        cancel_today,
    ),
    "monthly-cancelled-today": (ContractType.MONTHLY, "", date(2028, 6, 30), cancel_today),
    "annual-renewed-then-not-renewed-again": (
        ContractType.ANNUAL,
        RenewalOption.RENEW_ANNUAL,
        date(2029, 5, 31),
        do_not_renew,
    ),
    "monthly-then-renewing-as-annual": (ContractType.MONTHLY, "", date(2028, 6, 30), renew_as_annual_with_12),
}


def at(day: date, hour: int, minute: int) -> datetime:
    return kst(day.year, day.month, day.day, hour, minute)


def after_a_change(contract_type, renewal_option, last_day, change, *, before_the_run: bool) -> dict:
    """The change made on the day after ``last_day``, at 00:05 before the run of 00:10 or at 00:20 after it; then
    the lifecycle runs a month and two months later. Everything the change and the jobs leave."""
    subscription = contract(contract_type, renewal_option)
    run_lifecycle(at(last_day, 23, 55))
    first_day = last_day + timedelta(days=1)
    if before_the_run:
        change(subscription, at(first_day, 0, 5))
        run_lifecycle(at(first_day, 0, 10))
    else:
        run_lifecycle(at(first_day, 0, 10))
        change(subscription, at(first_day, 0, 20))
    run_lifecycle(at(first_day + timedelta(days=35), 0, 10))
    run_lifecycle(at(first_day + timedelta(days=65), 0, 10))
    row = fresh(subscription)
    return {
        "row": (row.status, row.contract_type, row.licences, row.term_start, row.term_end, row.terminated_on),
        "renewal": (row.renewal_option, row.renewal_licences),
        "segments": segments_of(subscription),
        "invoices": invoices_of(subscription),
        "events": list(
            LifecycleEvent.objects.filter(subscription=subscription)
            .order_by("id")
            .values_list("kind", "from_status", "to_status", "actor")
        ),
    }


@pytest.mark.parametrize("case", list(CHANGES.values()), ids=list(CHANGES))
def test_a_change_at_0005_before_the_run_leaves_what_it_leaves_after_the_run(case):
    before = after_a_change(*case, before_the_run=True)
    after = after_a_change(*case, before_the_run=False)

    assert before == after
    assert before["invoices"]  # the lifecycle billed what followed


def test_an_upgrade_on_the_first_day_of_a_monthly_period_before_the_run_bills_june_basic_and_july_premium():
    subscription = contract(ContractType.MONTHLY, "")
    run_lifecycle(kst(2028, 6, 30, 23, 55))

    upgrade_to_premium(subscription, kst(2028, 7, 1, 0, 5))
    run_lifecycle(kst(2028, 7, 1, 0, 10))
    run_lifecycle(kst(2028, 8, 1, 0, 10))

    assert invoices_of(subscription) == [
        (0, date(2028, 6, 1), date(2028, 6, 30), False, [("usage", 30, 6_000)], 6_600),
        (1, date(2028, 7, 1), date(2028, 7, 31), False, [("usage", 31, 12_000)], 13_200),
    ]


def test_an_option_changed_at_0005_of_a_renewed_term_is_for_that_term_s_end():
    subscription = contract(ContractType.ANNUAL, RenewalOption.RENEW_ANNUAL)
    run_lifecycle(kst(2029, 5, 31, 23, 55))

    do_not_renew(subscription, kst(2029, 6, 1, 0, 5))
    run_lifecycle(kst(2029, 6, 1, 0, 10))

    row = fresh(subscription)
    assert (row.status, row.term_start, row.term_end) == (Status.ACTIVE, date(2029, 6, 1), date(2030, 5, 31))
    event = LifecycleEvent.objects.get(subscription=subscription, kind="renewal_option_changed")
    assert event.details["effective_on"] == "2030-06-01"
    # the renewal the change started from was applied under the renewal job's name
    renewed = LifecycleEvent.objects.filter(subscription=subscription, kind="renewed").get()
    assert (renewed.actor, renewed.details["term_end"]) == ("job:billing.tasks.renew_subscriptions", "2030-05-31")


# --- reserved dates that have come ---------------------------------------------------------------------------------


def test_a_cancellation_cannot_be_withdrawn_on_its_date_before_its_job_has_run():
    subscription = contract(ContractType.MONTHLY, "")
    subscription_cancel(
        subscription=fresh(subscription), on=date(2028, 6, 20), by=by(subscription), now=kst(2028, 6, 10)
    )
    before = subscription_snapshot(subscription)

    with pytest.raises(ValidationError, match="not available"):
        subscription_withdraw_cancellation(
            subscription=fresh(subscription), by=by(subscription), now=kst(2028, 6, 20, 0, 5)
        )

    assert subscription_snapshot(subscription) == before


def test_a_conversion_whose_date_has_come_cannot_be_withdrawn_but_the_paid_service_can_be_upgraded():
    trial = TrialSubscriptionFactory(applied_on=date(2028, 5, 1))
    ConversionReservationFactory(
        subscription=trial,
        plan=plan("basic"),
        contract_type=ContractType.MONTHLY,
        licences=None,
        effective_on=date(2028, 5, 20),
    )

    with pytest.raises(ValidationError, match="not available"):
        subscription_withdraw_conversion(subscription=trial, by=by(trial), now=kst(2028, 5, 20, 0, 5))
    subscription_upgrade(subscription=trial, plan=plan("premium"), by=by(trial), now=kst(2028, 5, 20, 0, 5))

    row = fresh(trial)
    assert (row.status, row.paid_start, row.plan.code) == (Status.ACTIVE, date(2028, 5, 20), "premium")
    assert segments_of(trial) == [("premium", "monthly", 12_000, None, date(2028, 5, 20), None)]
    assert list(LifecycleEvent.objects.filter(subscription=trial).order_by("id").values_list("kind", "actor")) == [
        ("converted", "job:subscriptions.tasks.activate_scheduled_conversions"),
        ("upgraded", "customer"),
    ]


def test_a_trial_past_its_last_day_cannot_be_upgraded_before_the_expiry_job_has_run():
    trial = TrialSubscriptionFactory(applied_on=date(2028, 5, 1))  # last trial day 2028-05-30
    before = subscription_snapshot(trial)

    with pytest.raises(ValidationError, match="not available"):
        subscription_upgrade(subscription=trial, plan=plan("premium"), by=by(trial), now=kst(2028, 5, 31, 0, 5))

    assert subscription_snapshot(trial) == before


# --- the dry-run preview describes what the run leaves, by the calendar -------------------------------------------


def renewal_summary(subscription, now: datetime) -> str:
    preview = preview_lifecycle(now=now, jobs=[RENEW])
    [item] = [item for item in preview.jobs[0].items if item.subscription_id == subscription.pk]
    return item.summary


@pytest.mark.parametrize(
    ("renewal_option", "at", "summary"),
    [
        pytest.param(
            RenewalOption.RENEW_ANNUAL,
            kst(2029, 6, 1, 0, 5),
            "renews as annual Basic at ₩5,000 per licence, term 2029-06-01 – 2030-05-31",
            id="renew-annual-0005-before-the-run",
        ),
        pytest.param(
            RenewalOption.RENEW_ANNUAL,
            kst(2030, 6, 3, 0, 5),
            "renews as annual Basic at ₩5,000 per licence, term 2030-06-01 – 2031-05-31",
            id="renew-annual-a-year-of-missed-runs-reaches-the-term-of-the-day",
        ),
        pytest.param(
            RenewalOption.SWITCH_TO_MONTHLY,
            kst(2029, 6, 3, 0, 5),
            "switches to monthly Basic at ₩6,000 per user from 2029-06-01",
            id="switch-to-monthly-three-days-of-missed-runs",
        ),
        pytest.param(
            RenewalOption.DO_NOT_RENEW,
            kst(2029, 6, 1, 0, 5),
            "not renewed: the service ends on 2029-06-01, purge",
            id="do-not-renew",
        ),
    ],
)
def test_the_dry_run_at_0005_describes_the_contract_the_run_leaves(renewal_option, at, summary):
    subscription = contract(ContractType.ANNUAL, renewal_option)
    run_lifecycle(kst(2029, 5, 31, 23, 55))

    assert renewal_summary(subscription, at) == summary


def test_the_dry_run_leaves_a_term_to_the_cancellation_reserved_for_the_day_after_it():
    subscription = contract(ContractType.ANNUAL, RenewalOption.RENEW_ANNUAL)
    run_lifecycle(kst(2029, 5, 20, 10, 0))
    subscription_cancel(
        subscription=fresh(subscription), on=date(2029, 6, 1), by=by(subscription), now=kst(2029, 5, 20)
    )

    assert renewal_summary(subscription, kst(2029, 6, 1, 0, 5)) == "left to the cancellation of 2029-06-01"
