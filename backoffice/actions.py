"""The operators' actions on a subscription in Django admin (SPEC 11): one form page each, then the service.

Each action is a row of ACTIONS: its name (the submit button's text), when the subscription page offers it,
the form, and the service call. The page is the confirmation: nothing changes before the operator submits the
form with a reason. A service's ValidationError is shown at the field it names, and nothing has changed. Who
may run which action is backoffice/permissions.py's table (SPEC 13): an action the operator's role lacks is not
offered, and posting it is a 403.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import ContractType
from billing.money import format_won
from subscriptions.action_views import cancel_allowed, parse_iso, penalty_context, render_cancel_penalty
from subscriptions.models import Action, Reservation, Status, Subscription
from subscriptions.rules import operator_actions, pending_reservations
from subscriptions.services.cancel import cancellation_date_range
from subscriptions.services.operator import (
    operator_actor,
    operator_cancel,
    operator_convert,
    operator_withdraw_reservation,
    reminder_resend_many,
    subscription_waive_penalty,
)
from subscriptions.services.paid import members_now
from subscriptions.services.trial import subscription_extend_trial
from works_console.dates import kst_date
from workspaces.validators import unicode_name

from .forms import (
    ExtendTrialForm,
    OperatorCancelForm,
    OperatorConvertForm,
    ReasonForm,
    ResendReminderForm,
    WithdrawReservationForm,
)
from .operator_pages import Done, operator_form_page
from .permissions import ensure_may_run, may_run


@dataclass(frozen=True)
class OperatorAction:
    slug: str
    label: Promise  # the submit button's text and the page's title (SPEC 11)
    offered: Callable[[Subscription, dict, date], bool]  # (subscription, pending, today KST)
    form: Callable[..., Form]  # (data, subscription=, today=, pending=) -> form
    perform: Callable[[Form, Subscription, tuple, datetime], str]  # -> the success message


def _extend(form: Form, subscription: Subscription, by: tuple, now: datetime) -> str:
    result = subscription_extend_trial(
        subscription=subscription, days=form.cleaned_data["days"], reason=form.cleaned_data["reason"], by=by, now=now
    )
    return _("The trial of %(name)s now ends on %(trial)s; the grace period on %(grace)s.") % {
        "name": unicode_name(result.name),
        "trial": result.trial_last_day.isoformat(),
        "grace": result.grace_last_day.isoformat(),
    }


def _convert_form(data, *, subscription: Subscription, today: date, pending: dict) -> Form:
    members = members_now(subscription)
    reservation = pending.get(Reservation.Kind.CONVERSION)
    initial = {
        "plan": reservation.plan_id if reservation else subscription.plan_id,
        "contract_type": reservation.contract_type if reservation else ContractType.ANNUAL,
        "licences": reservation.licences if reservation else max(members, 1),
        "start_on": reservation.effective_on if reservation else today,
    }
    return OperatorConvertForm(data, subscription=subscription, today=today, members=members, initial=initial)


def _convert(form: Form, subscription: Subscription, by: tuple, now: datetime) -> str:
    data = form.cleaned_data
    result = operator_convert(
        subscription=subscription,
        plan=data["plan"],
        contract_type=data["contract_type"],
        licences=data["licences"],
        start_on=data["start_on"],
        reason=data["reason"],
        by=by,
        now=now,
    )
    if result.status == Status.ACTIVE:
        return _("%(name)s is now a paid %(plan)s subscription.") % {
            "name": unicode_name(result.name),
            "plan": result.plan.name,
        }
    return _("The paid conversion of %(name)s is reserved for %(date)s.") % {
        "name": unicode_name(result.name),
        "date": data["start_on"].isoformat(),
    }


def _cancel_form(data, *, subscription: Subscription, today: date, pending: dict, shown: dict | None = None) -> Form:
    first, last = cancellation_date_range(subscription, today)
    reservation = pending.get(Reservation.Kind.CANCELLATION)
    initial = {"cancellation_date": reservation.effective_on if reservation else first, **(shown or {})}
    return OperatorCancelForm(data, subscription=subscription, today=today, first=first, last=last, initial=initial)


def _cancel(form: Form, subscription: Subscription, by: tuple, now: datetime) -> str:
    on = form.cleaned_data["cancellation_date"]
    result = operator_cancel(subscription=subscription, on=on, reason=form.cleaned_data["reason"], by=by, now=now)
    name = unicode_name(result.name)
    if result.status == Status.TERMINATED:
        return _("%(name)s is cancelled: the service has stopped and its data is deleted.") % {"name": name}
    return _("The cancellation of %(name)s is reserved for %(date)s.") % {"name": name, "date": on.isoformat()}


def _waive(form: Form, subscription: Subscription, by: tuple, now: datetime) -> str:
    note = subscription_waive_penalty(subscription=subscription, reason=form.cleaned_data["reason"], by=by, now=now)
    return _("The penalty is waived: credit note %(note)s of %(total)s.") % {
        "note": note.public_id,
        "total": format_won(note.total),
    }


def _withdraw(form: Form, subscription: Subscription, by: tuple, now: datetime) -> str:
    kind = form.cleaned_data["kind"]
    operator_withdraw_reservation(
        subscription=subscription, kind=kind, reason=form.cleaned_data["reason"], by=by, now=now
    )
    return _("The reservation (%(kind)s) of %(name)s is withdrawn.") % {
        "kind": Reservation.Kind(kind).label,
        "name": unicode_name(subscription.name),
    }


def _resend(form: Form, subscription: Subscription, by: tuple, now: datetime) -> str:
    sent = form.cleaned_data["reminder"]
    reminder_resend_many(reminders=[sent], reason=form.cleaned_data["reason"], by=by, now=now)
    return _("The reminder %(kind)s is sent again to the customer.") % {"kind": sent.kind}


def _allowed(action: Action) -> Callable[[Subscription, dict], bool]:
    """Offered when the operators' table allows the action for the subscription (subscriptions/rules.py)."""
    return lambda subscription, pending, today: action in operator_actions(subscription, today=today, pending=pending)


