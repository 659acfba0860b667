"""subscription_apply (SPEC 5.1): one transaction, KST dates, the name race on real PostgreSQL transactions."""

import threading
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import connections

from subscriptions.models import LifecycleEvent, Status, Subscription
from subscriptions.services import apply as apply_service
from subscriptions.services.apply import subscription_apply
from tests.accounts.factories import UserFactory
from tests.subscriptions.factories import plan
from tests.workspaces.factories import WorkspaceFactory
from workspaces.models import AccountType, Member, Workspace

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # 23:30 KST on Dec 1


def apply(customer, **overrides) -> Subscription:
    arguments = {
        "customer": customer,
        "plan": plan("basic"),
        "kind": AccountType.GROUP,
        "name": "acme-korea",
        "admin_login_id": "admin",
        "admin_password": "works2026ok",
        "company_name": "Acme Korea",
        "company_phone": "02-1234-5678",
        "region": "KR",
        "platform": "VPC",
        "now": NOW,
    }
    return subscription_apply(**(arguments | overrides))


def error_code(error: ValidationError, field: str) -> str:
    return error.error_dict[field][0].code


def test_apply_creates_workspace_admin_account_and_trial(customer):
    subscription = apply(customer)

    workspace = Workspace.objects.get()
    admin = Member.objects.get()
    assert (workspace.kind, workspace.name, workspace.company_name) == (AccountType.GROUP, "acme-korea", "Acme Korea")
    assert workspace.company_phone.as_e164 == "+82212345678"
    assert (admin.workspace, admin.login_id, admin.is_admin) == (workspace, "admin", True)
    assert admin.password.startswith("argon2$")
    assert check_password("works2026ok", admin.password)
    assert subscription.customer == customer
    assert subscription.workspace == workspace
    assert subscription.status == Status.TRIAL
    assert subscription.plan.code == "basic"
    assert (subscription.account_type, subscription.name) == (AccountType.GROUP, "acme-korea")
    assert subscription.admin_account_id == "admin@acme-korea"
    assert (subscription.region, subscription.platform) == ("KR", "VPC")


def test_apply_records_the_applied_event_by_the_customer(customer):
    subscription = apply(customer)

    event = LifecycleEvent.objects.get()
    assert event.subscription == subscription
    assert (event.kind, event.from_status, event.to_status) == ("applied", "", Status.TRIAL)
    assert (event.actor, event.actor_user, event.at) == ("customer", customer, NOW)
    assert event.details == {
        "plan": "basic",
        "account_type": "group",
        "name": "acme-korea",
        "trial_last_day": "2026-12-30",
    }


@pytest.mark.parametrize(
    ("now", "applied_on", "trial_last_day", "grace_last_day"),
    [
        pytest.param(
            datetime(2026, 12, 1, 14, 30, tzinfo=UTC),
            date(2026, 12, 1),
            date(2026, 12, 30),
            date(2027, 1, 29),
            id="23:30-kst-is-still-dec-1",
        ),
        pytest.param(
            datetime(2026, 12, 1, 15, 10, tzinfo=UTC),
            date(2026, 12, 2),
            date(2026, 12, 31),
            date(2027, 1, 30),
            id="00:10-kst-is-already-dec-2",
        ),
        pytest.param(
            datetime(2027, 2, 1, 0, 0, tzinfo=UTC),
            date(2027, 2, 1),
            date(2027, 3, 2),
            date(2027, 4, 1),
            id="february-has-28-days",
        ),
    ],
)
def test_trial_dates_are_kst_dates(customer, now, applied_on, trial_last_day, grace_last_day):
    subscription = apply(customer, now=now)

    subscription.refresh_from_db()
    assert subscription.applied_on == applied_on
    assert subscription.trial_last_day == trial_last_day
    assert subscription.grace_last_day == grace_last_day


def test_domain_name_is_stored_in_lowercase_idna_ascii(customer):
    subscription = apply(customer, kind=AccountType.DOMAIN, name="Acme.한국")

    assert subscription.name == "acme.xn--3e0b707e"
    assert Workspace.objects.get().name == "acme.xn--3e0b707e"
    assert subscription.admin_account_id == "admin@acme.xn--3e0b707e"


def test_region_and_platform_are_recorded(customer):
    subscription = apply(customer, platform="CLASSIC")

    assert (subscription.region, subscription.platform) == ("KR", "CLASSIC")


def test_a_taken_name_is_refused_and_nothing_is_created(customer):
    WorkspaceFactory(name="acme-korea")

    with pytest.raises(ValidationError) as refused:
        apply(customer)

    assert error_code(refused.value, "name") == "name_taken"
    assert refused.value.message_dict == {"name": ["This group name is already in use."]}
    assert Workspace.objects.count() == 1
    assert not Member.objects.exists()
    assert not Subscription.objects.exists()
    assert not LifecycleEvent.objects.exists()


