"""The My Product timeline (SPEC 5): the next lifecycle events of one subscription, from today on."""

from datetime import date

import pytest

from subscriptions.models import RenewalOption, Reservation, Status
from subscriptions.selectors import subscription_timeline
from subscriptions.standing import standing_on
from tests.subscriptions.factories import ActiveSubscriptionFactory, TrialSubscriptionFactory, plan

pytestmark = pytest.mark.django_db


def conversion(on: date | None) -> Reservation | None:
    if on is None:
        return None
    return Reservation(
        kind=Reservation.Kind.CONVERSION, effective_on=on, plan=plan("premium"), contract_type="monthly"
    )


def cancellation(on: date | None) -> Reservation | None:
    if on is None:
        return None
    return Reservation(kind=Reservation.Kind.CANCELLATION, effective_on=on)


def timeline_of(subscription, *, today: date, conversion=None, cancellation=None):
    """The timeline of an unsaved subscription on ``today``, as the calendar has it (its reservations given)."""
    pending = {row.kind: row for row in (conversion, cancellation) if row is not None}
    standing = standing_on(subscription, today=today, pending=pending, segments=[])
    return subscription_timeline(standing, conversion=conversion, cancellation=cancellation)


TRIAL = {"status": Status.TRIAL, "applied_on": date(2026, 12, 1)}  # last trial day 12-30, grace until 2027-01-29
SUSPENDED = TRIAL | {"status": Status.SUSPENDED}


@pytest.mark.parametrize(
    ("fields", "reservations", "today", "expected"),
    [
        pytest.param(
            TRIAL,
            {},
            date(2026, 12, 1),
            [
                (date(2026, 12, 30), "Last day of the free trial"),
                (date(2026, 12, 31), "Service suspended until converted to paid"),
                (date(2027, 1, 29), "Last day to convert to paid"),
                (date(2027, 1, 30), "Service terminated and all data deleted"),
            ],
            id="trial",
        ),
        pytest.param(
            TRIAL,
            {"conversion": date(2026, 12, 20)},
            date(2026, 12, 1),
            [(date(2026, 12, 20), "Reserved paid conversion starts (Premium, Monthly)")],
            id="trial-conversion-ends-the-trial-early",
        ),
        pytest.param(
            TRIAL,
            {"conversion": date(2027, 1, 10)},
            date(2026, 12, 1),
            [
                (date(2026, 12, 30), "Last day of the free trial"),
                (date(2026, 12, 31), "Service suspended until converted to paid"),
                (date(2027, 1, 10), "Reserved paid conversion starts (Premium, Monthly)"),
            ],
            id="trial-conversion-in-the-grace-period",
        ),
        pytest.param(
            TRIAL,
            {"cancellation": date(2026, 12, 31)},
            date(2026, 12, 1),
            [
                (date(2026, 12, 30), "Last day of the free trial"),
                (date(2026, 12, 31), "Reserved cancellation: service stops and all data is deleted"),
            ],
            id="trial-cancelled-the-day-after-its-last-day",
        ),
        pytest.param(
            SUSPENDED,
            {},
            date(2027, 1, 5),
            [
                (date(2027, 1, 29), "Last day to convert to paid"),
                (date(2027, 1, 30), "Service terminated and all data deleted"),
            ],
            id="suspended",
        ),
        pytest.param(
            TRIAL,
            {},
            date(2026, 12, 31),
            [
                (date(2027, 1, 29), "Last day to convert to paid"),
                (date(2027, 1, 30), "Service terminated and all data deleted"),
            ],
            # The day after the last trial day the trial is suspended by the calendar, whether or not the expiry
            # job has run (issue 22): its grace is what comes next.
            id="a-trial-past-its-last-day-is-suspended",
        ),
    ],
)
def test_trial_timeline(fields, reservations, today, expected):
    subscription = TrialSubscriptionFactory.build(**fields)

    timeline = timeline_of(
        subscription,
        conversion=conversion(reservations.get("conversion")),
        cancellation=cancellation(reservations.get("cancellation")),
        today=today,
    )

    assert [(entry.on, entry.label) for entry in timeline] == expected


@pytest.mark.parametrize(
    ("renewal_option", "after_term"),
    [
        pytest.param(RenewalOption.RENEW_ANNUAL, "Renewed as annual for another 12 months", id="renew-annual"),
        pytest.param(RenewalOption.SWITCH_TO_MONTHLY, "Continues as a monthly contract", id="switch-to-monthly"),
        pytest.param("", "Continues as a monthly contract", id="never-set-is-monthly"),
        pytest.param(RenewalOption.DO_NOT_RENEW, "Service ends and all data is deleted", id="do-not-renew"),
    ],
)
def test_paid_timeline_shows_next_invoice_term_end_and_renewal(renewal_option, after_term):
    subscription = ActiveSubscriptionFactory.build(renewal_option=renewal_option, next_period_index=1)

    timeline = timeline_of(subscription, today=date(2027, 1, 20))

    assert [(entry.on, entry.label) for entry in timeline] == [
        (date(2027, 2, 10), "Invoice issued for the current billing period"),
        (date(2027, 12, 9), "Contract term ends"),
        (date(2027, 12, 10), after_term),
    ]


def test_a_reserved_cancellation_cuts_the_paid_timeline():
    subscription = ActiveSubscriptionFactory.build(next_period_index=1)

    timeline = timeline_of(subscription, cancellation=cancellation(date(2027, 3, 1)), today=date(2027, 1, 20))

    assert [(entry.on, entry.label) for entry in timeline] == [
        (date(2027, 2, 10), "Invoice issued for the current billing period"),
        (date(2027, 3, 1), "Reserved cancellation: service stops and all data is deleted"),
    ]


def test_a_terminated_subscription_has_nothing_next():
    subscription = ActiveSubscriptionFactory.build(status=Status.TERMINATED)

    assert timeline_of(subscription, today=date(2027, 1, 20)) == []
