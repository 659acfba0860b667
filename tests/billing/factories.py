"""Paid subscriptions, rate segments, invoices and credits, built the way the services leave them."""

import itertools
from datetime import date, datetime, timedelta

import factory
from django.contrib.auth.hashers import make_password
from django.db import transaction

from billing.models import ContractType, CustomerCredit, Invoice, RateSegment
from billing.periods import period_bounds, term_bounds
from subscriptions.models import Status, Subscription
from subscriptions.services.cancel import subscription_cancel
from subscriptions.services.core import customer_actor
from subscriptions.services.invoicing import issue_invoices
from subscriptions.services.operator import operator_actor, subscription_waive_penalty
from tests.accounts.factories import UserFactory
from tests.subscriptions.factories import ActiveSubscriptionFactory as BaseActiveSubscriptionFactory
from tests.subscriptions.factories import plan
from tests.workspaces.factories import ADMIN_PASSWORD
from works_console.dates import KST
from works_console.db import update_rows
from workspaces.models import AccountType, Member, Workspace

# The trial of TrialSubscriptionFactory is applied on 2026-12-01 (last trial day 2026-12-30, grace to
# 2027-01-29); the paid contracts below start on 2026-12-15, the billing anchor.
PAID_START = date(2026, 12, 15)


def kst(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """An instant on a KST calendar day (10:00 by default, well clear of midnight)."""
    return datetime(year, month, day, hour, minute, tzinfo=KST)


class ActiveSubscriptionFactory(BaseActiveSubscriptionFactory):
    """An active paid subscription (tests.subscriptions.factories) anchored on the billing tests' PAID_START,
    with its first invoice due, as the renewal job finds it."""

    paid_start = PAID_START
    next_invoice_on = factory.LazyAttribute(lambda o: period_bounds(o.paid_start, 0).next_start)


def issue_due(subscription, now: datetime) -> list:
    """Invoice every ended period of ``subscription`` as of ``now`` as the renewal job does, on a batch of one
    (the job's invoicing step: ``subscriptions.services.invoicing.issue_invoices``), and store what moved."""
    with transaction.atomic():
        result, moved = issue_invoices([subscription], now=now)
        update_rows(Subscription, moved)
    # The job keeps only the ids of what it inserted: the tests read the stored invoices, in the order issued.
    stored = Invoice.objects.in_bulk([invoice.id for invoice in result.issued])
    return [stored[invoice.id] for invoice in result.issued]


_bulk_names = itertools.count()


def bulk_active_subscriptions(
    count: int, *, customer, contract_type: str = ContractType.ANNUAL, plan_code: str = "basic"
) -> list[Subscription]:
    """``count`` subscriptions as ActiveSubscriptionFactory leaves them (workspace, admin account, the active
    subscription, its open rate segment), in four INSERTs: thousands made one by one cost more than the job tested.
    """
    chosen = plan(plan_code)
    password = make_password(ADMIN_PASSWORD)
    annual = contract_type == ContractType.ANNUAL
    first_period = period_bounds(PAID_START, 0)
    term_start, term_end = term_bounds(PAID_START, 0) if annual else (first_period.start, first_period.end)
    applied_on = date(2026, 12, 1)
    workspaces = Workspace.objects.bulk_create(
        Workspace(
            kind=AccountType.GROUP,
            name=f"bulk-{next(_bulk_names)}",
            company_name="Acme Korea",
            company_phone="+82 2-1234-5678",
        )
        for _ in range(count)
    )
    Member.objects.bulk_create(
        Member(workspace=workspace, login_id="admin", name="Admin", password=password, is_admin=True)
        for workspace in workspaces
    )
    subscriptions = Subscription.objects.bulk_create(
        Subscription(
            customer=customer,
            workspace=workspace,
            account_type=workspace.kind,
            name=workspace.name,
            admin_account_id=f"admin@{workspace.name}",
            plan=chosen,
            status=Status.ACTIVE,
            applied_on=applied_on,
            trial_last_day=applied_on + timedelta(days=29),
            grace_last_day=applied_on + timedelta(days=59),
            paid_start=PAID_START,
            contract_type=contract_type,
            licences=10 if annual else None,
            term_start=term_start,
            term_end=term_end,
            next_period_index=0,
            next_invoice_on=first_period.next_start,
        )
        for workspace in workspaces
    )
    RateSegment.objects.bulk_create(
        RateSegment(
            subscription=subscription,
            plan=chosen,
            contract_type=contract_type,
            unit_price=chosen.unit_price(contract_type),
            list_unit_price=chosen.monthly_unit_price,
            quantity=subscription.licences,
            starts_on=PAID_START,
        )
        for subscription in subscriptions
    )
    return subscriptions


class RateSegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RateSegment

    plan = factory.LazyFunction(lambda: plan("basic"))
    contract_type = ContractType.ANNUAL
    unit_price = factory.LazyAttribute(lambda o: o.plan.unit_price(o.contract_type))
    list_unit_price = factory.LazyAttribute(lambda o: o.plan.monthly_unit_price)
    quantity = 10
    starts_on = PAID_START
    ends_on = None


class CreditGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerCredit

    customer = factory.SubFactory(UserFactory)
    amount = 10_000
    reason = "Goodwill for the outage of 2026-11-20"


def subscription_snapshot(subscription) -> dict:
    """Everything a refused action must leave untouched: the row, reservations, events, segments, invoices."""
    from billing.models import Invoice
    from subscriptions.models import LifecycleEvent, Reservation, Subscription
    from workspaces.models import Member

    return {
        "row": Subscription.objects.values().get(pk=subscription.pk),
        "reservations": list(
            Reservation.objects.filter(subscription_id=subscription.pk)
            .order_by("id")
            .values_list("kind", "state", "effective_on", "plan_id", "contract_type", "licences")
        ),
        "events": list(
            LifecycleEvent.objects.filter(subscription_id=subscription.pk).order_by("id").values_list("id", flat=True)
        ),
        "segments": list(
            RateSegment.objects.filter(subscription_id=subscription.pk)
            .order_by("id")
            .values_list("plan_id", "contract_type", "unit_price", "quantity", "starts_on", "ends_on")
        ),
        "invoices": list(Invoice.objects.filter(subscription_id=subscription.pk).values_list("id", flat=True)),
        "members": Member.objects.filter(workspace_id=subscription.workspace_id).count(),
    }


def waived_final_invoice(*, customer=None, operator=None, on: date = date(2027, 3, 1)):
    """A final invoice with its early-termination penalty, then the credit note that waives it, as the services
    leave them: Basic annual, 10 licences, periods 0 and 1 invoiced, cancelled ``on`` in period 2.

    On 2027-03-01 (the default): usage 2027-02-15 .. 02-28 = 25,000, penalty 50,000, VAT 7,500, total 82,500;
    waived with a credit note of -55,000 (-50,000, VAT -5,000); 27,500 left to pay. On 2027-02-15, the period's
    first day: the penalty alone, 52,000 + VAT 5,200 = 57,200, all of it waived."""
    extra = {"customer": customer} if customer is not None else {}
    active = ActiveSubscriptionFactory(next_period_index=2, next_invoice_on=date(2027, 3, 15), **extra)
    now = kst(on.year, on.month, on.day)
    with transaction.atomic():
        subscription_cancel(subscription=active, on=on, by=customer_actor(active.customer), now=now)
    operator = operator or UserFactory(is_staff=True)
    with transaction.atomic():
        note = subscription_waive_penalty(subscription=active, reason="Hardship", by=operator_actor(operator), now=now)
    return note.invoice, note
