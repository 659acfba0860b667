"""Forms of NAVER WORKS Admin (SPEC 7, 9). They validate and lay out; the services decide and write."""

from datetime import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.forms import PasswordField

from .directory import GROUP_TITLE_MAX_LENGTH, MEMBER_NAME_MAX_LENGTH, UNIT_NAME_MAX_LENGTH
from .models import Member, OrgUnit, Workspace
from .phones import CompanyPhoneFormMixin
from .selectors import org_unit_rows
from .services import COMPANY_ADDRESS_MAX_LENGTH, COMPANY_NAME_MAX_LENGTH, workspace_rename_check
from .validators import ACCOUNT_ID_MAX_LENGTH, validate_admin_id, validate_admin_password, validate_group_name


def _helper(button: str, *, action: str | None = None, button_class: str = "btn-primary") -> FormHelper:
    helper = FormHelper()
    if action:
        helper.form_action = action
    helper.add_input(Submit("submit", button, css_class=button_class))
    return helper


class WorksLoginForm(forms.Form):
    """SPEC 9: `Account ID`, `Password`, button `Start`."""

    account_id = forms.CharField(
        label=_("Account ID"),
        max_length=ACCOUNT_ID_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "placeholder": "admin@group"}),
    )
    password = PasswordField(label=_("Password"), autocomplete="current-password")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Start"))
        self.helper.form_id = "works-login"


class CompanyForm(CompanyPhoneFormMixin, forms.Form):
    """Company info (SPEC 7.2): the phone number in its chosen country, as in the application (SPEC 5.1)."""

    company_name = forms.CharField(label=_("Company name"), max_length=COMPANY_NAME_MAX_LENGTH)
    company_address = forms.CharField(
        label=_("Company address"), max_length=COMPANY_ADDRESS_MAX_LENGTH, required=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Save company info"))
        self.helper.layout = Layout(
            "company_name",
            Row(
                Column("company_phone_country", css_class="col-sm-5"),
                Column("company_phone", css_class="col-sm-7"),
            ),
            "company_address",
        )


class _DirectoryForm(forms.Form):
    """An add form of the workspace's directory: its prefix, the units of ``unit_field``, its button."""

    prefix_name = unit_field = button = url_name = ""

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        kwargs.setdefault("prefix", self.prefix_name)
        super().__init__(*args, **kwargs)
        _set_unit_choices(self.fields[self.unit_field], workspace)
        self.helper = _helper(self.button, action=reverse(self.url_name))


class MemberAddForm(_DirectoryForm):
    """A member's ID and initial password follow the admin account rules (SPEC 7.2)."""

    login_id = forms.CharField(
        label=_("Member ID"),
        validators=[validate_admin_id],
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": 40}),
    )
    name = forms.CharField(label=_("Member name"), max_length=MEMBER_NAME_MAX_LENGTH)
    password = PasswordField(
        label=_("Initial password"),
        autocomplete="new-password",
        validators=[validate_admin_password],
        help_text=_("8-40 lowercase letters and digits, at least one of each; no “abc”, “123” or “aaa”."),
    )
    org_unit = forms.ModelChoiceField(
        label=_("Organization unit"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("(none)")
    )

    prefix_name, unit_field, button, url_name = "member", "org_unit", _("Add member"), "workspaces:member-add"


def _set_unit_choices(field: forms.ModelChoiceField, workspace: Workspace) -> None:
    """Units as their paths (`Sales / Seoul`), tree order, in one query."""
    rows = org_unit_rows(list(OrgUnit.objects.filter(workspace=workspace)))
    field.queryset = OrgUnit.objects.filter(workspace=workspace)
    field.choices = [("", field.empty_label), *((row.unit.pk, " / ".join(row.path)) for row in rows)]


class OrgUnitAddForm(_DirectoryForm):
    name = forms.CharField(label=_("Unit name"), max_length=UNIT_NAME_MAX_LENGTH)
    parent = forms.ModelChoiceField(
        label=_("Parent unit"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("(top level)")
    )

    prefix_name, unit_field, button, url_name = "unit", "parent", _("Add unit"), "workspaces:unit-add"


class WorkGroupAddForm(forms.Form):
    name = forms.CharField(label=_("New group"), max_length=GROUP_TITLE_MAX_LENGTH)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "group")
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Add group"), action=reverse("workspaces:group-add"))


class GroupMemberForm(forms.Form):
    """Which member to add to a group (the template lays it out, one small form per group)."""

    member = forms.ModelChoiceField(queryset=Member.objects.none())

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.live().filter(workspace=workspace)


class RenameForm(forms.Form):
    """SPEC 7.2: the group name changes under the application rules (validate_group_name), and under every rule
    of the change itself (not again within 24 hours, unique: ``workspace_rename_check``), all checked before the
    page asks to confirm (issue 20)."""

    new_name = forms.CharField(
        label=_("New group name"),
        strip=False,
        validators=[validate_group_name],
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": 22}),
    )

    def __init__(self, *args, workspace: Workspace | None = None, now: datetime | None = None, **kwargs) -> None:
        kwargs.setdefault("prefix", "rename")
        super().__init__(*args, **kwargs)
        self.workspace, self.now = workspace, now
        self.helper = _helper(
            _("Change group name"), action=reverse("workspaces:rename"), button_class="btn-outline-primary"
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        new_name = cleaned.get("new_name")
        if new_name and self.workspace is not None:
            try:
                workspace_rename_check(workspace=self.workspace, new_name=new_name, now=self.now)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned
