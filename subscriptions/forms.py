"""The trial application wizard's steps (SPEC 5.1). Every rule comes from workspaces.validators."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import PasswordField
from billing.models import Plan
from workspaces.models import AccountType, Workspace
from workspaces.phones import CompanyPhoneFormMixin
from workspaces.validators import (
    ADMIN_ID_MAX_LENGTH,
    DOMAIN_NAME_MAX_LENGTH,
    GROUP_NAME_MAX_LENGTH,
    admin_account_id,
    clean_workspace_name,
    unicode_name,
    validate_admin_id,
    validate_admin_password,
    validate_password_confirmation,
)

from .services.apply import name_taken_error

# Names and IDs are taken as typed: no autocompletion, spelling or capitalization by the browser.
AS_TYPED = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
# The field of step 3 that holds the name for each account type.
NAME_FIELD = {AccountType.GROUP: "group_name", AccountType.DOMAIN: "domain_name"}


def _name_field(label: str, max_length: int, help_text: str) -> forms.CharField:
    """A group or domain name: optional here, only the one the account type chooses is required and checked."""
    return forms.CharField(
        label=label, required=False, max_length=max_length, help_text=help_text, widget=forms.TextInput(attrs=AS_TYPED)
    )


class _ReadOnceChoices(forms.models.ModelChoiceIterator):
    """The plans in one plain SELECT, read once per form: Django's iterator reads them through ``.iterator()``, a
    server-side cursor on PostgreSQL (DECLARE, FETCH, CLOSE: three round trips for three plans, issue 17)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for plan in self.queryset:
            yield self.choice(plan)


class PlanChoiceField(forms.ModelChoiceField):
    """Radios labelled with the plan's name only (SPEC 9: `Lite`, `Basic`, `Premium`)."""

    iterator = _ReadOnceChoices

    def label_from_instance(self, obj: Plan) -> str:
        return obj.name


class SelectProductForm(forms.Form):
    """Step 1: one of the offered plans. The template lays the radios out as cards with features and notes."""

    plan = PlanChoiceField(
        label=_("Plan"),
        queryset=Plan.objects.filter(is_active=True).order_by("tier"),
        widget=forms.RadioSelect,
        empty_label=None,
        to_field_name="code",
        error_messages={"required": _("Choose a plan."), "invalid_choice": _("This plan is no longer offered.")},
    )


class AgreeToTermsForm(forms.Form):
    """Step 2: the terms must be accepted."""

    agree = forms.BooleanField(
        label=_("I agree to the terms"),
        error_messages={"required": _("You must agree to the terms to apply.")},
    )


class EnterInformationForm(CompanyPhoneFormMixin, forms.Form):
    """Step 3: account type and name, admin account, company info (SPEC 5.1)."""

    account_type = forms.ChoiceField(
        label=_("Account type"),
        choices=[(AccountType.GROUP, _("Use group name")), (AccountType.DOMAIN, _("Use domain name"))],
        widget=forms.RadioSelect,
        initial=AccountType.GROUP,
        error_messages={"required": _("Choose a group name or a domain name.")},
    )
    # Both name fields are optional here: only the one the account type chooses is required and checked.
    group_name = _name_field(
        _("Group name"),
        GROUP_NAME_MAX_LENGTH * 4,  # long enough for the length message to be the one shown
        _("2 to 22 lowercase letters, digits and hyphens (-); a hyphen cannot be first, last or doubled."),
    )
    domain_name = _name_field(
        _("Domain name"),
        DOMAIN_NAME_MAX_LENGTH * 2,
        _("A domain name you own, such as example.com. Internationalized names are accepted."),
    )
    admin_id = forms.CharField(
        label=_("Admin ID"),
        max_length=ADMIN_ID_MAX_LENGTH * 4,
        validators=[validate_admin_id],
        help_text=_("2 to 40 lowercase letters, digits, dots (.), hyphens (-) and underscores (_)."),
        widget=forms.TextInput(attrs=AS_TYPED),
    )
    # Never rendered back into the page (issue 12): the wizard keeps the typed password in the session instead.
    admin_password = PasswordField(
        label=_("Admin password"),
        autocomplete="new-password",
        validators=[validate_admin_password],
        help_text=_(
            "8 to 40 lowercase letters and digits, with at least one of each; no 3 sequential characters "
            "(abc, 321) and no character 3 times in a row."
        ),
    )
    admin_password_confirmation = PasswordField(label=_("Confirm admin password"), autocomplete="new-password")
    company_name = forms.CharField(label=_("Company name"), max_length=100)
    # `Country` and `Company phone number` come from CompanyPhoneFormMixin (SPEC 5.1).

    def clean(self) -> dict:
        cleaned = super().clean()
        account_type = cleaned.get("account_type")
        if account_type:
            self._clean_name(account_type)
        password = cleaned.get("admin_password")
        confirmation = cleaned.get("admin_password_confirmation")
        if password and confirmation is not None:
            try:
                validate_password_confirmation(password, confirmation)
            except ValidationError as error:
                self.add_error("admin_password_confirmation", error)
        admin_id = cleaned.get("admin_id")
        if admin_id and cleaned.get("name"):
            cleaned["account_id"] = admin_account_id(admin_id, cleaned["name"])
        return cleaned

    def _clean_name(self, account_type: str) -> None:
        """Check the name the account type chooses; the other name field is ignored (and emptied)."""
        field = NAME_FIELD[account_type]
        other = NAME_FIELD[AccountType.DOMAIN if account_type == AccountType.GROUP else AccountType.GROUP]
        self.cleaned_data[other] = ""
        self._errors.pop(other, None)  # e.g. an over-long value in the field not in use
        if field in self.errors:
            return
        value = self.cleaned_data.get(field, "")
        if not value:
            message = _("Enter a group name.") if account_type == AccountType.GROUP else _("Enter a domain name.")
            self.add_error(field, ValidationError(message, code="required"))
            return
        try:
            name = clean_workspace_name(account_type, value)
        except ValidationError as error:
            self.add_error(field, error)
            return
        if Workspace.objects.filter(name=name).exists():
            self.add_name_error(account_type, name_taken_error(account_type))
            return
        self.cleaned_data[field] = name
        self.cleaned_data["name"] = name

    def add_name_error(self, account_type: str, error: ValidationError) -> None:
        """Show a service's error about the name (a lost race: `name_taken`) at the name field in use."""
        self.add_error(NAME_FIELD[account_type], error.error_dict["name"] if hasattr(error, "error_dict") else error)


def previewed_account_id(*, account_type: str, name: str, admin_id: str) -> str | None:
    """The account ID step 3 would create from these values (SPEC 5.1: ``ID@group``, ``ID@domain``), as people
    write it, or None while a field refuses the admin ID or the name: the preview never shows an ID the fields
    refuse (issue 20). The fields themselves judge (their stripping, lengths and validators), then the name rule
    the form applies; whether the name is free is the availability check's question, not the preview's."""
    fields = EnterInformationForm.base_fields
    if account_type not in NAME_FIELD:
        return None
    try:
        admin_id = fields["admin_id"].clean(admin_id)
        name = clean_workspace_name(account_type, fields[NAME_FIELD[account_type]].clean(name))
    except ValidationError:
        return None
    return unicode_name(admin_account_id(admin_id, name))


class ReviewApplicationForm(forms.Form):
    """Step 4: nothing to enter; the template shows every answer and the submit button."""
