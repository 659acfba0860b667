"""Read-only queries of the subscriptions app: the name availability check and the My Product cards.

Queries here are bounded: the My Product page costs the same number of queries for 1 or 50 subscriptions.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import F, Prefetch, Window, prefetch_related_objects
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from billing.models import Invoice, Plan, RateSegment
from works_console.shell import PLATFORMS
from workspaces.models import AccountType, Workspace
from workspaces.validators import clean_workspace_name

from .models import RenewalOption, Reservation, Status, Subscription
from .rules import allowed_actions, pending_reservations, top_offered_tier_subquery
from .standing import Standing, standing_on

# How many invoices each card shows; the full list is on the Invoices page.
RECENT_INVOICES_PER_CARD = 3
ONE_DAY = timedelta(days=1)


# --- Name availability (SPEC 5.1 "Check availability") ---


@dataclass(frozen=True, slots=True)
class NameAvailability:
    available: bool
    message: str


def name_availability(*, kind: str, value: str) -> NameAvailability:
    """Whether `value` is a valid group (or domain) name that no workspace holds, with the message to show.

    Advisory only: the unique constraint on Workspace.name decides when the application is submitted.
    """
    value = value.strip()
    is_group = kind == AccountType.GROUP
    if not value:
        return NameAvailability(False, _("Enter a group name.") if is_group else _("Enter a domain name."))
    try:
        name = clean_workspace_name(kind, value)
    except ValidationError as error:
        return NameAvailability(False, error.messages[0])
    if Workspace.objects.filter(name=name).exists():
        return NameAvailability(
            False, _("This group name is already in use.") if is_group else _("This domain name is already in use.")
        )
    return NameAvailability(
        True, _("This group name is available.") if is_group else _("This domain name is available.")
    )


# --- My Product (SPEC 5) ---


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    on: date
    label: str


@dataclass(slots=True)
class SubscriptionCard:
    """What one My Product card shows, computed without further queries: the subscription as the calendar has it
    today (``standing``, issue 22), whether or not the jobs have run since midnight. ``subscription`` is the
    calendar's copy of the row (``Standing.calendar_row``): its state, contract type, licences and term are the
    day's."""

    subscription: Subscription
    standing: Standing
    actions: frozenset[str]
    conversion: Reservation | None
    cancellation: Reservation | None
    timeline: list[TimelineEntry]
    recent_invoices: list[Invoice]

    @property
    def is_domain(self) -> bool:
        return self.subscription.account_type == AccountType.DOMAIN

    @property
    def days_left(self) -> int | None:
        return self.standing.days_left


def _recent_invoices() -> Prefetch:
    """At most RECENT_INVOICES_PER_CARD invoices per subscription, newest first, in one query (window function)."""
    ranked = (
        Invoice.objects.annotate(
            recent_rank=Window(
                RowNumber(), partition_by=[F("subscription_id")], order_by=[F("period_start").desc(), F("id").desc()]
            )
        )
        .filter(recent_rank__lte=RECENT_INVOICES_PER_CARD)
        .order_by("subscription_id", "recent_rank")
    )
    return Prefetch("invoices", queryset=ranked, to_attr="recent_invoice_list")


def _card_facts() -> list[Prefetch]:
    """What a card reads beside its subscription row: pending reservations (read by core.pending_reservations
    through `pending_reservation_list`), the rate segments (read by standing.standing_on through
    `rate_segment_list`) and the recent invoices. One query each, whatever the number of subscriptions."""
    return [
        Prefetch(
            "reservations",
            queryset=Reservation.objects.filter(state=Reservation.State.PENDING).select_related("plan"),
            to_attr="pending_reservation_list",
        ),
        # The calendar reads the contract from the rate segments (subscriptions.standing).
        Prefetch(
            "rate_segments", queryset=RateSegment.objects.order_by("starts_on", "id"), to_attr="rate_segment_list"
        ),
        _recent_invoices(),
    ]


def prefetch_card_facts(subscriptions: list[Subscription]) -> None:
    """Read `_card_facts` for these subscriptions (three queries; none when the list is empty)."""
    prefetch_related_objects(subscriptions, *_card_facts())


@dataclass(frozen=True, slots=True)
class PlatformHolding:
    """How many of the customer's subscriptions another Platform of the same Region holds (SPEC 2)."""

    platform: str  # the code the header's selector posts
    name: str
    count: int


