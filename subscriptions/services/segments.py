"""Rate segments of paid subscriptions (SPEC 3, 5.2-5.5), set-based: what a subscription costs from which day.

Conversion, upgrade, a licence increase and a renewal start new terms (``start_segments``); the end of a
service stops them (``stop_segments``). Each works on many subscriptions in a fixed number of queries: the
jobs pass a chunk, a view a batch of one.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date

from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from billing.models import Plan, RateSegment
from works_console.db import insert_rows, update_rows


@dataclass(frozen=True, slots=True)
class Rate:
    """The terms of a rate segment: the prices agreed when it starts, and the annual licences (None: monthly)."""

    plan: Plan
    contract_type: str
    unit_price: int
    list_unit_price: int
    quantity: int | None

    def as_fields(self) -> dict:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @classmethod
    def catalog(cls, plan: Plan, contract_type: str, quantity: int | None) -> "Rate":
        """The plan's catalog prices as of now; a later catalog change never reaches the segment (SPEC 3)."""
        return cls(
            plan=plan,
            contract_type=contract_type,
            unit_price=plan.unit_price(contract_type),
            list_unit_price=plan.monthly_unit_price,
            quantity=quantity,
        )


def load_plans(subscriptions) -> None:
    """Give every subscription its plan object, in one query for those that do not hold it yet (a job's claimed
    rows carry only the plan's id): a chunk then prices its new terms without a query per row."""
    missing = [s for s in subscriptions if not type(s).plan.is_cached(s)]
    if not missing:
        return
    plans = Plan.objects.in_bulk({s.plan_id for s in missing})
    for subscription in missing:
        subscription.plan = plans[subscription.plan_id]


def open_segments(subscription_ids) -> dict[int, RateSegment]:
    """The open segment of each subscription (at most one: a unique constraint), with its plan."""
    rows = RateSegment.objects.filter(subscription_id__in=list(subscription_ids), ends_on__isnull=True)
    return {row.subscription_id: row for row in rows.select_related("plan")}


def start_segments(
    starts: Mapping[int, tuple[date, Rate]], *, current: Mapping[int, RateSegment] | None = None
) -> None:
    """New terms per subscription id from a day: ``{id: (starts_on, rate)}``.

    The open segment ends on that day (exclusive) and a new one opens. If the open segment started that same
    day (or later), nothing was billed at its terms yet: it takes the new terms instead of leaving an empty
    segment behind. ``current`` is the open segments when the caller read them already (``open_segments``).
    At most three queries: read the open segments, one UPDATE, one INSERT.
    """
    if not starts:
        return
    if current is None:
        current = open_segments(starts)
    changes, created = {}, []
    for pk, (starts_on, rate) in starts.items():
        row = current.get(pk)
        if row is not None and row.starts_on >= starts_on:
            changes[row.pk] = rate.as_fields()
            for name, value in rate.as_fields().items():
                setattr(row, name, value)
            continue
        if row is not None:
            changes[row.pk] = {"ends_on": starts_on}
            row.ends_on = starts_on
        created.append(
            (pk, starts_on, rate.plan.pk, rate.contract_type, rate.unit_price, rate.list_unit_price, rate.quantity)
        )
    update_rows(RateSegment, changes)  # first: the one-open-segment constraint sees the old one closed
    if created:
        now = timezone.now()
        insert_rows(RateSegment, NEW_SEGMENT_FIELDS, (row + (now,) for row in created))


NEW_SEGMENT_FIELDS = (
    "subscription",
    "starts_on",
    "plan",
    "contract_type",
    "unit_price",
    "list_unit_price",
    "quantity",
    "created_at",
)


def stop_segments(stops: Mapping[int, date]) -> None:
    """No segment runs from each subscription's day ``{id: day}``: the open one ends there, one that would start
    on or after it never ran. One DELETE and one UPDATE whatever the number of subscriptions."""
    if not stops:
        return
    ids_by_day: dict[date, list[int]] = {}
    for pk, day in stops.items():
        ids_by_day.setdefault(day, []).append(pk)
    stops_on = Case(
        *(When(subscription_id__in=pks, then=Value(day)) for day, pks in ids_by_day.items()),
        output_field=models.DateField(),
    )
    RateSegment.objects.filter(subscription_id__in=list(stops), starts_on__gte=stops_on).delete()
    RateSegment.objects.filter(subscription_id__in=list(stops)).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=stops_on)
    ).update(ends_on=stops_on)
