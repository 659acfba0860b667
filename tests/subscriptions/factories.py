from datetime import date, timedelta

import factory
from django.db import transaction

from billing.catalog import ensure_catalog
from billing.models import ContractType, DocumentKind, Invoice, Plan, RateSegment
from billing.numbers import numbers_for
from billing.periods import period_bounds, term_bounds
from subscriptions.models import Reservation, Status, Subscription
from tests.accounts.factories import UserFactory
from tests.workspaces.factories import AdminMemberFactory, WorkspaceFactory


def plan(code: str = "basic") -> Plan:
    """A plan of the seeded catalog; transactional tests flush the migration's rows, so re-seed when needed."""
    ensure_catalog()
    return Plan.objects.get(code=code)


class TrialSubscriptionFactory(factory.django.DjangoModelFactory):
    """A trial applied on `applied_on` (KST), with its workspace and admin account."""

    class Meta:
        model = Subscription
        skip_postgeneration_save = True

    class Params:
        plan_code = "basic"

    customer = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    account_type = factory.SelfAttribute("workspace.kind")
    name = factory.SelfAttribute("workspace.name")
    admin_account_id = factory.LazyAttribute(lambda o: f"admin@{o.workspace.name}")
    plan = factory.LazyAttribute(lambda o: plan(o.plan_code))
    status = Status.TRIAL
    applied_on = date(2026, 12, 1)
    trial_last_day = factory.LazyAttribute(lambda o: o.applied_on + timedelta(days=29))
    grace_last_day = factory.LazyAttribute(lambda o: o.trial_last_day + timedelta(days=30))

    @factory.post_generation
    def admin(self, create, extracted, **kwargs):
        if create and self.workspace is not None:
            AdminMemberFactory(workspace=self.workspace)


class SuspendedSubscriptionFactory(TrialSubscriptionFactory):
    """A trial past its last day, in its grace period (SPEC 6)."""

    status = Status.SUSPENDED


def _first_term(o) -> tuple[date, date]:
    if o.contract_type == ContractType.ANNUAL:
        return term_bounds(o.paid_start, 0)
    first = period_bounds(o.paid_start, 0)
    return first.start, first.end


class ActiveSubscriptionFactory(TrialSubscriptionFactory):
    """A paid subscription converted on `paid_start`, in its first term, with its open rate segment at catalog
    prices, as the conversion service leaves it. Annual (10 licences) by default; pass
    `contract_type=ContractType.MONTHLY, licences=None` for a monthly one."""

    status = Status.ACTIVE
    paid_start = date(2026, 12, 10)
    contract_type = ContractType.ANNUAL
    licences = factory.LazyAttribute(lambda o: 10 if o.contract_type == ContractType.ANNUAL else None)
    term_start = factory.LazyAttribute(lambda o: _first_term(o)[0])
    term_end = factory.LazyAttribute(lambda o: _first_term(o)[1])
    next_period_index = 0

    @factory.post_generation
    def segment(self, create, extracted, **kwargs):
        if create and self.status == Status.ACTIVE:
            RateSegment.objects.create(
                subscription=self,
                plan=self.plan,
                contract_type=self.contract_type,
                unit_price=self.plan.unit_price(self.contract_type),
                list_unit_price=self.plan.monthly_unit_price,
                quantity=self.licences,
                starts_on=self.paid_start,
            )


class TerminatedSubscriptionFactory(ActiveSubscriptionFactory):
    """A paid subscription cancelled and purged: no workspace, no admin account, the name kept (SPEC 6)."""

    status = Status.TERMINATED
    workspace = None
    account_type = "group"
    name = factory.Sequence(lambda n: f"gone-{n}")
    admin_account_id = ""
    terminated_on = date(2027, 1, 1)


class TouchesItsSubscription(factory.django.DjangoModelFactory):
    """A row that My Product's card shows (a reservation, an invoice), written as the services write it: the
    subscription's ``version`` moves on, so a card cached before shows it."""

    class Meta:
        abstract = True

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        super()._after_postgeneration(instance, create, results)
        if create:
            Subscription.objects.filter(pk=instance.subscription_id).touch()


class ReservationFactory(TouchesItsSubscription):
    class Meta:
        model = Reservation

    subscription = factory.SubFactory(TrialSubscriptionFactory)
    kind = Reservation.Kind.CANCELLATION
    state = Reservation.State.PENDING
    effective_on = date(2026, 12, 20)


class ConversionReservationFactory(ReservationFactory):
    kind = Reservation.Kind.CONVERSION
    plan = factory.LazyFunction(lambda: plan("premium"))
    contract_type = ContractType.ANNUAL
    licences = 25


def next_number(kind: str, issued_on: date) -> str:
    """The document's number as the services take it (billing.numbers), in a transaction of its own when the
    test runs without one."""
    with transaction.atomic():
        (number,) = numbers_for(kind=kind, issued_on=[issued_on])
    return number


class InvoiceFactory(TouchesItsSubscription):
    """An issued invoice of one billing period; amounts are integer KRW."""

    class Meta:
        model = Invoice

    subscription = factory.SubFactory(ActiveSubscriptionFactory)
    customer = factory.SelfAttribute("subscription.customer")
    period_index = factory.Sequence(lambda n: n)
    period_start = date(2026, 12, 10)
    period_end = date(2027, 1, 9)
    issued_on = factory.LazyAttribute(lambda o: o.period_end + timedelta(days=1))
    number = factory.LazyAttribute(lambda o: next_number(DocumentKind.INVOICE, o.issued_on))
    subtotal = 50_000
    vat = factory.LazyAttribute(lambda o: o.subtotal // 10)
    total = factory.LazyAttribute(lambda o: o.subtotal + o.vat)
