from datetime import UTC, date, datetime, timedelta

import dns.resolver
import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import override_settings

from subscriptions.models import LifecycleEvent, Status
from subscriptions.services.rename import subscription_rename_workspace
from tests.subscriptions.factories import TrialSubscriptionFactory
from tests.workspaces.factories import (
    ADMIN_PASSWORD,
    DomainWorkspaceFactory,
    MemberFactory,
    OrgUnitFactory,
    WorkGroupFactory,
    WorkspaceFactory,
)
from workspaces import directory, export, services
from workspaces.models import AccountType, Member, OrgUnit, WorkGroup, Workspace

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)
MEMBER_PASSWORD = "seoul2027go"


def _trial(**kwargs):
    return TrialSubscriptionFactory(**kwargs)


def _active_annual(licences: int):
    return TrialSubscriptionFactory(
        status=Status.ACTIVE,
        contract_type="annual",
        licences=licences,
        paid_start=date(2026, 12, 5),
        term_start=date(2026, 12, 5),
        term_end=date(2027, 12, 4),
    )


def _messages(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict


# --- workspace_create ------------------------------------------------------------------------------------------


def test_workspace_create_makes_the_workspace_and_its_admin_with_an_argon2_hash():
    workspace = services.workspace_create(
        kind=AccountType.GROUP,
        name="seoul-team",
        admin_login_id="boss",
        admin_password="works2026ok",
        company_name="Seoul Trading",
        company_phone="02-1234-5678",
        now=NOW,
    )

    assert (workspace.kind, workspace.name, workspace.company_name, workspace.created_at) == (
        "group",
        "seoul-team",
        "Seoul Trading",
        NOW,
    )
    assert workspace.company_phone.as_e164 == "+82212345678"
    admin = Member.objects.get(workspace=workspace)
    assert (admin.login_id, admin.is_admin, admin.account_id) == ("boss", True, "boss@seoul-team")
    assert admin.password.startswith("argon2")
    assert check_password("works2026ok", admin.password)


def test_workspace_create_stores_a_unicode_domain_in_its_ascii_form():
    workspace = services.workspace_create(
        kind=AccountType.DOMAIN,
        name="한국.KR",
        admin_login_id="admin",
        admin_password="works2026ok",
        company_name="Hanguk",
        company_phone="+82 2-1234-5678",
        now=NOW,
    )

    assert workspace.name == "xn--3e0b707e.kr"
    assert workspace.needs_domain_verification is True


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"name": "Seoul"}, "A group name must be in lowercase: uppercase letters are not allowed.", id="upper"
        ),
        pytest.param({"admin_login_id": "A"}, "An ID must have 2 to 40 characters (it has 1).", id="short-id"),
        pytest.param(
            {"admin_password": "abc12345"},
            "The password cannot contain 3 sequential letters or digits (such as “abc”, “cba”, “123” or “321”).",
            id="sequential-password",
        ),
        pytest.param({"company_name": "  "}, "Enter the company name.", id="blank-company"),
        pytest.param({"company_phone": "12"}, "Enter a valid phone number.", id="bad-phone"),
        pytest.param({"kind": "team"}, "Choose a group name or a domain name.", id="bad-kind"),
    ],
)
def test_workspace_create_refuses_broken_rules_and_writes_nothing(overrides, expected):
    arguments = {
        "kind": AccountType.GROUP,
        "name": "seoul-team",
        "admin_login_id": "boss",
        "admin_password": "works2026ok",
        "company_name": "Seoul Trading",
        "company_phone": "02-1234-5678",
        "now": NOW,
    } | overrides

    with pytest.raises(ValidationError) as excinfo:
        services.workspace_create(**arguments)

    assert excinfo.value.messages == [expected]
    assert Workspace.objects.count() == 0
    assert Member.objects.count() == 0


def test_workspace_create_lets_the_unique_name_constraint_decide_a_race():
    WorkspaceFactory(name="seoul-team")

    with pytest.raises(IntegrityError):
        services.workspace_create(
            kind=AccountType.GROUP,
            name="seoul-team",
            admin_login_id="boss",
            admin_password="works2026ok",
            company_name="Other",
            company_phone="02-1234-5678",
            now=NOW,
        )


