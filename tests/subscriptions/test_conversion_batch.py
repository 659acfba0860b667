"""The conversion job for a whole chunk (SPEC 5.2, 6): each reserved contract starts on its own date, in a number of
queries that does not depend on the number of subscriptions.

The trial of TrialSubscriptionFactory was applied on 2026-12-01 (last trial day 2026-12-30, grace to 2027-01-29).
Catalog: Lite 3,000 / 3,600, Basic 5,000 / 6,000, Premium 10,000 / 12,000 (annual / monthly, KRW).
"""

from datetime import UTC, date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from billing.models import ContractType, RateSegment
from subscriptions.lifecycle import ACTIVATE_CONVERSIONS, JOBS
from subscriptions.models import LifecycleEvent, Reservation, Status, Subscription
from subscriptions.services import jobs
from subscriptions.services.core import customer_actor, job_actor
from subscriptions.services.paid import (
    subscription_activate_reserved_conversion_many,
    subscription_convert,
)
from tests.billing.factories import kst
from tests.subscriptions.factories import (
    ConversionReservationFactory,
    SuspendedSubscriptionFactory,
    TrialSubscriptionFactory,
    plan,
)
from tests.workspaces.factories import MemberFactory
from works_console.dates import kst_date

pytestmark = pytest.mark.django_db

ACTIVATION = JOBS[ACTIVATE_CONVERSIONS][0]
JOB = job_actor(ACTIVATE_CONVERSIONS)
NOW = date(2026, 12, 20)
JOB_RUN = kst(2026, 12, 20, 0, 10)  # the job's first run on the reserved day


def claimed(subscriptions, now) -> list[Subscription]:
    """The chunk as the job hands it over: due rows, locked, in id order (call inside a transaction)."""
    return jobs._claim(ACTIVATION, kst_date(now), [subscription.pk for subscription in subscriptions])


def rows_of(subscriptions) -> list[dict]:
    """What a conversion writes, per subscription, without ids that differ between two identical set-ups."""
    result = []
    for subscription in subscriptions:
        row = Subscription.objects.values(
            "status",
            "plan__code",
            "paid_start",
            "contract_type",
            "licences",
            "term_start",
            "term_end",
            "renewal_option",
            "renewal_licences",
            "next_period_index",
            "next_invoice_on",
        ).get(pk=subscription.pk)
        reservations = list(
            Reservation.objects.filter(subscription=subscription)
            .order_by("id")
            .values_list("pk", "kind", "state", "effective_on", "resolved_at")
        )
        segments = list(
            RateSegment.objects.filter(subscription=subscription)
            .order_by("starts_on", "id")
            .values_list(
                "plan__code", "contract_type", "unit_price", "list_unit_price", "quantity", "starts_on", "ends_on"
            )
        )
        events = []
        for kind, from_status, to_status, actor, actor_user, at, details in (
            LifecycleEvent.objects.filter(subscription=subscription)
            .order_by("id")
            .values_list("kind", "from_status", "to_status", "actor", "actor_user", "at", "details")
        ):
            # Ids differ between two set-ups: the person is the subscription's customer or nobody, the reservation is
            # the subscription's own.
            if "reservation" in details:
                details = {**details, "reservation": [r[0] for r in reservations].index(details["reservation"])}
            by_customer = actor_user == subscription.customer_id
            events.append((kind, from_status, to_status, actor, by_customer, at, details))
        result.append(
            {
                "row": row,
                "reservations": [r[1:] for r in reservations],
                "segments": segments,
                "events": events,
            }
        )
    return result


def reserve(subscription, *, plan_code: str, contract_type: str, licences: int | None, start_on: date) -> None:
    subscription_convert(
        subscription=subscription,
        plan=plan(plan_code),
        contract_type=contract_type,
        licences=licences,
        start_on=start_on,
        by=customer_actor(subscription.customer),
        now=kst(2026, 12, 10),
    )


