"""Django admin for the NAVER WORKS side. No password hash is shown anywhere, and no workspace is deleted here:
workspace data goes only through the purge (SPEC 6), which also scrubs what is kept."""

from django import forms
from django.contrib import admin
from django.db.models import Count, F
from django.utils.translation import gettext_lazy as _

from workspaces.models import Member, OrgUnit, WorkGroup, Workspace

from ..names import UnicodeNameSearch, name_with_ascii

MEMBER_FIELDS = ("login_id", "name", "is_admin", "org_unit", "last_login_at", "created_at")


class MemberInline(admin.TabularInline):
    model = Member
    fields = MEMBER_FIELDS
    readonly_fields = MEMBER_FIELDS
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).live()  # a workspace's members are its live ones


@admin.register(Workspace)
class WorkspaceAdmin(UnicodeNameSearch, admin.ModelAdmin):
    list_display = ("workspace_name", "kind", "company_name", "domain_verified_at", "company_set_up_at", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "company_name")
    readonly_fields = (
        "kind",
        "workspace_name",
        "name_changed_at",
        "verification_token",
        "company_set_up_at",
        "created_at",
    )
    fields = (
        "kind",
        "workspace_name",
        "name_changed_at",
        "company_name",
        "company_phone",
        "company_address",
        "company_set_up_at",
        "verification_token",
        "domain_verified_at",
        "created_at",
    )
    inlines = [MemberInline]

    @admin.display(description=_("name"), ordering="name")
    def workspace_name(self, workspace: Workspace) -> str:
        return name_with_ascii(workspace.name)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "company_phone":
            # A plain text input shows str(PhoneNumber): the international form, never a national one that
            # could be read as another country's number (issue 12).
            kwargs["widget"] = forms.TextInput(attrs={"type": "tel", "class": "vTextField"})
            kwargs["help_text"] = _("International form: + and the country code first, such as +81 3-1234-5678.")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj: Workspace, form, change: bool) -> None:
        # An operator's change shows on the customer's card: its cache key moves on (issue 17).
        obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        obj.refresh_from_db(fields=["version"])

    def has_add_permission(self, request) -> bool:
        return False  # a workspace is created by an application (SPEC 5.1), with its subscription

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(UnicodeNameSearch, admin.ModelAdmin):
    list_display = ("login_id", "workspace", "name", "is_admin", "last_login_at", "removed_at")
    list_filter = ("is_admin", ("removed_at", admin.EmptyFieldListFilter))
    search_fields = ("login_id", "name", "workspace__name")
    list_select_related = ("workspace",)
    # Never the password field: not even its hash is shown.
    fields = ("workspace", "login_id", "name", "is_admin", "org_unit", "last_login_at", "created_at", "removed_at")
    readonly_fields = ("workspace", "login_id", "is_admin", "last_login_at", "created_at", "removed_at")

    def has_add_permission(self, request) -> bool:
        return False  # members get a password under the SPEC 5.1 rules: through NAVER WORKS Admin

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and "org_unit" in form.base_fields:
            form.base_fields["org_unit"].queryset = OrgUnit.objects.filter(workspace_id=obj.workspace_id)
        return form


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "workspace")
    search_fields = ("name", "workspace__name")
    list_select_related = ("parent", "workspace")
    raw_id_fields = ("workspace", "parent")


@admin.register(WorkGroup)
class WorkGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "member_count")
    search_fields = ("name", "workspace__name")
    list_select_related = ("workspace",)
    raw_id_fields = ("workspace", "members")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, obj: WorkGroup) -> int:
        return obj.member_total