# --- admin_authenticate ----------------------------------------------------------------------------------------


def test_admin_authenticate_returns_the_admin_and_records_the_login():
    subscription = _trial()

    member = services.admin_authenticate(
        account_id=f"admin@{subscription.workspace.name}", password=ADMIN_PASSWORD, now=NOW
    )

    assert member.is_admin is True
    assert member.workspace_id == subscription.workspace_id
    assert Member.objects.get(pk=member.pk).last_login_at == NOW


def test_admin_authenticate_matches_the_account_id_case_insensitively():
    subscription = _trial()

    member = services.admin_authenticate(
        account_id=f"  ADMIN@{subscription.workspace.name.upper()} ", password=ADMIN_PASSWORD, now=NOW
    )

    assert member.login_id == "admin"


def test_admin_authenticate_accepts_a_unicode_domain():
    workspace = DomainWorkspaceFactory(name="xn--3e0b707e.kr", domain_verified_at=NOW)
    _trial(workspace=workspace)

    member = services.admin_authenticate(account_id="admin@한국.kr", password=ADMIN_PASSWORD, now=NOW)

    assert member.account_id == "admin@xn--3e0b707e.kr"


@pytest.mark.parametrize(
    ("account_id", "password"),
    [
        pytest.param("admin@{name}", "wrong2026ok", id="wrong-password"),
        pytest.param("nobody@{name}", ADMIN_PASSWORD, id="unknown-id"),
        pytest.param("admin@no-such-group", ADMIN_PASSWORD, id="unknown-group"),
        pytest.param("admin", ADMIN_PASSWORD, id="no-at-sign"),
        pytest.param("admin@", ADMIN_PASSWORD, id="no-name"),
        pytest.param("admin@exa mple..com", ADMIN_PASSWORD, id="not-a-name"),
    ],
)
def test_admin_authenticate_gives_one_message_for_unknown_ids_and_wrong_passwords(account_id, password):
    subscription = _trial()

    with pytest.raises(ValidationError) as excinfo:
        services.admin_authenticate(
            account_id=account_id.format(name=subscription.workspace.name), password=password, now=NOW
        )

    assert excinfo.value.code == "invalid_login"
    assert excinfo.value.messages == ["Enter a correct account ID and password."]
    assert Member.objects.get(workspace=subscription.workspace).last_login_at is None


def test_admin_authenticate_refuses_a_suspended_workspace_with_the_conversion_deadline():
    subscription = _trial(status=Status.SUSPENDED, applied_on=date(2026, 12, 1))

    with pytest.raises(ValidationError) as excinfo:
        services.admin_authenticate(
            account_id=f"admin@{subscription.workspace.name}", password=ADMIN_PASSWORD, now=NOW
        )

    assert excinfo.value.code == "suspended"
    assert excinfo.value.messages == [
        "This workspace is suspended because its trial has ended. Convert it to a paid plan by 2027-01-29 to keep it."
    ]
    assert Member.objects.get(workspace=subscription.workspace).last_login_at is None


def test_admin_authenticate_refuses_a_terminated_workspace():
    subscription = _trial(status=Status.TERMINATED)

    with pytest.raises(ValidationError) as excinfo:
        services.admin_authenticate(
            account_id=f"admin@{subscription.workspace.name}", password=ADMIN_PASSWORD, now=NOW
        )

    assert excinfo.value.code == "terminated"
    assert excinfo.value.messages == ["This workspace has been terminated and can no longer be used."]


def test_admin_authenticate_does_not_tell_the_state_to_a_wrong_password():
    subscription = _trial(status=Status.SUSPENDED)

    with pytest.raises(ValidationError) as excinfo:
        services.admin_authenticate(account_id=f"admin@{subscription.workspace.name}", password="x", now=NOW)

    assert excinfo.value.code == "invalid_login"


