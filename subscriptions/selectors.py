"""Read-only queries of the subscriptions app: the name availability check and the My Product cards.

Queries here are bounded: the My Product page costs the same number of queries for 1 or 50 subscriptions.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Prefetch, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from billing.models import Invoice
from billing.periods import period_bounds
from works_console.shell import PLATFORMS
from workspaces.models import AccountType, Workspace
from workspaces.validators import clean_workspace_name

from .models import RenewalOption, Reservation, Status, Subscription
from .rules import allowed_actions, pending_reservations, top_offered_tier

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
    """What one My Product card shows, computed without further queries."""

    subscription: Subscription
    actions: frozenset[str]
    conversion: Reservation | None
    cancellation: Reservation | None
    timeline: list[TimelineEntry]
    recent_invoices: list[Invoice]
    days_left: int | None = None

    @property
    def is_domain(self) -> bool:
        return self.subscription.account_type == AccountType.DOMAIN


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


def my_product_subscriptions(*, customer, region: str, platform: str) -> list[Subscription]:
    """The customer's subscriptions under the current Region/Platform (SPEC 2), live ones first.

    Four queries whatever their number: subscriptions (with plan and workspace), pending reservations
    (read by core.pending_reservations through `pending_reservation_list`), and the recent invoices.
    """
    subscriptions = list(
        Subscription.objects.owned_by(customer)
        .filter(region=region, platform=platform)
        .select_related("plan", "workspace")
        .prefetch_related(
            Prefetch(
                "reservations",
                queryset=Reservation.objects.filter(state=Reservation.State.PENDING).select_related("plan"),
                to_attr="pending_reservation_list",
            ),
            _recent_invoices(),
        )
        .order_by("-created_at", "-id")
    )
    # Stable sort: terminated subscriptions (kept for their invoices) go after the live ones.
    return sorted(subscriptions, key=lambda subscription: subscription.status == Status.TERMINATED)


def _cut_at(entries: list[TimelineEntry], day: date) -> list[TimelineEntry]:
    """Drop what would have happened on or after `day`: a conversion or a cancellation changes the course."""
    return [entry for entry in entries if entry.on < day]


def _trial_path(subscription: Subscription) -> list[TimelineEntry]:
    """SPEC 5.1, 6: the trial ends, the service is suspended (grace), then terminated and its data deleted."""
    entries = []
    if subscription.status == Status.TRIAL:
        entries.append(TimelineEntry(subscription.trial_last_day, _("Last day of the free trial")))
        entries.append(
            TimelineEntry(subscription.trial_last_day + ONE_DAY, _("Service suspended until converted to paid"))
        )
    entries.append(TimelineEntry(subscription.grace_last_day, _("Last day to convert to paid")))
    entries.append(TimelineEntry(subscription.grace_last_day + ONE_DAY, _("Service terminated and all data deleted")))
    return entries


def _paid_path(subscription: Subscription) -> list[TimelineEntry]:
    """SPEC 3, 5.3: the next invoice, the end of the contract term and what the renewal option does then."""
    entries = []
    invoice_on = subscription.next_invoice_on
    if invoice_on is None and subscription.paid_start is not None:
        invoice_on = period_bounds(subscription.paid_start, subscription.next_period_index).next_start
    if invoice_on is not None:
        entries.append(TimelineEntry(invoice_on, _("Invoice issued for the current billing period")))
    if subscription.term_end is not None:
        entries.append(TimelineEntry(subscription.term_end, _("Contract term ends")))
        after_term = subscription.term_end + ONE_DAY
        option = subscription.effective_renewal_option
        if option == RenewalOption.RENEW_ANNUAL:
            entries.append(TimelineEntry(after_term, _("Renewed as annual for another 12 months")))
        elif option == RenewalOption.DO_NOT_RENEW:
            entries.append(TimelineEntry(after_term, _("Service ends and all data is deleted")))
        else:
            entries.append(TimelineEntry(after_term, _("Continues as a monthly contract")))
    return entries


def subscription_timeline(
    subscription: Subscription, *, conversion: Reservation | None, cancellation: Reservation | None, today: date
) -> list[TimelineEntry]:
    """The next lifecycle events of one subscription, from today on, in date order."""
    if subscription.status in (Status.TRIAL, Status.SUSPENDED):
        entries = _trial_path(subscription)
        if conversion is not None:
            entries = _cut_at(entries, conversion.effective_on)
            entries.append(
                TimelineEntry(
                    conversion.effective_on,
                    _("Reserved paid conversion starts (%(plan)s, %(contract_type)s)")
                    % {"plan": conversion.plan, "contract_type": conversion.get_contract_type_display()},
                )
            )
    elif subscription.status == Status.ACTIVE:
        entries = _paid_path(subscription)
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
    conversion = pending.get(Reservation.Kind.CONVERSION)
    cancellation = pending.get(Reservation.Kind.CANCELLATION)
    if subscription.status == Status.TRIAL:
        days_left = subscription.trial_days_left(today)
    elif subscription.status == Status.SUSPENDED:
        days_left = subscription.grace_days_left(today)
    else:
        days_left = None
    return SubscriptionCard(
        subscription=subscription,
        actions=allowed_actions(subscription, pending=pending, top_tier=top_tier, today=today),
        conversion=conversion,
        cancellation=cancellation,
        timeline=subscription_timeline(subscription, conversion=conversion, cancellation=cancellation, today=today),
        recent_invoices=list(getattr(subscription, "recent_invoice_list", [])),
        days_left=days_left,
    )


@dataclass(frozen=True, slots=True)
class PlatformHolding:
    """How many of the customer's subscriptions another Platform of the same Region holds (SPEC 2)."""

    platform: str  # the code the header's selector posts
    name: str
    count: int


def subscriptions_on_other_platforms(*, customer, region: str, platform: str) -> list[PlatformHolding]:
    """My Product lists one Region/Platform at a time (SPEC 2); this says where the customer's other subscriptions
    are, so a page under Classic does not look empty while VPC holds some (issue 20). One query: a count per
    platform, counting what My Product would list there (terminated subscriptions too, for their invoices)."""
    rows = (
        Subscription.objects.owned_by(customer)
        .filter(region=region, platform__in=[code for code in PLATFORMS if code != platform])
        .values("platform")
        .annotate(count=Count("id"))
        .order_by("platform")
    )
    return [PlatformHolding(row["platform"], str(PLATFORMS[row["platform"]]), row["count"]) for row in rows]


def my_product_cards(*, customer, region: str, platform: str, today: date) -> list[SubscriptionCard]:
    subscriptions = my_product_subscriptions(customer=customer, region=region, platform=platform)
    top_tier = top_offered_tier() if subscriptions else None
    return [subscription_card(subscription, today=today, top_tier=top_tier) for subscription in subscriptions]
