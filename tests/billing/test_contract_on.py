"""The contract on a day (issue 22): `billing.periods.contract_on`, pure date arithmetic, no database.

Worked cases at the hours that matter (the last day of a period or a term, the next day before and after the
renewal job has run, days of missed runs), then properties: the answer for a day never depends on how far the
renewal job has come.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.models import ContractType
from billing.periods import (
    ANNUAL,
    MONTHLY,
    ContractDay,
    Renewal,
    contract_on,
    period_bounds,
    period_containing,
    term_from,
)


@dataclass(frozen=True)
class Span:
    starts_on: date
    contract_type: str
    ends_on: date | None = None


def d(text: str) -> date:
    return date.fromisoformat(text)


def answer(contract: ContractDay) -> tuple:
    """What a page shows: contract type, period, term, whether and when the service stopped."""
    return (
        contract.contract_type,
        (contract.period.start.isoformat(), contract.period.end.isoformat()),
        (contract.term_start.isoformat(), contract.term_end.isoformat()),
        contract.stopped_on.isoformat() if contract.stopped_on else None,
    )


MONTHLY_JUNE = [Span(d("2028-06-01"), MONTHLY)]
ANNUAL_JUNE = [Span(d("2028-06-01"), ANNUAL)]
# After the renewal job renewed the annual term of 2028-06-01 as annual on 2029-06-01.
ANNUAL_RENEWED = [Span(d("2028-06-01"), ANNUAL, d("2029-06-01")), Span(d("2029-06-01"), ANNUAL)]
# After the renewal job switched it to monthly on 2029-06-01.
ANNUAL_THEN_MONTHLY = [Span(d("2028-06-01"), ANNUAL, d("2029-06-01")), Span(d("2029-06-01"), MONTHLY)]
JUNE, JULY = ("2028-06-01", "2028-06-30"), ("2028-07-01", "2028-07-31")
TERM_0, TERM_1 = ("2028-06-01", "2029-05-31"), ("2029-06-01", "2030-05-31")


@pytest.mark.parametrize(
    ("segments", "renewal", "day", "expected"),
    [
        # A monthly contract anchored 2028-06-01; the last run of 30 June at 23:55 left its term at June.
        pytest.param(
            MONTHLY_JUNE,
            Renewal(d("2028-06-30"), MONTHLY),
            "2028-06-30",
            (MONTHLY, JUNE, JUNE, None),
            id="monthly-2359-last-day-of-period",
        ),
        pytest.param(
            MONTHLY_JUNE,
            Renewal(d("2028-06-30"), MONTHLY),
            "2028-07-01",
            (MONTHLY, JULY, JULY, None),
            id="monthly-0005-next-day-before-the-run",
        ),
        pytest.param(
            MONTHLY_JUNE,
            Renewal(d("2028-07-31"), MONTHLY),
            "2028-07-01",
            (MONTHLY, JULY, JULY, None),
            id="monthly-after-the-run",
        ),
        pytest.param(
            MONTHLY_JUNE,
            Renewal(d("2028-06-30"), MONTHLY),
            "2028-07-03",
            (MONTHLY, JULY, JULY, None),
            id="monthly-three-days-of-missed-runs",
        ),
        pytest.param(
            MONTHLY_JUNE,
            Renewal(d("2028-06-30"), MONTHLY),
            "2028-09-02",
            (MONTHLY, ("2028-09-01", "2028-09-30"), ("2028-09-01", "2028-09-30"), None),
            id="monthly-months-of-missed-runs",
        ),
        pytest.param(
            MONTHLY_JUNE,
            Renewal(d("2028-06-30"), None),
            "2028-07-01",
            (MONTHLY, JUNE, JUNE, "2028-07-01"),
            id="monthly-do-not-renew-stops-the-day-after-before-the-run",
        ),
        pytest.param(
            MONTHLY_JUNE,
            Renewal(d("2028-06-30"), ANNUAL),
            "2028-07-01",
            (ANNUAL, JULY, ("2028-07-01", "2029-06-30"), None),
            id="monthly-renewed-as-annual-starts-its-term-at-the-next-period",
        ),
        pytest.param(
            [Span(d("2028-06-01"), MONTHLY, d("2028-07-01")), Span(d("2028-07-01"), ANNUAL)],
            Renewal(d("2029-06-30"), ANNUAL),
            "2028-07-01",
            (ANNUAL, JULY, ("2028-07-01", "2029-06-30"), None),
            id="monthly-renewed-as-annual-after-the-run",
        ),
        # An annual contract anchored 2028-06-01: term 0 ends 2029-05-31.
        pytest.param(
            ANNUAL_JUNE,
            Renewal(d("2029-05-31"), ANNUAL),
            "2029-05-31",
            (ANNUAL, ("2029-05-01", "2029-05-31"), TERM_0, None),
            id="annual-2359-last-day-of-term",
        ),
        pytest.param(
            ANNUAL_JUNE,
            Renewal(d("2029-05-31"), ANNUAL),
            "2028-07-01",
            (ANNUAL, JULY, TERM_0, None),
            id="annual-first-day-of-a-period-inside-the-term",
        ),
        pytest.param(
            ANNUAL_JUNE,
            Renewal(d("2029-05-31"), ANNUAL),
            "2029-06-01",
            (ANNUAL, ("2029-06-01", "2029-06-30"), TERM_1, None),
            id="annual-renew-annual-0005-before-the-run",
        ),
        pytest.param(
            ANNUAL_RENEWED,
            Renewal(d("2030-05-31"), ANNUAL),
            "2029-06-01",
            (ANNUAL, ("2029-06-01", "2029-06-30"), TERM_1, None),
            id="annual-renew-annual-after-the-run",
        ),
        pytest.param(
            ANNUAL_JUNE,
            Renewal(d("2029-05-31"), ANNUAL),
            "2029-06-03",
            (ANNUAL, ("2029-06-01", "2029-06-30"), TERM_1, None),
            id="annual-renew-annual-three-days-of-missed-runs",
        ),
        pytest.param(
            ANNUAL_JUNE,
            Renewal(d("2029-05-31"), ANNUAL),
            "2031-07-03",
            (ANNUAL, ("2031-07-01", "2031-07-31"), ("2031-06-01", "2032-05-31"), None),
            id="annual-renew-annual-two-terms-of-missed-runs",
        ),
        pytest.param(
            ANNUAL_JUNE,
            Renewal(d("2029-05-31"), MONTHLY),
            "2029-06-01",
            (MONTHLY, ("2029-06-01", "2029-06-30"), ("2029-06-01", "2029-06-30"), None),
            id="annual-switch-to-monthly-before-the-run",
        ),
        pytest.param(
            ANNUAL_THEN_MONTHLY,
            Renewal(d("2029-06-30"), MONTHLY),
            "2029-06-01",
            (MONTHLY, ("2029-06-01", "2029-06-30"), ("2029-06-01", "2029-06-30"), None),
            id="annual-switch-to-monthly-after-the-run",
        ),
        pytest.param(
            ANNUAL_JUNE,
            Renewal(d("2029-05-31"), MONTHLY),
            "2029-07-03",
            (MONTHLY, ("2029-07-01", "2029-07-31"), ("2029-07-01", "2029-07-31"), None),
            id="annual-switch-to-monthly-a-month-of-missed-runs",
        ),
        pytest.param(
            ANNUAL_JUNE,
            Renewal(d("2029-05-31"), None),
            "2029-06-01",
            (ANNUAL, ("2029-05-01", "2029-05-31"), TERM_0, "2029-06-01"),
            id="annual-do-not-renew-0005-before-the-run",
        ),
        pytest.param(
            [Span(d("2028-06-01"), ANNUAL, d("2029-06-01"))],
            Renewal(d("2029-05-31"), None),
            "2029-06-03",
            (ANNUAL, ("2029-05-01", "2029-05-31"), TERM_0, "2029-06-01"),
            id="annual-do-not-renew-after-the-run",
        ),
        # Upgrades and licence increases add segments of the same type: one run, the term does not move.
        pytest.param(
            [Span(d("2028-06-01"), ANNUAL, d("2028-09-15")), Span(d("2028-09-15"), ANNUAL)],
            Renewal(d("2029-05-31"), ANNUAL),
            "2028-10-01",
            (ANNUAL, ("2028-10-01", "2028-10-31"), TERM_0, None),
            id="annual-upgraded-mid-term-keeps-its-term",
        ),
        # Month ends: every boundary from the anchor, never chained.
        pytest.param(
            [Span(d("2028-01-31"), ANNUAL)],
            Renewal(d("2029-01-30"), ANNUAL),
            "2029-01-31",
            (ANNUAL, ("2029-01-31", "2029-02-27"), ("2029-01-31", "2030-01-30"), None),
            id="annual-anchored-jan-31-renewed",
        ),
        pytest.param(
            [Span(d("2028-01-31"), MONTHLY, d("2028-05-31")), Span(d("2028-05-31"), ANNUAL)],
            Renewal(d("2029-05-30"), ANNUAL),
            "2029-02-28",
            (ANNUAL, ("2029-02-28", "2029-03-30"), ("2028-05-31", "2029-05-30"), None),
            id="monthly-anchored-jan-31-became-annual-in-may",
        ),
    ],
)
def test_contract_on_a_day_is_what_the_calendar_says(segments, renewal, day, expected):
    contract = contract_on(anchor=segments[0].starts_on, segments=segments, renewal=renewal, day=d(day))

    assert answer(contract) == expected


@pytest.mark.parametrize(
    ("segments", "renewal", "stops_on", "day", "expected"),
    [
        pytest.param(
            ANNUAL_JUNE,
            Renewal(d("2029-05-31"), ANNUAL),
            "2028-09-10",
            "2028-09-12",
            (ANNUAL, ("2028-09-01", "2028-09-30"), TERM_0, "2028-09-10"),
            id="a-cancellation-date-that-has-come-stops-the-service",
        ),
        pytest.param(
            ANNUAL_JUNE,
            Renewal(d("2029-05-31"), ANNUAL),
            "2028-09-10",
            "2028-09-09",
            (ANNUAL, ("2028-09-01", "2028-09-30"), TERM_0, None),
            id="the-day-before-the-cancellation-date-runs",
        ),
        pytest.param(
            ANNUAL_JUNE,
            Renewal(d("2029-05-31"), ANNUAL),
            "2029-06-01",
            "2029-06-01",
            (ANNUAL, ("2029-05-01", "2029-05-31"), TERM_0, "2029-06-01"),
            id="a-cancellation-the-day-after-the-term-end-wins-over-the-renewal",
        ),
        pytest.param(
            ANNUAL_JUNE,
            Renewal(d("2029-05-31"), ANNUAL),
            "2029-06-10",
            "2029-06-05",
            (ANNUAL, ("2029-06-01", "2029-06-30"), TERM_1, None),
            id="a-cancellation-in-the-renewed-term-comes-after-the-renewal",
        ),
        pytest.param(
            ANNUAL_JUNE,
            Renewal(d("2029-05-31"), ANNUAL),
            "2029-06-10",
            "2029-06-12",
            (ANNUAL, ("2029-06-01", "2029-06-30"), TERM_1, "2029-06-10"),
            id="a-cancellation-in-the-renewed-term-executed-late",
        ),
        pytest.param(
            MONTHLY_JUNE,
            Renewal(d("2028-06-30"), MONTHLY),
            "2028-07-10",
            "2028-07-01",
            (MONTHLY, JULY, JULY, None),
            id="monthly-cancellation-reserved-at-0005-for-the-10th",
        ),
        pytest.param(
            MONTHLY_JUNE,
            Renewal(d("2028-06-30"), MONTHLY),
            "2028-07-10",
            "2028-07-13",
            (MONTHLY, JULY, JULY, "2028-07-10"),
            id="monthly-cancellation-of-the-10th-executed-three-days-late",
        ),
    ],
)
def test_a_cancellation_date_stops_the_contract(segments, renewal, stops_on, day, expected):
    contract = contract_on(
        anchor=segments[0].starts_on, segments=segments, renewal=renewal, stops_on=d(stops_on), day=d(day)
    )

    assert answer(contract) == expected


def test_a_renewal_the_segments_do_not_show_yet_is_reported_with_its_first_day():
    before_run = contract_on(
        anchor=d("2028-06-01"), segments=ANNUAL_JUNE, renewal=Renewal(d("2029-05-31"), ANNUAL), day=d("2029-06-01")
    )
    after_run = contract_on(
        anchor=d("2028-06-01"), segments=ANNUAL_RENEWED, renewal=Renewal(d("2030-05-31"), ANNUAL), day=d("2029-06-01")
    )

    assert (before_run.renewed_from, after_run.renewed_from) == (d("2029-06-01"), None)


def test_contract_end_and_penalty_free_date_follow_the_term():
    contract = contract_on(
        anchor=d("2028-06-01"), segments=ANNUAL_JUNE, renewal=Renewal(d("2029-05-31"), ANNUAL), day=d("2029-06-01")
    )

    assert (contract.contract_end, contract.penalty_free_date, contract.is_running) == (
        d("2030-05-31"),
        d("2030-06-01"),
        True,
    )


def test_the_contract_types_are_billing_s_own():
    assert (ANNUAL, MONTHLY) == (ContractType.ANNUAL, ContractType.MONTHLY)


@pytest.mark.parametrize(
    ("segments", "day", "message"),
    [
        pytest.param(MONTHLY_JUNE, "2028-05-31", "before the billing anchor", id="before-the-anchor"),
        pytest.param([], "2028-06-01", "at least one rate segment", id="no-segment"),
        pytest.param([Span(d("2028-06-01"), "weekly")], "2028-06-01", "unknown contract type", id="unknown-type"),
    ],
)
def test_contract_on_refuses_what_is_not_a_paid_contract(segments, day, message):
    with pytest.raises(ValueError, match=message):
        contract_on(anchor=d("2028-06-01"), segments=segments, day=d(day))


# --- properties -------------------------------------------------------------------------------------------------

anchors = st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31))
renewal_types = st.sampled_from([ANNUAL, MONTHLY, None])


def as_the_job_leaves_it(anchor: date, first_type: str, renews_as: str | None, through: date):
    """The segments and the term the renewal job leaves after running on ``through`` (a test oracle written from
    SPEC 5.3 and subscriptions.services.renewal, not from contract_on): every term that ended before that day
    renewed, one term at a time."""
    segments = [Span(anchor, first_type)]
    term_end = term_from(anchor, anchor)[1] if first_type == ANNUAL else period_bounds(anchor, 0).end
    while term_end < through:
        starts_on = term_end + timedelta(days=1)
        if renews_as is None:
            segments[-1] = Span(segments[-1].starts_on, segments[-1].contract_type, starts_on)
            break
        if renews_as == MONTHLY and segments[-1].contract_type == MONTHLY:
            term_end = period_containing(anchor, starts_on).end  # a monthly term rolls, no new segment
            continue
        segments[-1] = Span(segments[-1].starts_on, segments[-1].contract_type, starts_on)
        segments.append(Span(starts_on, renews_as))
        term_end = term_from(anchor, starts_on)[1] if renews_as == ANNUAL else period_containing(anchor, starts_on).end
    return segments, term_end


@given(
    anchor=anchors,
    first_type=st.sampled_from([ANNUAL, MONTHLY]),
    renews_as=renewal_types,
    run_offset=st.integers(min_value=0, max_value=1200),
    extra_days=st.integers(min_value=0, max_value=1200),
)
def test_the_answer_does_not_depend_on_how_far_the_renewal_job_has_come(
    anchor, first_type, renews_as, run_offset, extra_days
):
    last_run = anchor + timedelta(days=run_offset)
    day = last_run + timedelta(days=extra_days)
    never_run = as_the_job_leaves_it(anchor, first_type, renews_as, anchor)
    caught_up = as_the_job_leaves_it(anchor, first_type, renews_as, last_run)

    answers = {
        answer(contract_on(anchor=anchor, segments=segments, renewal=Renewal(term_end, renews_as), day=day))
        for segments, term_end in (never_run, caught_up)
    }

    assert len(answers) == 1


@given(
    anchor=anchors,
    first_type=st.sampled_from([ANNUAL, MONTHLY]),
    renews_as=st.sampled_from([ANNUAL, MONTHLY]),
    offset=st.integers(0, 2000),
)
def test_a_renewed_contract_runs_with_a_term_holding_the_day_and_its_period(anchor, first_type, renews_as, offset):
    day = anchor + timedelta(days=offset)
    segments, term_end = as_the_job_leaves_it(anchor, first_type, renews_as, anchor)

    contract = contract_on(anchor=anchor, segments=segments, renewal=Renewal(term_end, renews_as), day=day)

    assert contract.is_running
    assert contract.term_start <= contract.period.start <= day <= contract.period.end <= contract.term_end


@given(anchor=anchors, first_type=st.sampled_from([ANNUAL, MONTHLY]), days_after=st.integers(1, 2000))
def test_a_term_not_renewed_stops_the_service_the_day_after(anchor, first_type, days_after):
    segments, term_end = as_the_job_leaves_it(anchor, first_type, None, anchor)
    day = term_end + timedelta(days=days_after)

    contract = contract_on(anchor=anchor, segments=segments, renewal=Renewal(term_end, None), day=day)

    assert (contract.stopped_on, contract.term_end, contract.period.end) == (
        term_end + timedelta(days=1),
        term_end,
        term_end,
    )


@given(anchor=anchors, offset=st.integers(0, 2000))
def test_an_annual_term_is_twelve_whole_periods(anchor, offset):
    day = anchor + timedelta(days=offset)
    segments, term_end = as_the_job_leaves_it(anchor, ANNUAL, ANNUAL, anchor)

    contract = contract_on(anchor=anchor, segments=segments, renewal=Renewal(term_end, ANNUAL), day=day)

    first = period_containing(anchor, contract.term_start)
    last = period_containing(anchor, contract.term_end)
    assert (first.start, last.end, last.index - first.index) == (contract.term_start, contract.term_end, 11)
