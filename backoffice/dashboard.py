"""The operators' dashboard on the admin index (SPEC 11), read in a fixed number of queries whatever the data size.

- subscriptions by state (one aggregate);
- what falls due in the next 7 days (KST): conversions and cancellations (one query over reservations, with the
  penalty of each cancellation), trial ends, grace ends and term ends (one query), invoices with their expected
  totals (one query, with the members billed and the credit balance as subqueries) and the rate segments those
  amounts need (one query);
- the last run of each job with its counts, errors and failed items (one query).
Each list shows its first DASHBOARD_ROWS rows (a window function numbers them) and the total.

The amounts come from the money rules the jobs use: ``cancellation_penalty`` and ``build_period_invoice``.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from billing.invoices import BillableSegment, InvoiceDraft, build_period_invoice
from billing.models import ContractType, RateSegment
from billing.periods import period_bounds
from billing.pricing import PenaltyBreakdown
from billing.selectors import credit_balance_of
from billing.services import vat_rate
from subscriptions.lifecycle import JOBS
from subscriptions.models import JobRun, Reservation, Status, Subscription
from subscriptions.services.cancel import cancellation_penalty, penalty_applies
from subscriptions.standing import standing_on
from works_console.dates import kst_date
from workspaces.selectors import member_count_of

DUE_WINDOW_DAYS = 7
DASHBOARD_ROWS = 20


@dataclass
class DueList:
    rows: list = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass
class DueCancellation:
    reservation: Reservation
    penalty: PenaltyBreakdown | None


@dataclass
class DueInvoice:
    subscription: Subscription
    issued_on: date
    draft: InvoiceDraft


@dataclass
class Dashboard:
    today: date
    until: date
    states: list[tuple[str, str, int]]
    conversions: DueList
    cancellations: DueList
    trial_ends: DueList
    grace_ends: DueList
    term_ends: DueList
    invoices: DueList
    last_runs: list[JobRun]

    @property
    def expected_invoice_total(self) -> int:
        return sum(item.draft.totals.total for item in self.invoices.rows)

    @property
    def penalties_total(self) -> int:
        return sum(item.penalty.amount for item in self.cancellations.rows if item.penalty is not None)


def _numbered(queryset, *, partition, order_by):
    """The first DASHBOARD_ROWS rows of each partition, each with the partition's total (one query)."""
    return queryset.annotate(
        row_number=Window(RowNumber(), partition_by=[partition], order_by=order_by),
        partition_total=Window(Count("pk"), partition_by=[partition]),
    ).filter(row_number__lte=DASHBOARD_ROWS)


def _lists(rows, key, names) -> dict[str, DueList]:
    lists = {name: DueList() for name in names}
    for row in rows:
        due = lists[key(row)]
        due.rows.append(row)
        due.total = row.partition_total
    return lists


def dashboard(*, now: datetime) -> Dashboard:
    today = kst_date(now)
    until = today + timedelta(days=DUE_WINDOW_DAYS)

    counts = dict(Subscription.objects.order_by().values_list("status").annotate(count=Count("pk")))
    states = [(status.value, status.label, counts.get(status.value, 0)) for status in Status]

    reservations = _lists(
        _numbered(
            Reservation.objects.filter(state=Reservation.State.PENDING, effective_on__lte=until)
            .exclude(subscription__status=Status.TERMINATED)
            .select_related("subscription", "subscription__customer", "plan"),
            partition=F("kind"),
            order_by=[F("effective_on").asc(), F("id").asc()],
        ).order_by("kind", "effective_on", "id"),
        key=lambda row: row.kind,
        names=[Reservation.Kind.CONVERSION, Reservation.Kind.CANCELLATION],
    )

    category = Case(
        When(status=Status.TRIAL, then=Value("trial")),
        When(status=Status.SUSPENDED, then=Value("grace")),
        default=Value("term"),
        output_field=CharField(),
    )
    day = Case(
        When(status=Status.TRIAL, then=F("trial_last_day")),
        When(status=Status.SUSPENDED, then=F("grace_last_day")),
        default=F("term_end"),
    )
    ending = _lists(
        _numbered(
            Subscription.objects.filter(
                Q(status=Status.TRIAL, trial_last_day__range=(today, until))
                | Q(status=Status.SUSPENDED, grace_last_day__range=(today, until))
                | Q(status=Status.ACTIVE, contract_type=ContractType.ANNUAL, term_end__range=(today, until))
            )
            .annotate(category=category)
            .select_related("customer", "plan"),
            partition=category,
            order_by=[day.asc(), F("id").asc()],
        ).order_by("category", day.asc(), "id"),
        key=lambda row: row.category,
        names=["trial", "grace", "term"],
    )

    cancellation_on = Reservation.objects.filter(
        subscription_id=OuterRef("pk"), kind=Reservation.Kind.CANCELLATION, state=Reservation.State.PENDING
    ).values("effective_on")[:1]
    invoicing = _lists(
        _numbered(
            Subscription.objects.filter(status=Status.ACTIVE, next_invoice_on__lte=until)
            .annotate(
                credit=credit_balance_of(OuterRef("customer_id")),
                members=member_count_of(OuterRef("workspace_id")),
                cancellation_on=Subquery(cancellation_on),
                everyone=Value("invoice"),
            )
            .select_related("customer", "plan"),
            partition=F("everyone"),
            order_by=[F("next_invoice_on").asc(), F("id").asc()],
        ).order_by("next_invoice_on", "id"),
        key=lambda row: "invoice",
        names=["invoice"],
    )["invoice"]

    cancellations = reservations[Reservation.Kind.CANCELLATION]
    segment_owners = {row.subscription_id for row in cancellations.rows} | {row.pk for row in invoicing.rows}
    segments: dict[int, list[RateSegment]] = {pk: [] for pk in segment_owners}
    if segment_owners:
        for segment in RateSegment.objects.filter(subscription_id__in=segment_owners).select_related("plan"):
            segments[segment.subscription_id].append(segment)

    # The penalty over the contract that runs up to each cancellation date, by the calendar (issue 22).
    standings = {
        reservation.pk: standing_on(
            reservation.subscription,
            today=today,
            pending={Reservation.Kind.CANCELLATION: reservation},
            segments=segments[reservation.subscription_id],
        )
        for reservation in cancellations.rows
    }
    cancellations.rows = [
        DueCancellation(
            reservation=reservation,
            penalty=cancellation_penalty(
                standings[reservation.pk], reservation.effective_on, segments=segments[reservation.subscription_id]
            )
            if penalty_applies(standings[reservation.pk])
            else None,
        )
        for reservation in cancellations.rows
    ]
    rate = vat_rate()
    expected = []
    for subscription in invoicing.rows:
        period = period_bounds(subscription.paid_start, subscription.next_period_index)
        if subscription.cancellation_on is not None and subscription.cancellation_on <= period.end:
            continue  # billed on the cancellation's final invoice (SPEC 5.5), listed with the cancellations
        billed = [
            BillableSegment.from_rate_segment(segment)
            for segment in sorted(segments[subscription.pk], key=lambda s: (s.starts_on, s.pk))
            if segment.starts_on < period.next_start and (segment.ends_on is None or segment.ends_on > period.start)
        ]
        draft = build_period_invoice(
            segments=billed,
            period=period,
            members=subscription.members,
            vat_rate=rate,
            credit_available=max(subscription.credit, 0),
        )
        expected.append(DueInvoice(subscription=subscription, issued_on=period.next_start, draft=draft))
    invoicing.rows = expected

    last_runs = list(
        JobRun.objects.filter(dry_run=False)
        .annotate(
            row_number=Window(RowNumber(), partition_by=[F("job")], order_by=[F("started_at").desc(), F("id").desc()])
        )
        .filter(row_number=1)
        .order_by("job")
    )
    order = {name: index for index, name in enumerate(JOBS)}
    last_runs.sort(key=lambda run: order.get(run.job, len(order)))

    return Dashboard(
        today=today,
        until=until,
        states=states,
        conversions=reservations[Reservation.Kind.CONVERSION],
        cancellations=cancellations,
        trial_ends=ending["trial"],
        grace_ends=ending["grace"],
        term_ends=ending["term"],
        invoices=invoicing,
        last_runs=last_runs,
    )