def test_unverified_domain_admits_its_admin_only():
    subscription = _trial(workspace=DomainWorkspaceFactory())
    member = MemberFactory(workspace=subscription.workspace, login_id="staff")

    admin = services.admin_authenticate(
        account_id=f"admin@{subscription.workspace.name}", password=ADMIN_PASSWORD, now=NOW
    )
    with pytest.raises(ValidationError) as excinfo:
        services.admin_authenticate(account_id=member.account_id, password=ADMIN_PASSWORD, now=NOW)

    assert admin.is_admin is True
    assert excinfo.value.code == "domain_unverified"
    assert Member.objects.get(pk=member.pk).last_login_at is None


def test_verified_domain_admits_its_members():
    subscription = _trial(workspace=DomainWorkspaceFactory(domain_verified_at=NOW))
    member = MemberFactory(workspace=subscription.workspace, login_id="staff")

    signed_in = services.admin_authenticate(account_id=member.account_id, password=ADMIN_PASSWORD, now=NOW)

    assert signed_in.pk == member.pk


# --- company info ----------------------------------------------------------------------------------------------


def test_company_update_sets_up_the_company_once():
    workspace = _trial().workspace
    later = NOW + timedelta(days=3)

    services.workspace_update_company(
        workspace=workspace,
        company_name="Acme Seoul",
        company_phone="010-2345-6789",
        company_address="Jung-gu",
        now=NOW,
    )
    services.workspace_update_company(
        workspace=workspace, company_name="Acme Busan", company_phone="010-2345-6789", now=later
    )

    workspace.refresh_from_db()
    assert (workspace.company_name, workspace.company_address, workspace.company_set_up_at) == (
        "Acme Busan",
        "",
        NOW,
    )
    assert workspace.company_phone.as_e164 == "+821023456789"


def test_company_update_refuses_an_invalid_phone_and_changes_nothing():
    workspace = _trial().workspace

    with pytest.raises(ValidationError) as excinfo:
        services.workspace_update_company(workspace=workspace, company_name="Acme Busan", company_phone="123", now=NOW)

    assert excinfo.value.message_dict == {"company_phone": ["Enter a valid phone number."]}
    workspace.refresh_from_db()
    assert (workspace.company_name, workspace.company_set_up_at) == ("Acme Korea", None)


# --- members ---------------------------------------------------------------------------------------------------


def test_member_add_creates_a_member_with_a_hashed_initial_password():
    workspace = _trial().workspace
    unit = OrgUnitFactory(workspace=workspace, name="Sales")

    member = directory.member_add(
        workspace=workspace, login_id="jiwoo.kim", name="Kim Jiwoo", password=MEMBER_PASSWORD, org_unit=unit, now=NOW
    )

    member.refresh_from_db()
    assert (member.login_id, member.name, member.is_admin, member.org_unit, member.created_at) == (
        "jiwoo.kim",
        "Kim Jiwoo",
        False,
        unit,
        NOW,
    )
    assert check_password(MEMBER_PASSWORD, member.password)


@pytest.mark.parametrize(
    ("login_id", "name", "password", "expected"),
    [
        pytest.param(
            "J",
            "Kim",
            MEMBER_PASSWORD,
            {"login_id": ["An ID must have 2 to 40 characters (it has 1)."]},
            id="id-short",
        ),
        pytest.param(
            "Jiwoo",
            "Kim",
            MEMBER_PASSWORD,
            {"login_id": ["An ID must be in lowercase: uppercase letters are not allowed."]},
            id="id-uppercase",
        ),
        pytest.param(
            "jiwoo",
            "Kim",
            "abc12345",
            {
                "password": [
                    "The password cannot contain 3 sequential letters or digits "
                    "(such as “abc”, “cba”, “123” or “321”)."
                ]
            },
            id="password-sequential",
        ),
        pytest.param(
            "jiwoo",
            "Kim",
            "onlyletters",
            {"password": ["The password must contain at least one letter and at least one digit."]},
            id="password-no-digit",
        ),
        pytest.param("jiwoo", " ", MEMBER_PASSWORD, {"name": ["Enter the member's name."]}, id="name-blank"),
    ],
)
def test_member_add_applies_the_admin_account_rules_and_writes_nothing(login_id, name, password, expected):
    workspace = _trial().workspace

    with pytest.raises(ValidationError) as excinfo:
        directory.member_add(workspace=workspace, login_id=login_id, name=name, password=password, now=NOW)

    assert excinfo.value.message_dict == expected
    assert list(workspace.members.values_list("login_id", flat=True)) == ["admin"]


