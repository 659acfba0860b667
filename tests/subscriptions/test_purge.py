"""SPEC 6 Purge: every piece of workspace data goes, personal data is scrubbed from what is kept, the name is freed."""

import json
from datetime import UTC, date, datetime

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext

from billing.models import Invoice
from subscriptions.models import LifecycleEvent, Status, Subscription
from subscriptions.services import purge
from subscriptions.services.apply import subscription_apply
from subscriptions.services.cancel import subscription_cancel
from subscriptions.services.core import customer_actor, job_actor, lock_subscription, record_event
from subscriptions.services.rename import subscription_rename_workspace
from tests.accounts.factories import UserFactory
from tests.subscriptions.factories import TrialSubscriptionFactory, plan
from tests.workspaces.factories import MemberFactory, OrgUnitFactory, WorkGroupFactory, WorkspaceFactory
from workspaces import directory, services
from workspaces.models import AccountType, Member, OrgUnit, WorkGroup, Workspace

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 30, 0, 5, tzinfo=UTC)
PURGE_JOB = job_actor("subscriptions.tasks.expire_trials")
WORKSPACE_MODELS = (Workspace, Member, OrgUnit, WorkGroup, WorkGroup.members.through)


def _full_workspace():
    """A workspace with everything in it, and events and history that mention its people."""
    customer = UserFactory(email="owner.purge@example.com", first_name="Sunhee", last_name="Choi")
    workspace = WorkspaceFactory(name="purge-me", company_name="Purgeable Widgets Ltd", company_phone="031-987-6543")
    subscription = TrialSubscriptionFactory(workspace=workspace, customer=customer, applied_on=date(2026, 12, 1))
    sales = OrgUnitFactory(workspace=workspace, name="Sales")
    seoul = OrgUnitFactory(workspace=workspace, name="Seoul", parent=sales)
    hyejin = MemberFactory(workspace=workspace, login_id="hyejin.park", name="Park Hyejin", org_unit=seoul)
    doyoon = MemberFactory(workspace=workspace, login_id="doyoon.lee", name="Lee Doyoon", org_unit=sales)
    WorkGroupFactory(workspace=workspace, name="Design", members=[hyejin, doyoon])
    record_event(
        subscription,
        "applied",
        by=customer_actor(customer),
        at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        to_status=Status.TRIAL,
        details={"plan": "basic", "account_type": "group", "name": "purge-me", "admin_account_id": "admin@purge-me"},
    )
    record_event(
        subscription,
        "note",
        by=customer_actor(customer),
        at=datetime(2026, 12, 2, 1, 0, tzinfo=UTC),
        details={
            "amount": 30_000,
            "on": "2026-12-31",
            "contact": {"who": "Park Hyejin", "reach": "+82 31-987-6543", "licences": 5},
            "log": ["sent to owner.purge@example.com", "ok", "hyejin.park@purge-me asked"],
            "customer_email": "owner.purge@example.com",
            "company_name": "Purgeable Widgets Ltd",
        },
    )
    invoice = Invoice.objects.create(
        number="INV-2027-000001",
        subscription=subscription,
        customer=customer,
        period_index=0,
        period_start=date(2026, 12, 1),
        period_end=date(2026, 12, 31),
        issued_on=date(2027, 1, 1),
        subtotal=10_000,
        vat=1_000,
        total=11_000,
    )
    operator = UserFactory(is_staff=True)
    LogEntry.objects.log_actions(
        user_id=operator.pk, queryset=Member.objects.filter(pk=hyejin.pk), action_flag=CHANGE, change_message="name"
    )
    personal = [
        "admin@purge-me",
        "hyejin.park@purge-me",
        "doyoon.lee@purge-me",
        "hyejin.park",
        "doyoon.lee",
        "Park Hyejin",
        "Lee Doyoon",
        "Purgeable Widgets Ltd",
        "+82 31-987-6543",
        "+82319876543",
        "031-987-6543",
    ]
    return subscription, invoice, personal


def _terminate(subscription: Subscription) -> None:
    Subscription.objects.filter(pk=subscription.pk).update(status=Status.TERMINATED, terminated_on=date(2027, 1, 30))


