import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.subscriptions.factories import TrialSubscriptionFactory
from tests.workspaces.factories import MemberFactory, OrgUnitFactory, WorkGroupFactory
from workspaces.models import Member, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_workspace_admin_shows_members_without_any_password_hash(operator_client):
    workspace = TrialSubscriptionFactory().workspace
    member = MemberFactory(workspace=workspace, login_id="staff", name="Staff Kim")
    hashes = list(Member.objects.filter(workspace=workspace).values_list("password", flat=True))

    pages = [
        operator_client.get(reverse("admin:workspaces_workspace_change", args=[workspace.pk])),
        operator_client.get(reverse("admin:workspaces_member_change", args=[member.pk])),
        operator_client.get(reverse("admin:workspaces_member_changelist")),
        operator_client.get(reverse("admin:workspaces_workspace_changelist")),
    ]

    assert [page.status_code for page in pages] == [200, 200, 200, 200]
    content = "".join(page.content.decode() for page in pages)
    assert "Staff Kim" in content
    assert "argon2" not in content
    assert [value for value in hashes if value in content] == []
    assert 'name="password"' not in content


def test_workspaces_and_members_are_not_deleted_or_added_in_admin(operator_client):
    workspace = TrialSubscriptionFactory().workspace
    admin_member = Member.objects.get(workspace=workspace)

    responses = [
        operator_client.get(reverse("admin:workspaces_workspace_delete", args=[workspace.pk])),
        operator_client.get(reverse("admin:workspaces_member_delete", args=[admin_member.pk])),
        operator_client.get(reverse("admin:workspaces_workspace_add")),
        operator_client.get(reverse("admin:workspaces_member_add")),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403, 403]
    assert Workspace.objects.filter(pk=workspace.pk).exists()


def test_org_unit_and_group_admin_list_their_rows(operator_client):
    workspace = TrialSubscriptionFactory().workspace
    OrgUnitFactory(workspace=workspace, name="Sales")
    WorkGroupFactory(workspace=workspace, name="Design", members=[MemberFactory(workspace=workspace)])

    units = operator_client.get(reverse("admin:workspaces_orgunit_changelist"))
    groups = operator_client.get(reverse("admin:workspaces_workgroup_changelist"))

    assert (units.status_code, groups.status_code) == (200, 200)
    assert "Sales" in units.content.decode()
    assert "Design" in groups.content.decode()