def conversion_scenarios() -> list[Subscription]:
    annual = TrialSubscriptionFactory()
    reserve(annual, plan_code="premium", contract_type=ContractType.ANNUAL, licences=25, start_on=NOW)
    monthly = TrialSubscriptionFactory()
    reserve(monthly, plan_code="basic", contract_type=ContractType.MONTHLY, licences=None, start_on=NOW)
    grown = TrialSubscriptionFactory()
    reserve(grown, plan_code="basic", contract_type=ContractType.ANNUAL, licences=1, start_on=NOW)
    MemberFactory.create_batch(2, workspace=grown.workspace)
    # reserved for an earlier day the job missed: still anchored on its own date
    late = TrialSubscriptionFactory()
    reserve(late, plan_code="lite", contract_type=ContractType.ANNUAL, licences=3, start_on=date(2026, 12, 18))
    suspended = SuspendedSubscriptionFactory()
    ConversionReservationFactory(
        subscription=suspended, plan=plan("lite"), contract_type=ContractType.MONTHLY, licences=None, effective_on=NOW
    )
    return [annual, monthly, grown, late, suspended]


def contract(subscription_row: dict) -> tuple:
    row = subscription_row["row"]
    return tuple(
        row[key]
        for key in ("status", "plan__code", "paid_start", "contract_type", "licences", "term_start", "term_end")
    ) + (row["next_period_index"], row["next_invoice_on"])


def test_a_chunk_starts_each_reserved_contract_on_its_own_date_at_the_catalog_prices():
    now = JOB_RUN
    in_bulk = conversion_scenarios()

    with transaction.atomic():
        chunk = claimed(in_bulk, now)
        converted = subscription_activate_reserved_conversion_many(subscriptions=chunk, now=now, by=JOB)

    assert converted == 5
    # the chunk's objects are the converted rows too
    assert [subscription.status for subscription in chunk] == [Status.ACTIVE] * 5
    annual, monthly, grown, late, suspended = rows_of(in_bulk)
    first_due, year_end, month_end = date(2027, 1, 20), date(2027, 12, 19), date(2027, 1, 19)
    assert [contract(row) for row in (annual, monthly, grown, late, suspended)] == [
        ("active", "premium", NOW, "annual", 25, NOW, year_end, 0, first_due),
        ("active", "basic", NOW, "monthly", None, NOW, month_end, 0, first_due),
        # the workspace grew to 3 members after the reservation for 1 licence
        ("active", "basic", NOW, "annual", 3, NOW, year_end, 0, first_due),
        # reserved for an earlier day the job missed: still anchored on its own date
        (
            "active",
            "lite",
            date(2026, 12, 18),
            "annual",
            3,
            date(2026, 12, 18),
            date(2027, 12, 17),
            0,
            date(2027, 1, 18),
        ),
        ("active", "lite", NOW, "monthly", None, NOW, month_end, 0, first_due),
    ]
    assert [row["segments"] for row in (annual, monthly, grown, late, suspended)] == [
        [("premium", "annual", 10_000, 12_000, 25, NOW, None)],
        [("basic", "monthly", 6_000, 6_000, None, NOW, None)],
        [("basic", "annual", 5_000, 6_000, 3, NOW, None)],
        [("lite", "annual", 3_000, 3_600, 3, date(2026, 12, 18), None)],
        [("lite", "monthly", 3_600, 3_600, None, NOW, None)],
    ]
    converted_at = now.astimezone(UTC)
    assert grown["events"][-1] == (
        "converted",
        "trial",
        "active",
        JOB[0],
        False,
        converted_at,
        {
            "plan": "basic",
            "contract_type": "annual",
            "licences": 1,
            "start_on": "2026-12-20",
            "reservation": 0,
            "licences_raised_to_members": 3,
            "unit_price": 5_000,
            "term_end": "2027-12-19",
        },
    )
    assert suspended["events"] == [
        (
            "converted",
            "suspended",
            "active",
            JOB[0],
            False,
            converted_at,
            {
                "plan": "lite",
                "contract_type": "monthly",
                "licences": None,
                "start_on": "2026-12-20",
                "reservation": 0,
                "unit_price": 3_600,
                "term_end": "2027-01-19",
            },
        )
    ]
    for row in rows_of(in_bulk):
        assert row["reservations"][-1][1:] == ("done", row["row"]["paid_start"], converted_at)


