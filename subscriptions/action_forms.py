"""Forms of the paid-lifecycle actions (SPEC 5.2-5.5, 9): they validate and lay out; the services decide.

Labels are the SPEC 9 accessible names. The forms check types; a rule a customer can fix at a field (date range,
licences, tier) is the service's own check function, called here so its message shows at that field before the
confirmation steps, and called again by the service on the locked row. Only the phrase is the form's alone.
"""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.models import ContractType, Plan

from .models import RenewalOption, Subscription
from .services.cancel import check_cancellation_date
from .services.paid import (
    MAX_LICENCES,
    check_contract_licences,
    check_licence_increase,
    check_start_on,
    check_upgrade_plan,
)
from .services.renewal import renewal_licences_for
from .standing import Standing

ISO_DATE = "%Y-%m-%d"


class IsoDateInput(forms.DateInput):
    """A native date picker whose value is ISO YYYY-MM-DD (SPEC 9)."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATE)


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=[ISO_DATE],
        widget=IsoDateInput(),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )


def _licences_field(*, required: bool, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Licences"),
        required=required,
        min_value=1,
        max_value=MAX_LICENCES,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


def _limit_dates(field: forms.Field, first: date, last: date) -> None:
    field.widget.attrs.update({"min": first.isoformat(), "max": last.isoformat()})


def _at_field(form: forms.Form, field: str, check, *args, **kwargs):
    """Run a service's check for ``field``: its value, or None with the error added at the field."""
    try:
        return check(*args, **kwargs)
    except ValidationError as error:
        form.add_error(field, error.error_dict[field] if hasattr(error, "error_dict") else error)
        return None


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Plan) -> str:
        return obj.name