def _form(form_class: type[Form], *arguments: str) -> Callable[..., Form]:
    """The form of ``form_class`` given the named page arguments of the action's form (subscription, today,
    pending)."""
    return lambda data, **page: form_class(data, **{name: page[name] for name in arguments})


ACTIONS: dict[str, OperatorAction] = {
    action.slug: action
    for action in [
        OperatorAction(
            slug="extend-trial",
            label=gettext_lazy("Extend trial"),
            offered=_allowed(Action.EXTEND_TRIAL),
            form=_form(ExtendTrialForm, "subscription", "today"),
            perform=_extend,
        ),
        OperatorAction(
            slug="convert",
            label=gettext_lazy("Convert on behalf"),
            offered=_allowed(Action.CONVERT),
            form=_convert_form,
            perform=_convert,
        ),
        OperatorAction(
            slug="cancel",
            label=gettext_lazy("Cancel on behalf"),
            offered=lambda subscription, pending, today: cancel_allowed(subscription, pending, today=today),
            form=_cancel_form,
            perform=_cancel,
        ),
        OperatorAction(
            slug="waive-penalty",
            label=gettext_lazy("Waive penalty"),
            offered=_allowed(Action.WAIVE_PENALTY),
            form=_form(ReasonForm, "subscription", "today"),
            perform=_waive,
        ),
        OperatorAction(
            slug="withdraw-reservation",
            label=gettext_lazy("Withdraw reservation"),
            offered=lambda subscription, pending, today: bool(pending),
            form=_form(WithdrawReservationForm, "subscription", "today", "pending"),
            perform=_withdraw,
        ),
        OperatorAction(
            slug="resend-reminder",
            label=gettext_lazy("Resend reminder"),
            offered=lambda subscription, pending, today: subscription.purged_at is None,
            form=_form(ResendReminderForm, "subscription", "today"),
            perform=_resend,
        ),
    ]
}


def offered_actions(subscription: Subscription, user) -> list[OperatorAction]:
    """The actions the subscription page shows to ``user`` today, by the calendar: those its state allows and the
    operator's role may run (the services still decide on the locked row)."""
    pending, today = pending_reservations(subscription), kst_date(timezone.now())
    return [
        action
        for action in ACTIONS.values()
        if may_run(user, action.slug) and action.offered(subscription, pending, today)
    ]


def _acted_on(request: HttpRequest, object_id: str, slug: str) -> tuple[OperatorAction, Subscription]:
    """The action and its subscription; 404 for an unknown action, 403 for one the operator's role lacks."""
    action = ACTIONS.get(slug)
    if action is None:
        raise Http404
    ensure_may_run(request, slug)
    subscription = get_object_or_404(
        Subscription.objects.select_related("plan", "workspace", "customer"), pk=object_id
    )
    return action, subscription


def cancel_penalty_view(request: HttpRequest, object_id: str) -> HttpResponse:
    """`Cancel on behalf`'s penalty for the date typed, posted by htmx (static/js/cancel.js) with the form: the
    customer's own penalty preview, without a reload and with nothing in the URL (SPEC 13)."""
    _action, subscription = _acted_on(request, object_id, "cancel")
    return render_cancel_penalty(request, subscription, request.POST.get("cancellation_date", ""))


def action_view(model_admin, request: HttpRequest, object_id: str, slug: str) -> HttpResponse:
    action, subscription = _acted_on(request, object_id, slug)
    change_url = reverse("admin:subscriptions_subscription_change", args=[subscription.pk])
    now = timezone.now()  # the clock, read once at the edge
    kwargs = {"subscription": subscription, "today": kst_date(now), "pending": pending_reservations(subscription)}
    data = request.POST if request.method == "POST" else None
    submitted = data is not None
    context: dict = {}
    if action.slug == "cancel":
        # `Show penalty` posts the form back (without JavaScript; with it, cancel.js shows the penalty in place):
        # the page shows the penalty for the date typed and does nothing else (SPEC 5.5, 13).
        showing = submitted and "show_penalty" in data
        shown_date = parse_iso(data.get("cancellation_date", "")) if submitted else None
        shown = {"cancellation_date": shown_date, "reason": data.get("reason", "")} if showing else None
        form = action.form(None if showing else data, shown=shown, **kwargs)
        submitted = submitted and not showing
        on = shown_date or form.initial["cancellation_date"]
        context.update(penalty_context(subscription, on, first=form.first, last=form.last))
        context["penalty_url"] = reverse("admin:subscriptions_subscription_cancel_penalty", args=[subscription.pk])
    else:
        form = action.form(data, **kwargs)
    context.update(action=action, subscription=subscription)
    return operator_form_page(
        model_admin,
        request,
        form=form,
        submitted=submitted,
        perform=lambda form: Done(action.perform(form, subscription, operator_actor(request.user), now), change_url),
        template="admin/subscriptions/subscription/operator_action.html",
        label=action.label,
        title=f"{action.label}: {unicode_name(subscription.name)}",
        back_url=change_url,
        crumb=unicode_name(subscription.name),
        **context,
    )