def test_reservations_withdrawn_or_not_yet_due_do_nothing():
    now = JOB_RUN
    withdrawn = TrialSubscriptionFactory()
    ConversionReservationFactory(subscription=withdrawn, state=Reservation.State.WITHDRAWN, effective_on=NOW)
    not_due = TrialSubscriptionFactory()
    ConversionReservationFactory(subscription=not_due, effective_on=date(2026, 12, 21))
    before = rows_of([withdrawn, not_due])

    with transaction.atomic():
        converted = subscription_activate_reserved_conversion_many(
            subscriptions=list(Subscription.objects.filter(pk__in=[withdrawn.pk, not_due.pk]).order_by("pk")),
            now=now,
            by=JOB,
        )

    assert converted == 0
    assert rows_of([withdrawn, not_due]) == before


def test_a_conversion_meeting_an_open_rate_segment_ends_it_on_the_start_date():
    # A trial never has a rate segment; should one be open anyway, it ends on the start date, as any open segment
    # does when new terms start.
    now = JOB_RUN
    odd, normal = TrialSubscriptionFactory(), TrialSubscriptionFactory()
    for subscription in (odd, normal):
        reserve(subscription, plan_code="basic", contract_type=ContractType.MONTHLY, licences=None, start_on=NOW)
    RateSegment.objects.create(
        subscription=odd,
        plan=plan("lite"),
        contract_type=ContractType.MONTHLY,
        unit_price=3_600,
        list_unit_price=3_600,
        starts_on=date(2026, 12, 1),
    )

    with transaction.atomic():
        converted = subscription_activate_reserved_conversion_many(
            subscriptions=claimed([odd, normal], now), now=now, by=JOB
        )

    assert converted == 2
    odd_row, normal_row = rows_of([odd, normal])
    assert odd_row["segments"] == [
        ("lite", "monthly", 3_600, 3_600, None, date(2026, 12, 1), NOW),
        ("basic", "monthly", 6_000, 6_000, None, NOW, None),
    ]
    assert normal_row["segments"] == [("basic", "monthly", 6_000, 6_000, None, NOW, None)]
    assert [row["row"]["status"] for row in (odd_row, normal_row)] == [Status.ACTIVE, Status.ACTIVE]


# --- queries per chunk (SPEC 6: bounded, not per row) ------------------------------------------------------------


def activation_queries(count: int, *, contract_type: str) -> int:
    now = JOB_RUN
    trials = TrialSubscriptionFactory.create_batch(count)
    for trial in trials:
        ConversionReservationFactory(
            subscription=trial,
            contract_type=contract_type,
            licences=5 if contract_type == ContractType.ANNUAL else None,
            effective_on=NOW,
        )
    with transaction.atomic():
        chunk = claimed(trials, now)
        with CaptureQueriesContext(connection) as queries:
            converted = ACTIVATION.process(chunk, now)
    assert converted == count
    return len(queries)


@pytest.mark.parametrize(
    ("contract_type", "expected"),
    [
        # reservations, their plans (one object per plan, issue 17), reservations UPDATE, open segments, segments
        # INSERT, subscriptions UPDATE, events INSERT
        pytest.param(ContractType.MONTHLY, 7, id="monthly"),
        # + the member counts of the annual workspaces
        pytest.param(ContractType.ANNUAL, 8, id="annual"),
    ],
)
def test_the_conversion_step_runs_as_many_queries_for_50_subscriptions_as_for_one(contract_type, expected):
    one = activation_queries(1, contract_type=contract_type)
    fifty = activation_queries(50, contract_type=contract_type)

    assert one == fifty == expected
