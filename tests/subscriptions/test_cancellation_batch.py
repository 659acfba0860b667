"""The cancellation job for a whole chunk (SPEC 5.5, 5.6, 6): final invoices, states, events and purges, in a number
of queries that does not depend on the number of subscriptions.

ActiveSubscriptionFactory: Basic annual, 10 licences, anchored 2026-12-15 (period 1 = 2027-01-15 .. 2027-02-14,
period 2 = 2027-02-15 .. 2027-03-14), term to 2027-12-14. Trials were applied on 2026-12-01.
"""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from billing.models import ContractType, CustomerCredit, Invoice, InvoiceLine, RateSegment
from subscriptions.lifecycle import EXECUTE_CANCELLATIONS, JOBS
from subscriptions.models import LifecycleEvent, Reservation, Subscription
from subscriptions.services import jobs
from subscriptions.services.cancel import (
    subscription_execute_reserved_cancellation_many,
)
from subscriptions.services.core import customer_actor, job_actor
from subscriptions.services.paid import subscription_upgrade
from tests.accounts.factories import UserFactory
from tests.billing.factories import ActiveSubscriptionFactory, CreditGrantFactory, bulk_active_subscriptions, kst
from tests.subscriptions.factories import (
    ReservationFactory,
    SuspendedSubscriptionFactory,
    TrialSubscriptionFactory,
    plan,
)
from tests.workspaces.factories import MemberFactory
from works_console.dates import kst_date
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db

EXECUTION = JOBS[EXECUTE_CANCELLATIONS][0]
JOB = job_actor(EXECUTE_CANCELLATIONS)
JOB_RUN = kst(2027, 3, 1, 0, 10)


def claimed(subscriptions, now) -> list[Subscription]:
    """The chunk as the job hands it over: due rows, locked, in id order (call inside a transaction)."""
    return jobs._claim(EXECUTION, kst_date(now), [subscription.pk for subscription in subscriptions])


def outcome_of(subscriptions) -> list[dict]:
    """What ending a service writes, per subscription, without the ids that differ between two set-ups."""
    result = []
    for subscription in subscriptions:
        row = Subscription.objects.values(
            "status",
            "terminated_on",
            "next_period_index",
            "next_invoice_on",
            "workspace_id",
            "admin_account_id",
            "purged_at",
        ).get(pk=subscription.pk)
        invoices = list(Invoice.objects.filter(subscription=subscription).order_by("period_index"))
        period_of = {invoice.public_id: invoice.period_index for invoice in invoices}
        reservations = list(
            Reservation.objects.filter(subscription=subscription).order_by("id").values_list("pk", "state")
        )
        events = []
        for kind, from_status, to_status, actor, details in (
            LifecycleEvent.objects.filter(subscription=subscription)
            .order_by("id")
            .values_list("kind", "from_status", "to_status", "actor", "details")
        ):
            if "reservation" in details:
                details = {**details, "reservation": [pk for pk, _state in reservations].index(details["reservation"])}
            if details.get("final_invoice"):
                details = {**details, "final_invoice": period_of[details["final_invoice"]]}
            events.append((kind, from_status, to_status, actor, details))
        result.append(
            {
                "row": row,
                "invoices": [
                    (
                        invoice.period_index,
                        invoice.period_start,
                        invoice.period_end,
                        invoice.issued_on,
                        invoice.is_final,
                        invoice.subtotal,
                        invoice.credit_applied,
                        invoice.vat,
                        invoice.total,
                        list(
                            InvoiceLine.objects.filter(invoice=invoice)
                            .order_by("id")
                            .values_list("kind", "description", "unit_price", "quantity", "days", "amount")
                        ),
                        list(CustomerCredit.objects.filter(invoice=invoice).values_list("amount", flat=True)),
                    )
                    for invoice in invoices
                ],
                "segments": list(
                    RateSegment.objects.filter(subscription=subscription)
                    .order_by("starts_on", "id")
                    .values_list("plan__code", "contract_type", "unit_price", "quantity", "starts_on", "ends_on")
                ),
                "reservations": [state for _pk, state in reservations],
                "events": events,
            }
        )
    return result