def test_member_add_refuses_an_id_in_use():
    workspace = _trial().workspace

    with pytest.raises(ValidationError) as excinfo:
        directory.member_add(workspace=workspace, login_id="admin", name="Other", password=MEMBER_PASSWORD, now=NOW)

    assert excinfo.value.message_dict == {"login_id": [f"The ID admin@{workspace.name} is already in use."]}
    assert workspace.members.count() == 1


@override_settings(TRIAL_MEMBER_LIMIT=2)
def test_trial_caps_members_and_counts_the_admin():
    workspace = _trial().workspace
    directory.member_add(workspace=workspace, login_id="second", name="Second", password=MEMBER_PASSWORD, now=NOW)

    with pytest.raises(ValidationError) as excinfo:
        directory.member_add(workspace=workspace, login_id="third", name="Third", password=MEMBER_PASSWORD, now=NOW)

    assert excinfo.value.code == "trial_member_limit"
    assert excinfo.value.messages == ["A trial workspace can have at most 2 members, the admin included."]
    assert sorted(workspace.members.values_list("login_id", flat=True)) == ["admin", "second"]


def test_active_annual_contract_caps_members_at_its_licences():
    workspace = _active_annual(licences=2).workspace
    directory.member_add(workspace=workspace, login_id="second", name="Second", password=MEMBER_PASSWORD, now=NOW)

    with pytest.raises(ValidationError) as excinfo:
        directory.member_add(workspace=workspace, login_id="third", name="Third", password=MEMBER_PASSWORD, now=NOW)

    assert excinfo.value.code == "licence_limit"
    assert excinfo.value.messages == [
        "This workspace has 2 licences and as many members. Add licences on My Product before adding members."
    ]
    assert workspace.members.count() == 2


@override_settings(TRIAL_MEMBER_LIMIT=1)
def test_active_monthly_contract_has_no_member_cap():
    workspace = TrialSubscriptionFactory(
        status=Status.ACTIVE,
        contract_type="monthly",
        paid_start=date(2026, 12, 5),
        term_start=date(2026, 12, 5),
        term_end=date(2027, 1, 4),
    ).workspace

    directory.member_add(workspace=workspace, login_id="second", name="Second", password=MEMBER_PASSWORD, now=NOW)

    assert workspace.members.count() == 2


@pytest.mark.parametrize("status", [Status.SUSPENDED, Status.TERMINATED])
def test_a_closed_workspace_cannot_change(status):
    workspace = _trial(status=status).workspace

    with pytest.raises(ValidationError) as excinfo:
        directory.member_add(workspace=workspace, login_id="second", name="Second", password=MEMBER_PASSWORD, now=NOW)

    assert excinfo.value.code == "workspace_closed"
    assert workspace.members.count() == 1


def test_member_add_refuses_a_unit_of_another_workspace():
    workspace = _trial().workspace
    foreign_unit = OrgUnitFactory()

    with pytest.raises(ValidationError) as excinfo:
        directory.member_add(
            workspace=workspace,
            login_id="second",
            name="Second",
            password=MEMBER_PASSWORD,
            org_unit=foreign_unit,
            now=NOW,
        )

    assert excinfo.value.message_dict == {"org_unit": ["Choose a unit of this workspace."]}
    assert workspace.members.count() == 1