class ConvertForm(forms.Form):
    """Convert to paid (SPEC 5.2): plan, contract type, licences (annual), start date."""

    plan = PlanChoiceField(label=_("Plan"), queryset=Plan.objects.none(), empty_label=None)
    contract_type = forms.ChoiceField(
        label=_("Contract type"), choices=ContractType.choices, widget=forms.RadioSelect, initial=ContractType.ANNUAL
    )
    licences = _licences_field(required=False)
    start_on = _date_field(_("Start date"))

    def __init__(self, *args, subscription: Subscription, today: date, members: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        self.today = today
        self.members = max(members, 1)
        self.fields["plan"].queryset = Plan.objects.filter(is_active=True).order_by("tier")
        self.fields["licences"].help_text = gettext(
            "Annual contracts only: at least %(members)d, one for each member registered now."
        ) % {"members": self.members}
        self.fields["start_on"].help_text = gettext(
            "Today converts at once; a later date (up to %(last)s) reserves the conversion."
        ) % {"last": subscription.grace_last_day.isoformat()}
        _limit_dates(self.fields["start_on"], today, subscription.grace_last_day)

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("start_on") is not None:
            _at_field(self, "start_on", check_start_on, self.subscription, cleaned["start_on"], today=self.today)
        if "licences" not in self.errors and cleaned.get("contract_type"):
            cleaned["licences"] = _at_field(
                self,
                "licences",
                check_contract_licences,
                cleaned["contract_type"],
                cleaned.get("licences"),
                members=self.members,
            )
        return cleaned


class RenewalForm(forms.Form):
    """Change renewal option (SPEC 5.3): the option, and the licences of an annual renewal."""

    option = forms.ChoiceField(label=_("Renewal option"), choices=RenewalOption.choices, widget=forms.RadioSelect)
    licences = _licences_field(required=False)

    def __init__(self, *args, subscription: Subscription, members: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        self.members = max(members, 1)
        if subscription.contract_type == ContractType.ANNUAL:
            help_text = gettext(
                "For an annual renewal: the licences of the next term (now %(licences)d; lower is allowed, at least"
                " %(members)d)."
            ) % {"licences": subscription.licences, "members": self.members}
        else:
            help_text = gettext(
                "Needed to renew as annual: the licences of the annual contract (at least %(members)d)."
            ) % {"members": self.members}
        self.fields["licences"].help_text = help_text

    def clean(self) -> dict:
        cleaned = super().clean()
        if "licences" not in self.errors and cleaned.get("option"):
            cleaned["licences"] = _at_field(
                self,
                "licences",
                renewal_licences_for,
                self.subscription,
                cleaned["option"],
                cleaned.get("licences"),
                members=self.members,
            )
        return cleaned


class PlanCodeRadioSelect(forms.RadioSelect):
    """Plan radios whose ids name the plan (`upgrade-plan-lite`) rather than its place in the catalog."""

    def __init__(self, *, id_prefix: str) -> None:
        super().__init__()
        self.id_prefix = id_prefix

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None) -> dict:
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        option["attrs"]["id"] = f"{self.id_prefix}{value.instance.code}"
        return option


class UpgradePlanForm(forms.Form):
    """Upgrade step 1 (SPEC 5.4): a plan of a higher tier only; lower tiers are shown disabled."""

    # The upgrade's radios were never marked `required`: the page posts with novalidate and the field reports a
    # missing choice. Kept so, now that the shared plan picker takes `required` from the widget.
    use_required_attribute = False

    plan = PlanChoiceField(
        label=_("Plan"),
        queryset=Plan.objects.none(),
        widget=PlanCodeRadioSelect(id_prefix="upgrade-plan-"),
        empty_label=None,
    )

    def __init__(self, *args, subscription: Subscription, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        self.fields["plan"].queryset = Plan.objects.filter(is_active=True).order_by("tier")

    def clean_plan(self) -> Plan:
        plan = self.cleaned_data["plan"]
        try:
            return check_upgrade_plan(self.subscription, plan)
        except ValidationError as error:
            raise ValidationError(error.error_dict["plan"]) from None


class UpgradeTermsForm(forms.Form):
    agree = forms.BooleanField(
        label=_("I agree to the terms"),
        error_messages={"required": _("Agree to the terms to continue.")},
    )


class UpgradeReviewForm(forms.Form):
    """The review step has nothing to enter: Submit confirms."""


class LicencesForm(forms.Form):
    """Increase an annual contract's licences (SPEC 3): more than now; reductions only at renewal."""

    licences = _licences_field(required=True)

    def __init__(self, *args, subscription: Subscription, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        self.fields["licences"].widget.attrs["min"] = subscription.licences + 1
        self.fields["licences"].help_text = gettext(
            "Now %(licences)d. Added licences are billed from today, prorated by day; licences can only be reduced"
            " at renewal."
        ) % {"licences": subscription.licences}

    def clean_licences(self) -> int:
        try:
            return check_licence_increase(self.subscription, self.cleaned_data["licences"])
        except ValidationError as error:
            raise ValidationError(error.error_dict["licences"]) from None


def cancellation_phrase() -> str:
    """The phrase to type, in the active language (SPEC 5.5); gettext so that ja and ko get their own."""
    return gettext("Cancel the selected service")


class CancelForm(forms.Form):
    """Cancel (SPEC 5.5): the date (today to the day after the contract end) and the exact phrase."""

    cancellation_date = _date_field(_("Cancellation date"))
    confirmation_phrase = forms.CharField(
        label=_("Confirmation phrase"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(
        self, *args, subscription: Subscription, first: date, last: date, standing: Standing | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        self.standing = standing
        self.first = first
        self.last = last
        _limit_dates(self.fields["cancellation_date"], first, last)

    def clean_cancellation_date(self) -> date:
        on = self.cleaned_data["cancellation_date"]
        try:
            return check_cancellation_date(self.subscription, on, today=self.first, standing=self.standing)
        except ValidationError as error:
            raise ValidationError(error.error_dict["cancellation_date"]) from None

    def clean_confirmation_phrase(self) -> str:
        phrase = self.cleaned_data["confirmation_phrase"]
        expected = cancellation_phrase()
        if phrase != expected:
            raise forms.ValidationError(
                gettext("Type the phrase exactly as shown: %(phrase)s") % {"phrase": expected}, code="wrong_phrase"
            )
        return phrase