def cancellation_scenarios() -> list[Subscription]:
    """Due cancellations of every kind in one chunk, made the same way each call; one customer's 130,000 credit
    runs out in its second subscription, so the order of consumption shows."""
    customer = UserFactory()
    CreditGrantFactory(customer=customer, amount=130_000)
    annual = ActiveSubscriptionFactory(customer=customer)  # periods 0, 1, then the final one of period 2
    ReservationFactory(subscription=annual, effective_on=date(2027, 3, 1))
    upgraded = ActiveSubscriptionFactory(customer=customer)
    subscription_upgrade(subscription=upgraded, plan=plan("premium"), by=customer_actor(customer), now=kst(2027, 2, 1))
    ReservationFactory(subscription=upgraded, effective_on=date(2027, 2, 20))
    monthly = ActiveSubscriptionFactory(contract_type=ContractType.MONTHLY)
    MemberFactory.create_batch(2, workspace=monthly.workspace)
    ReservationFactory(subscription=monthly, effective_on=date(2027, 2, 15))  # a period start: nothing of it used
    same_day = ActiveSubscriptionFactory(next_period_index=2, next_invoice_on=date(2027, 3, 15))
    ReservationFactory(subscription=same_day, effective_on=date(2027, 2, 15))  # period 2 start, with a penalty
    trial = TrialSubscriptionFactory()
    ReservationFactory(subscription=trial, effective_on=date(2026, 12, 20))
    suspended = SuspendedSubscriptionFactory()
    ReservationFactory(subscription=suspended, effective_on=date(2027, 1, 10))
    return [annual, upgraded, monthly, same_day, trial, suspended]


def summary_of(subscriptions) -> list[dict]:
    """``outcome_of``, shorter: the row's state and dates, each invoice's amounts and lines, the events."""
    return [
        {
            "row": tuple(o["row"][key] for key in ("status", "terminated_on", "next_period_index", "next_invoice_on")),
            "invoices": [
                (i[0], i[4], i[5], i[6], i[7], i[8], [(line[0], line[3], line[4], line[5]) for line in i[9]])
                for i in o["invoices"]
            ],
            "segments": o["segments"],
            "reservations": o["reservations"],
            "events": [(event[0], event[1], event[2], event[4]) for event in o["events"]],
        }
        for o in outcome_of(subscriptions)
    ]


def test_a_chunk_ends_every_service_with_its_final_invoice_and_purges_it():
    chunk = cancellation_scenarios()

    with transaction.atomic():
        ended = subscription_execute_reserved_cancellation_many(
            subscriptions=claimed(chunk, JOB_RUN), now=JOB_RUN, by=JOB
        )

    assert ended == 6
    annual, upgraded, monthly, same_day, trial, suspended = summary_of(chunk)
    purged = ("purged", "terminated", "terminated", {"members_deleted": 1})
    # usage 02-15 .. 02-28 = 25,000 + penalty 50,000 (SPEC 5.6); the credit settles periods 0 and 1 and the final
    # usage, never the penalty
    assert annual == {
        "row": ("terminated", date(2027, 3, 1), 3, None),
        "invoices": [
            (0, False, 50_000, 50_000, 0, 0, [("usage", 10, 31, 50_000)]),
            (1, False, 50_000, 50_000, 0, 0, [("usage", 10, 31, 50_000)]),
            (2, True, 75_000, 25_000, 5_000, 55_000, [("usage", 10, 14, 25_000), ("penalty", None, None, 50_000)]),
        ],
        "segments": [("basic", "annual", 5_000, 10, date(2026, 12, 15), date(2027, 3, 1))],
        "reservations": ["done"],
        "events": [
            (
                "cancelled",
                "active",
                "terminated",
                {"cancellation_date": "2027-03-01", "penalty": 50_000, "reservation": 0, "final_invoice": 2},
            ),
            purged,
        ],
    }
    # the last 5,000 of the credit; the penalty reads the Premium prices agreed on the upgrade
    assert upgraded["invoices"] == [
        (0, False, 50_000, 5_000, 4_500, 49_500, [("usage", 10, 31, 50_000)]),
        (1, False, 72_580, 0, 7_258, 79_838, [("usage", 10, 17, 27_419), ("usage", 10, 14, 45_161)]),
        (2, True, 118_880, 0, 11_888, 130_768, [("usage", 10, 5, 17_857), ("penalty", None, None, 101_023)]),
    ]
    assert upgraded["segments"] == [
        ("basic", "annual", 5_000, 10, date(2026, 12, 15), date(2027, 2, 1)),
        ("premium", "annual", 10_000, 10, date(2027, 2, 1), date(2027, 2, 20)),
    ]
    assert [event[0] for event in upgraded["events"]] == ["upgraded", "cancelled", "purged"]
    # a period start: nothing of period 2 used, no final invoice
    assert monthly["row"] == ("terminated", date(2027, 2, 15), 2, None)
    assert monthly["invoices"] == [
        (0, False, 18_000, 0, 1_800, 19_800, [("usage", 3, 31, 18_000)]),
        (1, False, 18_000, 0, 1_800, 19_800, [("usage", 3, 31, 18_000)]),
    ]
    assert monthly["events"][0][3] == {
        "cancellation_date": "2027-02-15",
        "penalty": 0,
        "reservation": 0,
        "final_invoice": None,
    }
    # nothing of period 2 used; 10% x (1,000 x 10 x 2 periods + 5,000 x 10 x 10 periods) = 52,000
    assert same_day["row"] == ("terminated", date(2027, 2, 15), 3, None)
    assert same_day["invoices"] == [(2, True, 52_000, 0, 5_200, 57_200, [("penalty", None, None, 52_000)])]
    for ended_trial, status, on in ((trial, "trial", "2026-12-20"), (suspended, "suspended", "2027-01-10")):
        assert ended_trial == {
            "row": ("terminated", date.fromisoformat(on), 0, None),
            "invoices": [],
            "segments": [],
            "reservations": ["done"],
            "events": [
                ("cancelled", status, "terminated", {"cancellation_date": on, "penalty": 0, "reservation": 0}),
                purged,
            ],
        }