def test_member_remove_keeps_the_row_marked_removed_and_out_of_the_live_members():
    workspace = _trial().workspace
    member = MemberFactory(workspace=workspace)
    group = directory.work_group_add(workspace=workspace, name="Sales")
    directory.work_group_add_member(work_group=group, member=member)

    directory.member_remove(member=member, now=NOW)

    member.refresh_from_db()
    assert member.removed_at == NOW
    assert list(workspace.members.live().values_list("login_id", flat=True)) == ["admin"]
    assert workspace.members.count() == 2  # the row stays until the purge (SPEC 3)
    assert list(group.members.all()) == []


def test_a_removed_member_cannot_be_removed_again_nor_log_in():
    workspace = _trial().workspace
    member = MemberFactory(workspace=workspace, login_id="second")
    directory.member_remove(member=member, now=NOW)

    with pytest.raises(ValidationError) as removed_again:
        directory.member_remove(member=member, now=NOW + timedelta(minutes=1))
    with pytest.raises(ValidationError) as login:
        services.admin_authenticate(account_id=f"second@{workspace.name}", password=ADMIN_PASSWORD, now=NOW)

    assert removed_again.value.code == "member_gone"
    assert login.value.code == "invalid_login"
    member.refresh_from_db()
    assert member.removed_at == NOW


@override_settings(TRIAL_MEMBER_LIMIT=2)
def test_a_removed_member_frees_its_place_under_the_limit_and_its_id():
    workspace = _trial().workspace
    second = directory.member_add(
        workspace=workspace, login_id="second", name="Second", password=MEMBER_PASSWORD, now=NOW
    )
    directory.member_remove(member=second, now=NOW)

    again = directory.member_add(
        workspace=workspace, login_id="second", name="Second again", password=MEMBER_PASSWORD, now=NOW
    )

    assert again.pk != second.pk
    assert sorted(workspace.members.live().values_list("name", flat=True)) == ["Admin", "Second again"]


def test_member_remove_never_removes_the_admin():
    workspace = _trial().workspace
    admin = workspace.members.get(is_admin=True)

    with pytest.raises(ValidationError) as excinfo:
        directory.member_remove(member=admin, now=NOW)

    assert excinfo.value.code == "admin_not_removable"
    assert workspace.members.filter(pk=admin.pk).exists()


# --- organization units and groups ----------------------------------------------------------------------------


def test_org_units_form_a_tree_with_unique_sibling_names():
    workspace = _trial().workspace
    sales = directory.org_unit_add(workspace=workspace, name="Sales")
    seoul = directory.org_unit_add(workspace=workspace, name="Seoul", parent=sales)
    directory.org_unit_add(workspace=workspace, name="Seoul")  # the same name elsewhere in the tree

    with pytest.raises(ValidationError) as excinfo:
        directory.org_unit_add(workspace=workspace, name="Seoul", parent=sales)

    assert excinfo.value.message_dict == {"name": ["There is already a unit named “Seoul” here."]}
    assert seoul.parent == sales
    assert OrgUnit.objects.filter(workspace=workspace).count() == 3


def test_org_unit_with_sub_units_is_not_removed():
    workspace = _trial().workspace
    sales = OrgUnitFactory(workspace=workspace, name="Sales")
    OrgUnitFactory(workspace=workspace, name="Seoul", parent=sales)

    with pytest.raises(ValidationError) as excinfo:
        directory.org_unit_remove(org_unit=sales)

    assert excinfo.value.messages == ["Remove the units under “Sales” first."]
    assert OrgUnit.objects.filter(workspace=workspace).count() == 2


def test_org_unit_removed_leaves_its_members_without_a_unit():
    workspace = _trial().workspace
    sales = OrgUnitFactory(workspace=workspace, name="Sales")
    member = MemberFactory(workspace=workspace, org_unit=sales)

    directory.org_unit_remove(org_unit=sales)

    member.refresh_from_db()
    assert member.org_unit is None
    assert not OrgUnit.objects.filter(pk=sales.pk).exists()