def test_a_taken_domain_is_refused_whatever_its_case(customer):
    WorkspaceFactory(kind=AccountType.DOMAIN, name="example.com")

    with pytest.raises(ValidationError) as refused:
        apply(customer, kind=AccountType.DOMAIN, name="EXAMPLE.com")

    assert refused.value.message_dict == {"name": ["This domain name is already in use."]}
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        pytest.param({"name": "Acme"}, "name", "uppercase", id="group-uppercase"),
        pytest.param({"name": "admin"}, "name", "reserved", id="group-reserved"),
        pytest.param(
            {"kind": AccountType.DOMAIN, "name": "localhost"}, "name", "domain_labels", id="domain-one-label"
        ),
        pytest.param({"kind": "email"}, "name", "account_type", id="unknown-account-type"),
        pytest.param({"admin_login_id": "Admin"}, "admin_login_id", "uppercase", id="admin-id-uppercase"),
        pytest.param({"admin_password": "abc12345"}, "admin_password", "sequential", id="password-sequential"),
        pytest.param({"company_name": "  "}, "company_name", "required", id="company-name-blank"),
        pytest.param({"company_phone": "12"}, "company_phone", "invalid_phone", id="phone-invalid"),
        pytest.param({"platform": "MAINFRAME"}, "region", "shell", id="unknown-platform"),
    ],
)
def test_invalid_input_is_refused_and_nothing_is_created(customer, overrides, field, code):
    with pytest.raises(ValidationError) as refused:
        apply(customer, **overrides)

    assert error_code(refused.value, field) == code
    assert not Workspace.objects.exists()
    assert not Member.objects.exists()
    assert not Subscription.objects.exists()
    assert not LifecycleEvent.objects.exists()


def test_a_plan_no_longer_offered_is_refused(customer):
    premium = plan("premium")
    premium.is_active = False
    premium.save(update_fields=["is_active"])

    with pytest.raises(ValidationError) as refused:
        apply(customer, plan=premium)

    assert error_code(refused.value, "plan") == "plan_unavailable"
    assert not Workspace.objects.exists()


def test_a_name_freed_by_a_purge_can_be_applied_for_again(customer):
    first = apply(customer)
    first.workspace.delete()  # what the purge does to the workspace (SPEC 6)

    second = apply(customer)

    assert second.name == "acme-korea"
    assert Subscription.objects.filter(name="acme-korea").count() == 2


# --- The race (SPEC 5.1: "two applications racing for one name cannot both succeed") ---


def _race(customers, *, hook=None) -> list[object]:
    """Run subscription_apply for each customer in its own thread and transaction, all released at once."""
    barrier = threading.Barrier(len(customers))
    outcomes: list[object] = [None] * len(customers)

    def run(index: int, customer) -> None:
        try:
            if hook is None:
                barrier.wait(timeout=10)
            outcomes[index] = apply(customer, admin_password=f"race{index}pass9x")
        except ValidationError as error:
            outcomes[index] = error
        finally:
            connections.close_all()

    if hook is not None:
        hook(barrier)
    threads = [threading.Thread(target=run, args=(index, customer)) for index, customer in enumerate(customers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _release_both_at_the_insert(monkeypatch):
    """Both applications pass the advisory exists() check, then insert together: only the constraint decides."""

    def hook(barrier: threading.Barrier) -> None:
        real_workspace_create = apply_service.workspace_create

        def workspace_create_together(**kwargs):
            barrier.wait(timeout=10)
            return real_workspace_create(**kwargs)

        monkeypatch.setattr(apply_service, "workspace_create", workspace_create_together)

    return hook


def _assert_exactly_one_won(outcomes: list[object]) -> None:
    winners = [outcome for outcome in outcomes if isinstance(outcome, Subscription)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert error_code(losers[0], "name") == "name_taken"
    assert losers[0].message_dict == {"name": ["This group name is already in use."]}
    winner = Subscription.objects.get()
    assert winner.customer == winners[0].customer
    workspace = Workspace.objects.get()
    assert winner.workspace == workspace
    # Nothing half-made of the loser: one admin account, in the winner's workspace, with the winner's password.
    admin = Member.objects.get()
    assert admin.workspace == workspace
    assert check_password(f"race{outcomes.index(winners[0])}pass9x", admin.password)
    assert LifecycleEvent.objects.get().subscription == winner


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_applications_submitted_at_the_same_moment_exactly_one_wins():
    outcomes = _race([UserFactory(), UserFactory()])

    _assert_exactly_one_won(outcomes)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_inserts_of_one_name_at_the_same_moment_the_unique_constraint_decides(monkeypatch, caplog):
    caplog.set_level("INFO", logger="subscriptions.services.apply")

    outcomes = _race([UserFactory(), UserFactory()], hook=_release_both_at_the_insert(monkeypatch))

    _assert_exactly_one_won(outcomes)
    assert "application lost the race for a workspace name" in caplog.messages
