from datetime import date, timedelta

import factory

from billing.models import Plan
from subscriptions.models import Status, Subscription
from tests.accounts.factories import UserFactory
from tests.workspaces.factories import AdminMemberFactory, WorkspaceFactory


def plan(code: str = "basic") -> Plan:
    """A plan of the seeded catalog (billing/migrations/0003_seed_plan_catalog.py)."""
    return Plan.objects.get(code=code)


class TrialSubscriptionFactory(factory.django.DjangoModelFactory):
    """A trial applied on `applied_on` (KST), with its workspace and admin account."""

    class Meta:
        model = Subscription

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