def test_groups_are_added_with_unique_names_and_hold_members():
    workspace = _trial().workspace
    member = MemberFactory(workspace=workspace)
    group = directory.work_group_add(workspace=workspace, name="Design")

    directory.work_group_add_member(work_group=group, member=member)
    with pytest.raises(ValidationError) as excinfo:
        directory.work_group_add(workspace=workspace, name="Design")

    assert excinfo.value.message_dict == {"name": ["There is already a group named “Design”."]}
    assert list(group.members.all()) == [member]


def test_group_refuses_a_member_of_another_workspace():
    workspace = _trial().workspace
    group = WorkGroupFactory(workspace=workspace)
    stranger = MemberFactory()

    with pytest.raises(ValidationError) as excinfo:
        directory.work_group_add_member(work_group=group, member=stranger)

    assert excinfo.value.message_dict == {"member": ["Choose a member of this workspace."]}
    assert group.members.count() == 0


def test_group_member_removed_and_group_removed_keep_the_member():
    workspace = _trial().workspace
    member = MemberFactory(workspace=workspace)
    group = WorkGroupFactory(workspace=workspace, members=[member])

    directory.work_group_remove_member(work_group=group, member=member)
    directory.work_group_remove(work_group=group)

    assert not WorkGroup.objects.filter(pk=group.pk).exists()
    assert Member.objects.filter(pk=member.pk).exists()


# --- group name change -----------------------------------------------------------------------------------------


def test_rename_changes_the_name_everywhere_my_product_reads_it():
    subscription = _trial()
    workspace = subscription.workspace
    old_name = workspace.name

    subscription_rename_workspace(workspace=workspace, new_name="new-team", now=NOW)

    workspace.refresh_from_db()
    subscription.refresh_from_db()
    assert (workspace.name, workspace.name_changed_at) == ("new-team", NOW)
    assert (subscription.name, subscription.admin_account_id) == ("new-team", "admin@new-team")
    event = LifecycleEvent.objects.get(subscription=subscription, kind="workspace_renamed")
    assert (event.actor, event.at, event.details) == (
        "workspace_admin",
        NOW,
        {"from_name": old_name, "to_name": "new-team"},
    )


@pytest.mark.parametrize(
    ("new_name", "expected"),
    [
        pytest.param("New-Team", "A group name must be in lowercase: uppercase letters are not allowed.", id="upper"),
        pytest.param("admin", "“admin” is a reserved name. Choose another group name.", id="reserved"),
        pytest.param("taken-name", "The name “taken-name” is already in use.", id="taken"),
        pytest.param("{current}", "This is already the group name.", id="same"),
    ],
)
def test_rename_refuses_invalid_or_taken_names_and_changes_nothing(new_name, expected):
    subscription = _trial()
    WorkspaceFactory(name="taken-name")
    workspace = subscription.workspace
    old_name = workspace.name

    with pytest.raises(ValidationError) as excinfo:
        subscription_rename_workspace(workspace=workspace, new_name=new_name.format(current=old_name), now=NOW)

    assert excinfo.value.message_dict == {"new_name": [expected]}
    workspace.refresh_from_db()
    subscription.refresh_from_db()
    assert (workspace.name, workspace.name_changed_at, subscription.name) == (old_name, None, old_name)


def test_rename_is_refused_within_24_hours_of_the_last_change():
    workspace = _trial().workspace
    subscription_rename_workspace(workspace=workspace, new_name="first-rename", now=NOW)

    with pytest.raises(ValidationError) as excinfo:
        subscription_rename_workspace(
            workspace=workspace, new_name="second-rename", now=NOW + timedelta(hours=23, minutes=59)
        )
    subscription_rename_workspace(workspace=workspace, new_name="third-rename", now=NOW + timedelta(hours=24))

    assert excinfo.value.message_dict == {
        "new_name": [
            "The group name was changed at 2026-12-10 12:00 (KST). "
            "It can be changed again from 2026-12-11 12:00 (KST)."
        ]
    }
    workspace.refresh_from_db()
    assert workspace.name == "third-rename"


def test_a_domain_workspace_cannot_be_renamed():
    workspace = _trial(workspace=DomainWorkspaceFactory()).workspace

    with pytest.raises(ValidationError) as excinfo:
        subscription_rename_workspace(workspace=workspace, new_name="new-team", now=NOW)

    assert excinfo.value.code == "domain_not_renamable"


