import factory
from django.contrib.auth.hashers import make_password

from workspaces.models import AccountType, Member, OrgUnit, WorkGroup, Workspace

ADMIN_PASSWORD = "works2026ok"


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    kind = AccountType.GROUP
    name = factory.Sequence(lambda n: f"team-{n}")
    company_name = "Acme Korea"
    company_phone = "+82 2-1234-5678"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    workspace = factory.SubFactory(WorkspaceFactory)
    login_id = factory.Sequence(lambda n: f"member{n}")
    name = "Member"
    password = factory.LazyFunction(lambda: make_password(ADMIN_PASSWORD))
    is_admin = False


class AdminMemberFactory(MemberFactory):
    login_id = "admin"
    name = "Admin"
    is_admin = True


class DomainWorkspaceFactory(WorkspaceFactory):
    kind = AccountType.DOMAIN
    name = factory.Sequence(lambda n: f"company{n}.example.com")


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Unit {n}")
    parent = None


class WorkGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkGroup
        skip_postgeneration_save = True

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Group {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)