def test_a_withdrawn_or_not_yet_due_cancellation_does_nothing():
    withdrawn, not_due = ActiveSubscriptionFactory(), ActiveSubscriptionFactory()
    ReservationFactory(subscription=withdrawn, effective_on=date(2027, 3, 1), state=Reservation.State.WITHDRAWN)
    ReservationFactory(subscription=not_due, effective_on=date(2027, 3, 2))
    before = outcome_of([withdrawn, not_due])

    with transaction.atomic():
        ended = subscription_execute_reserved_cancellation_many(
            subscriptions=list(Subscription.objects.filter(pk__in=[withdrawn.pk, not_due.pk]).order_by("pk")),
            now=JOB_RUN,
            by=JOB,
        )

    assert ended == 0
    assert outcome_of([withdrawn, not_due]) == before
    assert Workspace.objects.filter(pk__in=[withdrawn.workspace_id, not_due.workspace_id]).count() == 2


# --- queries per chunk (SPEC 6: bounded, not per row) ------------------------------------------------------------


def measured(subscriptions, count: int) -> int:
    # The purge reads content types (Django admin's history), which Django caches per process: start both counts
    # from an empty cache, whichever test ran before.
    ContentType.objects.clear_cache()
    with transaction.atomic():
        chunk = claimed(subscriptions, JOB_RUN)
        with CaptureQueriesContext(connection) as queries:
            ended = EXECUTION.process(chunk, JOB_RUN)
    assert ended == count
    return len(queries)


def cancellation_queries(count: int, *, contract_type: str) -> int:
    customer = UserFactory()
    CreditGrantFactory(customer=customer, amount=10_000_000)
    subscriptions = bulk_active_subscriptions(count, customer=customer, contract_type=contract_type)
    Reservation.objects.bulk_create(
        Reservation(subscription=subscription, kind=Reservation.Kind.CANCELLATION, effective_on=date(2027, 3, 1))
        for subscription in subscriptions
    )
    return measured(subscriptions, count)


def trial_cancellation_queries(count: int) -> int:
    trials = TrialSubscriptionFactory.create_batch(count)
    for trial in trials:
        ReservationFactory(subscription=trial, effective_on=date(2026, 12, 20))
    return measured(trials, count)


@pytest.mark.parametrize(
    ("queries_for", "expected"),
    [
        # reservations; penalty segments; final invoices (member counts, invoices found, segments, savepoint, the
        # block of numbers, credit lock, 3 INSERTs, release); segments DELETE and UPDATE; 2 reservation UPDATEs;
        # events INSERT; then workspace_purge_many (10: no savepoint, the admin history in one DELETE, the events
        # scrubbed in one UPDATE); the subscriptions' state and scrubbing in ONE UPDATE (issue 17)
        pytest.param(
            lambda count: cancellation_queries(count, contract_type=ContractType.ANNUAL), 30, id="annual-with-penalty"
        ),
        # the segments: the contract that ran up to the date, by the calendar (issue 22)
        pytest.param(lambda count: cancellation_queries(count, contract_type=ContractType.MONTHLY), 30, id="monthly"),
        # no invoice at all
        pytest.param(trial_cancellation_queries, 19, id="trial"),
    ],
)
def test_the_cancellation_step_runs_as_many_queries_for_50_subscriptions_as_for_one(queries_for, expected):
    one = queries_for(1)
    fifty = queries_for(50)

    assert one == fifty == expected