# --- domain verification ---------------------------------------------------------------------------------------


class FakeTxt:
    def __init__(self, *chunks: str) -> None:
        self.strings = tuple(chunk.encode() for chunk in chunks)


class FakeResolver:
    """Stands in for dns.resolver.Resolver: records the questions, answers from a dict or raises."""

    def __init__(self, records: dict[str, list[FakeTxt]] | None = None, error: Exception | None = None) -> None:
        self.records = records or {}
        self.error = error
        self.questions: list[tuple[str, str]] = []

    def resolve(self, qname: str, rdtype: str):
        self.questions.append((qname, rdtype))
        if self.error is not None:
            raise self.error
        return self.records.get(qname, [])


def test_domain_is_verified_when_a_txt_record_has_the_token():
    workspace = _trial(workspace=DomainWorkspaceFactory(name="acme.example")).workspace
    token = workspace.verification_token
    resolver = FakeResolver({"acme.example": [FakeTxt("v=spf1 -all"), FakeTxt(token[:20], token[20:])]})

    services.workspace_verify_domain(workspace=workspace, now=NOW, resolver=resolver)

    workspace.refresh_from_db()
    assert workspace.domain_verified_at == NOW
    assert resolver.questions == [("acme.example", "TXT")]


def test_domain_without_the_token_stays_unverified():
    workspace = _trial(workspace=DomainWorkspaceFactory(name="acme.example")).workspace
    resolver = FakeResolver({"acme.example": [FakeTxt("naverworks-verification=someone-else")]})

    with pytest.raises(ValidationError) as excinfo:
        services.workspace_verify_domain(workspace=workspace, now=NOW, resolver=resolver)

    assert excinfo.value.code == "token_not_found"
    assert excinfo.value.messages == [
        "No TXT record of acme.example has the verification value yet. DNS changes can take a while to spread: "
        "check the record and try again later."
    ]
    workspace.refresh_from_db()
    assert workspace.domain_verified_at is None


@pytest.mark.parametrize(
    ("error", "code"),
    [
        pytest.param(dns.resolver.NXDOMAIN(), "nxdomain", id="nxdomain"),
        pytest.param(dns.resolver.LifetimeTimeout(timeout=5.0, errors=[]), "dns_unavailable", id="timeout"),
        pytest.param(dns.resolver.NoNameservers(), "dns_unavailable", id="no-nameservers"),
    ],
)
def test_dns_failures_become_clear_messages(error, code):
    workspace = _trial(workspace=DomainWorkspaceFactory(name="acme.example")).workspace

    with pytest.raises(ValidationError) as excinfo:
        services.workspace_verify_domain(workspace=workspace, now=NOW, resolver=FakeResolver(error=error))

    assert excinfo.value.code == code
    workspace.refresh_from_db()
    assert workspace.domain_verified_at is None


def test_a_group_workspace_has_no_domain_to_verify():
    workspace = _trial().workspace

    with pytest.raises(ValidationError) as excinfo:
        services.workspace_verify_domain(workspace=workspace, now=NOW, resolver=FakeResolver())

    assert excinfo.value.code == "not_a_domain"


# --- export ----------------------------------------------------------------------------------------------------


