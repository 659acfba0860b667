"""Forms of the operators' actions in Django admin (SPEC 11): each has a required `Reason`; they validate and lay
out, the services decide (and re-check every rule on the locked row)."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from subscriptions.action_forms import ConvertForm, _date_field, _limit_dates
from subscriptions.models import ReminderSent, Reservation, Subscription
from subscriptions.services.trial import MAX_TRIAL_EXTENSION_DAYS, MIN_TRIAL_EXTENSION_DAYS


def reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Written on the lifecycle event with your name."),
    )


class GrantCreditForm(forms.Form):
    """`Grant credit` on a customer's page (SPEC 3, 11): an amount and a reason."""

    amount = forms.IntegerField(label=_("Amount (KRW)"), min_value=1, max_value=100_000_000)
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


class ReasonForm(forms.Form):
    reason = reason_field()

    def __init__(self, *args, subscription: Subscription | None = None, today: date | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        self.today = today


class ExtendTrialForm(ReasonForm):
    days = forms.IntegerField(
        label=_("Days"),
        min_value=MIN_TRIAL_EXTENSION_DAYS,
        max_value=MAX_TRIAL_EXTENSION_DAYS,
        initial=7,
        help_text=_("1 to 30 days; the grace period moves with the trial's last day."),
    )

    field_order = ["days", "reason"]


class OperatorConvertForm(ConvertForm):
    """Convert on behalf: the customer's own form (plan, contract type, licences, start date) and a reason."""

    reason = reason_field()

    def __init__(self, *args, subscription: Subscription, today: date, members: int, **kwargs) -> None:
        super().__init__(*args, subscription=subscription, today=today, members=members, **kwargs)


class OperatorCancelForm(ReasonForm):
    """Cancel on behalf: a date from today to the day after the contract end (SPEC 5.5); no phrase to type."""

    cancellation_date = _date_field(_("Cancellation date"))

    field_order = ["cancellation_date", "reason"]

    def __init__(self, *args, first: date, last: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.first, self.last = first, last
        _limit_dates(self.fields["cancellation_date"], first, last)


class WithdrawReservationForm(ReasonForm):
    kind = forms.ChoiceField(label=_("Reservation"), choices=Reservation.Kind.choices)

    field_order = ["kind", "reason"]

    def __init__(self, *args, pending: dict[str, Reservation], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (kind, f"{reservation.get_kind_display()} ({reservation.effective_on.isoformat()})")
            for kind, reservation in sorted(pending.items())
        ] or Reservation.Kind.choices


class ReminderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ReminderSent) -> str:
        return f"{obj.kind} ({obj.key}), {obj.sent_at:%Y-%m-%d %H:%M}"


class ResendReminderForm(ReasonForm):
    reminder = ReminderChoiceField(label=_("Reminder"), queryset=ReminderSent.objects.none(), empty_label=None)

    field_order = ["reminder", "reason"]

    def __init__(self, *args, subscription: Subscription, **kwargs) -> None:
        super().__init__(*args, subscription=subscription, **kwargs)
        self.fields["reminder"].queryset = ReminderSent.objects.filter(subscription=subscription).order_by(
            "-sent_at", "-id"
        )