# The columns My Product reads: the subscription's, and of its plan and workspace what a card shows (names, tier,
# kind, domain verification, versions): the plan's features and notes would cost a JSON decode per language and
# the workspace's phone number a parse per row, for nothing.
_WORKSPACE_FIELDS_NOT_READ = {"company_name", "company_phone", "company_address", "verification_token"}
_COLUMNS = {
    Subscription: [field.attname for field in Subscription._meta.concrete_fields],
    Plan: [field.attname for field in Plan._meta.concrete_fields if not field.name.startswith(("features", "notes"))],
    Workspace: [
        field.attname for field in Workspace._meta.concrete_fields if field.name not in _WORKSPACE_FIELDS_NOT_READ
    ],
}
_LOOKUPS = [
    *_COLUMNS[Subscription],
    *(f"plan__{name}" for name in _COLUMNS[Plan]),
    *(f"workspace__{name}" for name in _COLUMNS[Workspace]),
]
_ENDS = list(accumulate(len(columns) for columns in _COLUMNS.values()))
# Where each model's columns are in a row, and where the cache key's facts are (``ListedSubscription.key_facts``).
_SLICES = dict(zip(_COLUMNS, map(slice, [0, *_ENDS[:-1]], _ENDS), strict=True))


def _position(model: type[models.Model], name: str) -> int:
    return _SLICES[model].start + _COLUMNS[model].index(name)


_KEY_POSITIONS = [
    _position(Subscription, "id"),
    _position(Subscription, "version"),
    _position(Workspace, "id"),
    _position(Workspace, "version"),
    _position(Plan, "id"),
    *(_position(Plan, name) for name in _COLUMNS[Plan] if name.startswith("name")),
]


class ListedSubscription:
    """One subscription of My Product as its row was read: what its card's cache key needs, and the model objects
    (with plan and workspace) built from the same row only when its card is built (issue 17: a model per row
    was most of the page's time once the cards came from the cache)."""

    __slots__ = ("_subscription", "row")

    def __init__(self, row: tuple) -> None:
        self.row = row
        self._subscription: Subscription | None = None

    def _part(self, model: type[models.Model]) -> tuple:
        return self.row[_SLICES[model]]

    @property
    def pk(self) -> int:
        return self.row[0]

    @property
    def key_facts(self) -> tuple:
        """What of the row the card's cache key holds: the subscription's id and version, its workspace's (none
        once purged), its plan's id and names (every language: the key holds the page's language besides)."""
        return tuple(self.row[position] for position in _KEY_POSITIONS)

    @property
    def subscription(self) -> Subscription:
        """The model objects of the row, built once."""
        if self._subscription is None:
            subscription = Subscription.from_db(DEFAULT_DB_ALIAS, _COLUMNS[Subscription], self._part(Subscription))
            subscription.plan = Plan.from_db(DEFAULT_DB_ALIAS, _COLUMNS[Plan], self._part(Plan))
            workspace = self._part(Workspace)
            has_workspace = workspace[_COLUMNS[Workspace].index("id")] is not None
            subscription.workspace = (
                Workspace.from_db(DEFAULT_DB_ALIAS, _COLUMNS[Workspace], workspace) if has_workspace else None
            )
            self._subscription = subscription
        return self._subscription


@dataclass(frozen=True, slots=True)
class MyProductRows:
    """The rows of My Product, from one query: the subscriptions listed (models built on demand, their card facts
    not read yet), where the customer's other subscriptions of the Region are, and the top tier offered."""

    listed: list[ListedSubscription]
    elsewhere: list[PlatformHolding]
    top_tier: int | None


def my_product_rows(*, customer, region: str, platform: str) -> MyProductRows:
    """The customer's subscriptions of the Region in one query, with the top offered tier on each row.

    My Product lists those of the current Platform (SPEC 2), live ones first (stable sort: terminated
    subscriptions, kept for their invoices, after the live ones); of the other Platforms it says how many each
    holds (issue 20), so a page under Classic does not look empty while VPC holds some.
    """
    rows = list(
        Subscription.objects.owned_by(customer)
        .filter(region=region, platform__in=list(PLATFORMS))
        .annotate(top_offered_tier=top_offered_tier_subquery())
        .order_by("-created_at", "-id")
        .values_list(*_LOOKUPS, "top_offered_tier")
    )
    platform_at, status_at = _COLUMNS[Subscription].index("platform"), _COLUMNS[Subscription].index("status")
    listed = sorted(
        (ListedSubscription(row[:-1]) for row in rows if row[platform_at] == platform),
        key=lambda listed: listed.row[status_at] == Status.TERMINATED,
    )
    counts = Counter(row[platform_at] for row in rows if row[platform_at] != platform)
    elsewhere = [PlatformHolding(code, str(PLATFORMS[code]), counts[code]) for code in sorted(counts)]
    return MyProductRows(listed, elsewhere, rows[0][-1] if rows else None)