def test_export_holds_everything_needed_to_restore_the_workspace_and_no_password():
    subscription = _trial(applied_on=date(2026, 12, 1))
    workspace = subscription.workspace
    sales = OrgUnitFactory(workspace=workspace, name="Sales")
    OrgUnitFactory(workspace=workspace, name="Seoul", parent=sales)
    OrgUnitFactory(workspace=workspace, name="Busan", parent=sales)
    OrgUnitFactory(workspace=workspace, name="Admin office")
    jiwoo = MemberFactory(workspace=workspace, login_id="jiwoo", name="Kim Jiwoo", org_unit=sales, created_at=NOW)
    WorkGroupFactory(workspace=workspace, name="Design", members=[jiwoo])
    WorkGroupFactory(workspace=workspace, name="Empty")
    admin = workspace.members.get(is_admin=True)

    data = export.workspace_export_data(workspace=workspace, now=NOW)

    assert list(data) == ["format", "exported_at", "workspace", "subscription", "members", "org_units", "groups"]
    assert data["format"] == "works-console-export/1"
    assert data["exported_at"] == "2026-12-10T03:00:00+00:00"
    assert data["workspace"] == {
        "kind": "group",
        "name": workspace.name,
        "company_name": "Acme Korea",
        "company_phone": "+82212345678",
        "company_address": "",
        "company_set_up_at": None,
        "name_changed_at": None,
        "domain_verification": None,
        "created_at": workspace.created_at.isoformat(),
    }
    assert data["subscription"] == {
        "id": subscription.public_id,
        "plan": "basic",
        "plan_name": "Basic",
        "state": "trial",
        "region": "KR",
        "platform": "VPC",
        "applied_on": "2026-12-01",
        "trial_last_day": "2026-12-30",
        "grace_last_day": "2027-01-29",
        "paid_start": None,
        "contract_type": None,
        "licences": None,
        "term_start": None,
        "term_end": None,
        "renewal_option": None,
    }
    assert data["members"] == [
        {
            "login_id": "admin",
            "account_id": f"admin@{workspace.name}",
            "name": "Admin",
            "is_admin": True,
            "org_unit": None,
            "groups": [],
            "created_at": admin.created_at.isoformat(),
            "last_login_at": None,
        },
        {
            "login_id": "jiwoo",
            "account_id": f"jiwoo@{workspace.name}",
            "name": "Kim Jiwoo",
            "is_admin": False,
            "org_unit": ["Sales"],
            "groups": ["Design"],
            "created_at": "2026-12-10T03:00:00+00:00",
            "last_login_at": None,
        },
    ]
    assert data["org_units"] == [
        {"name": "Admin office", "children": []},
        {"name": "Sales", "children": [{"name": "Busan", "children": []}, {"name": "Seoul", "children": []}]},
    ]
    assert data["groups"] == [{"name": "Design", "members": ["jiwoo"]}, {"name": "Empty", "members": []}]
    text = str(data)
    assert "argon2" not in text
    assert admin.password not in text and jiwoo.password not in text


def test_export_of_a_domain_workspace_shows_its_verification_state():
    workspace = _trial(workspace=DomainWorkspaceFactory(name="acme.example", domain_verified_at=NOW)).workspace

    data = export.workspace_export_data(workspace=workspace)

    assert data["exported_at"] is None
    assert data["workspace"]["domain_verification"] == {
        "txt_value": workspace.verification_token,
        "verified_at": "2026-12-10T03:00:00+00:00",
    }


def test_members_registered_at_an_instant_are_those_created_before_it_and_not_removed_by_then():
    from workspaces.selectors import member_counts_at

    close = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    one, other, empty = WorkspaceFactory(), WorkspaceFactory(), WorkspaceFactory()
    for workspace, created, removed in [
        (one, close - timedelta(days=10), None),  # counts
        (one, close - timedelta(minutes=1), close + timedelta(minutes=1)),  # removed after the close: counts
        (one, close - timedelta(days=3), close),  # removed at the close: removed by then
        (one, close, None),  # created at the close: not before it
        (one, close + timedelta(minutes=1), None),  # the next period's
        (other, close - timedelta(days=1), close - timedelta(hours=1)),  # removed before the close
        (other, close - timedelta(seconds=1), None),  # counts
    ]:
        MemberFactory(workspace=workspace, created_at=created, removed_at=removed)

    day_before = close - timedelta(days=1)

    counts = member_counts_at(workspace_ids=[one.pk, other.pk, empty.pk, None], instants=[close, day_before, close])

    # A day earlier: the first and the one removed at the close; `other`'s first was created at that very instant.
    assert counts == {(one.pk, close): 2, (other.pk, close): 1, (one.pk, day_before): 2}