def _purge(subscription: Subscription) -> Subscription:
    with transaction.atomic():
        locked = lock_subscription(subscription)
        purge.workspace_purge(subscription=locked, now=NOW, by=PURGE_JOB)
    return locked


def _text_of_every_row() -> list[tuple[str, str]]:
    """(model label, text) for every text or JSON value of every row of every model of the project."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            for value in row:
                if value not in (None, "", {}, []):
                    found.append((model._meta.label, json.dumps(value, ensure_ascii=False, default=str)))
    return found


def test_purge_leaves_nothing_of_the_workspace_in_any_model():
    # given
    subscription, invoice, personal = _full_workspace()
    workspace = subscription.workspace
    ids = {
        model: set(model._default_manager.filter(**_workspace_filter(model, workspace)).values_list("pk", flat=True))
        for model in WORKSPACE_MODELS
    }
    assert all(ids.values())  # the fixture has rows of every workspace model
    _terminate(subscription)

    # when
    purged = _purge(subscription)

    # then: no row of a workspace model is left, and no row of any model points at one
    for model, pks in ids.items():
        assert not model._default_manager.filter(pk__in=pks).exists(), model
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target in ids:
                assert not model._default_manager.filter(**{f"{field.attname}__in": ids[target]}).exists(), (
                    model,
                    field.name,
                )
    # no text or JSON value of any row of any model mentions the workspace's people or company
    leaks = [
        (label, needle)
        for label, text in _text_of_every_row()
        for needle in personal
        if needle.casefold() in text.casefold()
    ]
    assert leaks == []
    # what billing and the audit need is kept
    subscription.refresh_from_db()
    assert (subscription.status, subscription.name, subscription.admin_account_id) == ("terminated", "purge-me", "")
    assert (subscription.workspace_id, subscription.purged_at) == (None, NOW)
    assert (purged.workspace_id, purged.admin_account_id, purged.purged_at) == (None, "", NOW)
    invoice.refresh_from_db()
    assert (invoice.subtotal, invoice.vat, invoice.total) == (10_000, 1_000, 11_000)
    events = {event.kind: event for event in LifecycleEvent.objects.filter(subscription=subscription)}
    assert list(events) == ["purged", "note", "applied"]
    assert events["applied"].details == {"plan": "basic", "account_type": "group"}
    assert events["note"].details == {"amount": 30_000, "on": "2026-12-31", "contact": {"licences": 5}, "log": ["ok"]}
    assert [event.actor_user_id for event in events.values()] == [None, None, None]
    assert (events["purged"].actor, events["purged"].at, events["purged"].details) == (
        "job:subscriptions.tasks.expire_trials",
        NOW,
        {"members_deleted": 3},
    )
    assert not LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Member)).exists()


def _workspace_filter(model, workspace: Workspace) -> dict:
    if model is Workspace:
        return {"pk": workspace.pk}
    if model is WorkGroup.members.through:
        return {"workgroup__workspace": workspace}
    return {"workspace": workspace}


def test_purged_name_can_be_applied_for_again():
    subscription, _invoice, _personal = _full_workspace()
    _terminate(subscription)

    _purge(subscription)
    workspace = services.workspace_create(
        kind=AccountType.GROUP,
        name="purge-me",
        admin_login_id="admin",
        admin_password="works2026ok",
        company_name="Next Owner",
        company_phone="02-1234-5678",
        now=NOW,
    )

    assert Workspace.objects.get(name="purge-me").pk == workspace.pk


def test_purge_deletes_removed_members_too_and_scrubs_their_names():
    subscription = TrialSubscriptionFactory()
    removed = MemberFactory(workspace=subscription.workspace, login_id="gone", name="Hyejin Removed")
    directory.member_remove(member=removed, now=NOW)
    record_event(subscription, "note", by=job_actor("test"), at=NOW, details={"note": "asked by Hyejin Removed"})
    _terminate(subscription)

    _purge(subscription)

    assert not Member.objects.filter(pk=removed.pk).exists()
    assert not Member.objects.filter(workspace_id=subscription.workspace_id).exists()
    assert LifecycleEvent.objects.get(subscription=subscription, kind="purged").details == {"members_deleted": 2}
    assert "Hyejin Removed" not in json.dumps(list(LifecycleEvent.objects.values_list("details", flat=True)))


def test_purge_twice_purges_once():
    subscription, _invoice, _personal = _full_workspace()
    _terminate(subscription)

    _purge(subscription)
    _purge(subscription)

    assert LifecycleEvent.objects.filter(subscription=subscription, kind="purged").count() == 1
    subscription.refresh_from_db()
    assert subscription.purged_at == NOW


def test_a_live_subscription_is_never_purged():
    subscription, _invoice, _personal = _full_workspace()

    with pytest.raises(ValidationError) as excinfo:
        _purge(subscription)

    assert excinfo.value.code == "not_terminated"
    subscription.refresh_from_db()
    assert (subscription.purged_at, subscription.admin_account_id) == (None, "admin@purge-me")
    assert Member.objects.filter(workspace_id=subscription.workspace_id).count() == 3


def _terminated_trials(count: int) -> list[Subscription]:
    subscriptions = []
    for _ in range(count):
        subscription = TrialSubscriptionFactory(status=Status.TERMINATED)
        MemberFactory(workspace=subscription.workspace)
        OrgUnitFactory(workspace=subscription.workspace)
        WorkGroupFactory(workspace=subscription.workspace)
        record_event(subscription, "applied", by=customer_actor(subscription.customer), at=NOW, details={"n": 1})
        subscriptions.append(subscription)
    return subscriptions


def _queries_to_purge(subscriptions: list[Subscription]) -> int:
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        locked = list(
            Subscription.objects.select_for_update().filter(pk__in=[subscription.pk for subscription in subscriptions])
        )
        purge.workspace_purge_many(subscriptions=locked, now=NOW, by=PURGE_JOB)
    return len(queries)


def test_purging_a_chunk_takes_as_many_queries_as_purging_one():
    one = _queries_to_purge(_terminated_trials(1))
    many = _queries_to_purge(_terminated_trials(8))

    assert many == one
    assert Subscription.objects.filter(purged_at=NOW).count() == 9
    assert Workspace.objects.count() == 0


def test_cancelling_today_through_the_customer_service_purges_everything():
    # given: a trial applied for and filled through the real services
    applied_at = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    cancelled_at = datetime(2026, 12, 20, 1, 0, tzinfo=UTC)
    customer = UserFactory()
    subscription = subscription_apply(
        customer=customer,
        plan=plan("premium"),
        kind=AccountType.GROUP,
        name="cancel-me",
        admin_login_id="chief.admin",
        admin_password="works2026ok",
        company_name="Cancellable Goods Inc",
        company_phone="051-765-4321",
        region="KR",
        platform="VPC",
        now=applied_at,
    )
    workspace = subscription.workspace
    unit = directory.org_unit_add(workspace=workspace, name="Field")
    member = directory.member_add(
        workspace=workspace,
        login_id="minseo.jung",
        name="Jung Minseo",
        password="seoul2027go",
        org_unit=unit,
        now=applied_at,
    )
    group = directory.work_group_add(workspace=workspace, name="Ops")
    directory.work_group_add_member(work_group=group, member=member)
    subscription_rename_workspace(workspace=workspace, new_name="cancel-me-2", now=applied_at)

    # when
    subscription_cancel(
        subscription=subscription, on=date(2026, 12, 20), by=customer_actor(customer), now=cancelled_at
    )

    # then
    personal = [
        "chief.admin",
        "minseo.jung",
        "Jung Minseo",
        "Cancellable Goods Inc",
        "+82 51-765-4321",
        "+82517654321",
        "051-765-4321",
    ]
    leaks = [
        (label, needle)
        for label, text in _text_of_every_row()
        for needle in personal
        if needle.casefold() in text.casefold()
    ]
    assert leaks == []
    subscription.refresh_from_db()
    assert (subscription.status, subscription.workspace_id, subscription.purged_at) == (
        "terminated",
        None,
        cancelled_at,
    )
    assert not Workspace.objects.filter(name__in=["cancel-me", "cancel-me-2"]).exists()
    assert list(
        LifecycleEvent.objects.filter(subscription=subscription).order_by("id").values_list("kind", "actor_user")
    ) == [("applied", None), ("workspace_renamed", None), ("cancelled", None), ("purged", None)]