def _cut_at(entries: list[TimelineEntry], day: date) -> list[TimelineEntry]:
    """Drop what would have happened on or after `day`: a conversion or a cancellation changes the course."""
    return [entry for entry in entries if entry.on < day]


def _trial_path(standing: Standing) -> list[TimelineEntry]:
    """SPEC 5.1, 6: the trial ends, the service is suspended (grace), then terminated and its data deleted."""
    subscription = standing.subscription
    entries = []
    if standing.status == Status.TRIAL:
        entries.append(TimelineEntry(subscription.trial_last_day, _("Last day of the free trial")))
        entries.append(
            TimelineEntry(subscription.trial_last_day + ONE_DAY, _("Service suspended until converted to paid"))
        )
    entries.append(TimelineEntry(subscription.grace_last_day, _("Last day to convert to paid")))
    entries.append(TimelineEntry(subscription.grace_last_day + ONE_DAY, _("Service terminated and all data deleted")))
    return entries


def _paid_path(standing: Standing) -> list[TimelineEntry]:
    """SPEC 3, 5.3: the current period's invoice, the end of the contract term of the day and what the renewal
    option does then, by the calendar (issue 22)."""
    contract = standing.contract
    entries = [TimelineEntry(contract.period.next_start, _("Invoice issued for the current billing period"))]
    entries.append(TimelineEntry(contract.term_end, _("Contract term ends")))
    after_term = contract.term_end + ONE_DAY
    option = standing.subscription.effective_renewal_option
    if option == RenewalOption.RENEW_ANNUAL:
        entries.append(TimelineEntry(after_term, _("Renewed as annual for another 12 months")))
    elif option == RenewalOption.DO_NOT_RENEW:
        entries.append(TimelineEntry(after_term, _("Service ends and all data is deleted")))
    else:
        entries.append(TimelineEntry(after_term, _("Continues as a monthly contract")))
    return entries


def subscription_timeline(
    standing: Standing, *, conversion: Reservation | None, cancellation: Reservation | None
) -> list[TimelineEntry]:
    """The next lifecycle events of one subscription, from the day of ``standing`` on, in date order."""
    today = standing.day
    if standing.status in (Status.TRIAL, Status.SUSPENDED):
        entries = _trial_path(standing)
        if conversion is not None:
            entries = _cut_at(entries, conversion.effective_on)
            entries.append(
                TimelineEntry(
                    conversion.effective_on,
                    _("Reserved paid conversion starts (%(plan)s, %(contract_type)s)")
                    % {"plan": conversion.plan, "contract_type": conversion.get_contract_type_display()},
                )
            )
    elif standing.status == Status.ACTIVE:
        entries = _paid_path(standing)
    else:
        return []
    if cancellation is not None:
        entries = _cut_at(entries, cancellation.effective_on)
        entries.append(
            TimelineEntry(cancellation.effective_on, _("Reserved cancellation: service stops and all data is deleted"))
        )
    return sorted((entry for entry in entries if entry.on >= today), key=lambda entry: entry.on)


def subscription_card(subscription: Subscription, *, today: date, top_tier: int | None) -> SubscriptionCard:
    pending = pending_reservations(subscription)
    standing = standing_on(subscription, today=today, pending=pending)
    # A reserved conversion whose date has come has started, by the calendar: it is the contract now.
    conversion = pending.get(Reservation.Kind.CONVERSION) if standing.status != Status.ACTIVE else None
    cancellation = pending.get(Reservation.Kind.CANCELLATION)
    return SubscriptionCard(
        subscription=standing.calendar_row(),
        standing=standing,
        actions=allowed_actions(subscription, today=today, pending=pending, top_tier=top_tier, standing=standing),
        conversion=conversion,
        cancellation=cancellation,
        timeline=subscription_timeline(standing, conversion=conversion, cancellation=cancellation),
        recent_invoices=list(getattr(subscription, "recent_invoice_list", [])),
    )


def my_product_cards(*, customer, region: str, platform: str, today: date) -> list[SubscriptionCard]:
    """Every card of My Product as data (the page renders them through subscriptions.cards, cached)."""
    rows = my_product_rows(customer=customer, region=region, platform=platform)
    subscriptions = [listed.subscription for listed in rows.listed]
    prefetch_card_facts(subscriptions)
    return [subscription_card(subscription, today=today, top_tier=rows.top_tier) for subscription in subscriptions]
