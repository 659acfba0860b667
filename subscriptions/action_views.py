"""The paid-lifecycle pages of My Product (SPEC 5.2-5.5, 9): convert, renewal option, upgrade, licences, cancel.

Thin views: every lookup is scoped to the customer (another customer's subscription is a 404), forms validate,
services decide under the row lock, and a refused action (a state that does not allow it, a stale page, a
crafted POST) changes nothing and shows a message, never a 500.
"""

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.models import ContractType, Plan
from billing.periods import ONE_DAY
from works_console.confirm import is_confirmed
from works_console.dates import kst_date
from works_console.forms import add_service_error
from workspaces.decorators import current_member, works_logout
from workspaces.selectors import member_access_error
from workspaces.validators import unicode_name

from . import confirmations
from .action_forms import (
    CancelForm,
    ConvertForm,
    LicencesForm,
    RenewalForm,
    UpgradePlanForm,
    UpgradeReviewForm,
    UpgradeTermsForm,
    cancellation_phrase,
)
from .models import Action, RenewalOption, Reservation, Status, Subscription
from .services.cancel import (
    cancellation_date_range,
    cancellation_penalty,
    penalty_applies,
    subscription_cancel,
    subscription_withdraw_cancellation,
)
from .services.core import allowed_actions, customer_actor, pending_reservations
from .services.paid import (
    members_now,
    subscription_convert,
    subscription_increase_licences,
    subscription_upgrade,
    subscription_withdraw_conversion,
    upgrade_charge,
)
from .services.renewal import subscription_set_renewal_option
from .standing import Standing, standing_on
from .wizard import SessionWizard

MY_PRODUCT = "subscriptions:my-product"


def _subscription_for(request: HttpRequest, public_id: str) -> Subscription:
    return get_object_or_404(
        Subscription.objects.select_related("plan", "workspace"), public_id=public_id, customer=request.user
    )


def _as_of_today(request: HttpRequest, public_id: str) -> tuple[Subscription, Standing]:
    """The customer's subscription as the calendar has it today (issue 22): its calendar copy for the page and the
    forms (``Standing.calendar_row``), and its standing for the rules. Services get the copy: they lock and re-read
    the row by its key."""
    subscription = _subscription_for(request, public_id)
    standing = standing_on(subscription, today=kst_date(_now()))
    return standing.calendar_row(), standing


def _refuse(request: HttpRequest, message: str | None = None) -> HttpResponse:
    messages.error(request, message or _("This action is not available for this subscription in its current state."))
    return redirect(MY_PRODUCT)


def _save(request: HttpRequest, form: Form, call, done) -> HttpResponse | None:
    """Run ``call`` (a service on the form's data): back to My Product with ``done`` (or ``done(result)``), or
    None with the service's error at the field it names."""
    try:
        result = call()
    except ValidationError as error:
        add_service_error(form, error)
        return None
    messages.success(request, done(result) if callable(done) else done)
    return redirect(MY_PRODUCT)


def _acting(request: HttpRequest) -> dict:
    """Who acts and when, as every service takes them: the signed-in customer, the clock read once."""
    return {"by": customer_actor(request.user), "now": _now()}


def _now() -> datetime:
    # The clock is read once, here at the edge; the services take it as an argument.
    return timezone.now()


# --- convert to paid (SPEC 5.2) -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def convert(request: HttpRequest, public_id: str) -> HttpResponse:
    subscription = _subscription_for(request, public_id)
    pending = pending_reservations(subscription)
    now = _now()
    today = kst_date(now)
    standing = standing_on(subscription, today=today, pending=pending)
    if Action.CONVERT not in allowed_actions(subscription, today=today, pending=pending, standing=standing):
        return _refuse(request)
    subscription = standing.calendar_row()
    members = members_now(subscription)
    reservation = pending.get(Reservation.Kind.CONVERSION)
    if reservation is not None:
        initial = {
            "plan": reservation.plan_id,
            "contract_type": reservation.contract_type,
            "licences": reservation.licences,
            "start_on": reservation.effective_on,
        }
    else:
        initial = {
            "plan": subscription.plan_id,
            "contract_type": ContractType.ANNUAL,
            "licences": max(members, 1),
            "start_on": today,
        }
    form = ConvertForm(
        request.POST if request.method == "POST" else None,
        subscription=subscription,
        today=today,
        members=members,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data, by = form.cleaned_data, customer_actor(request.user)
        converted = _("%(name)s is now a paid %(plan)s subscription.")
        reserved = _(
            "The paid conversion of %(name)s is reserved for %(date)s. You can change or withdraw it until then."
        )
        said = {
            "name": unicode_name(subscription.name),
            "plan": data["plan"].name,
            "date": data["start_on"].isoformat(),
        }
        saved = _save(
            request,
            form,
            lambda: subscription_convert(subscription=subscription, **data, by=by, now=now),
            lambda result: (converted if result.status == Status.ACTIVE else reserved) % said,
        )
        if saved:
            return saved
    plans = list(Plan.objects.filter(is_active=True).order_by("tier"))
    return render(
        request,
        "subscriptions/actions/convert.html",
        {"subscription": subscription, "form": form, "reservation": reservation, "plans": plans, "members": members},
    )


def _withdrawal_view(service, done: str, confirmation):
    """The view withdrawing a reserved conversion or cancellation (SPEC 5.2, 5.5): the service, then My Product
    with ``done``; asked first (a confirmation page, or the modal of static/js/confirm.js, SPEC 10)."""

    @login_required
    @require_POST
    def withdraw(request: HttpRequest, public_id: str) -> HttpResponse:
        subscription = _subscription_for(request, public_id)
        if not is_confirmed(request):
            return confirmation(subscription).page(request, template="confirm.html", back_url=reverse(MY_PRODUCT))
        try:
            service(subscription=subscription, **_acting(request))
        except ValidationError as error:
            return _refuse(request, " ".join(error.messages))
        messages.success(request, done % {"name": unicode_name(subscription.name)})
        return redirect(MY_PRODUCT)

    return withdraw


withdraw_conversion = _withdrawal_view(
    subscription_withdraw_conversion,
    gettext_lazy("The reserved paid conversion of %(name)s is withdrawn."),
    confirmations.withdraw_conversion,
)


# --- renewal option (SPEC 5.3): Save, then Confirm ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def change_renewal(request: HttpRequest, public_id: str) -> HttpResponse:
    subscription, standing = _as_of_today(request, public_id)
    if Action.CHANGE_RENEWAL not in allowed_actions(subscription, today=standing.day, standing=standing):
        return _refuse(request)
    members = members_now(subscription)
    initial = {
        "option": subscription.effective_renewal_option,
        "licences": subscription.renewal_licences or subscription.licences,
    }
    form = RenewalForm(
        request.POST if request.method == "POST" else None,
        subscription=subscription,
        members=members,
        initial=initial,
    )
    context = {"subscription": subscription, "form": form, "effective_on": standing.renewal_effective_on}
    if request.method == "POST" and form.is_valid() and "back" not in request.POST:
        if "confirm" not in request.POST:
            context["option_label"] = RenewalOption(form.cleaned_data["option"]).label
            return render(request, "subscriptions/actions/renewal_confirm.html", context)
        option = RenewalOption(form.cleaned_data["option"]).label
        done = _("The renewal option of %(name)s is now: %(option)s.") % {
            "name": unicode_name(subscription.name),
            "option": option,
        }
        data, acting = form.cleaned_data, _acting(request)
        if saved := _save(
            request, form, lambda: subscription_set_renewal_option(subscription=subscription, **data, **acting), done
        ):
            return saved
    return render(request, "subscriptions/actions/renewal.html", context)


# --- upgrade (SPEC 5.4): Select product, Agree to terms, Review, Submit ----------------------------------------------

UPGRADE_STEPS = [
    ("plan", gettext_lazy("Select product")),
    ("terms", gettext_lazy("Agree to terms")),
    ("review", gettext_lazy("Review")),
]


@method_decorator(login_required, name="dispatch")
class UpgradeWizard(SessionWizard):
    form_list = [("plan", UpgradePlanForm), ("terms", UpgradeTermsForm), ("review", UpgradeReviewForm)]
    template_name = "subscriptions/actions/upgrade.html"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.subscription, self.standing = _as_of_today(request, kwargs["public_id"])
        if Action.UPGRADE not in allowed_actions(self.subscription, today=self.standing.day, standing=self.standing):
            return _refuse(request)
        return super().dispatch(request, *args, **kwargs)

    def get_prefix(self, request: HttpRequest, *args, **kwargs) -> str:
        # One wizard state per subscription, so two tabs upgrading two subscriptions do not mix their steps.
        return f"upgrade_{kwargs['public_id']}"

    def get_form_kwargs(self, step: str | None = None) -> dict:
        return {"subscription": self.subscription} if step == "plan" else {}

    def get_context_data(self, form: Form, **kwargs) -> dict:
        context = super().get_context_data(form=form, **kwargs)
        current = self.steps.current
        names = [name for name, _label in UPGRADE_STEPS]
        position = names.index(current)
        chosen = None
        if current == "review":
            chosen = (self.get_cleaned_data_for_step("plan") or {}).get("plan")
        context.update(
            subscription=self.subscription,
            chosen_plan=chosen,
            today=self.standing.day,
            # The billing period an upgrade today is prorated over (SPEC 5.4), by the calendar (issue 22).
            current_period=self.standing.current_period,
            wizard_steps=[
                {
                    "number": index + 1,
                    "title": label,
                    "state": "done" if index < position else "current" if index == position else "",
                }
                for index, (_name, label) in enumerate(UPGRADE_STEPS)
            ],
        )
        if chosen is not None and self.subscription.status == Status.ACTIVE:
            context["new_unit_price"] = chosen.unit_price(self.subscription.contract_type)
            context["charge"] = upgrade_charge(subscription=self.subscription, plan=chosen, today=context["today"])
        return context

    def done(self, form_list, form_dict: dict, **kwargs) -> HttpResponse:
        plan = form_dict["plan"].cleaned_data["plan"]
        try:
            subscription_upgrade(
                subscription=self.subscription, plan=plan, by=customer_actor(self.request.user), now=_now()
            )
        except ValidationError as error:
            return _refuse(self.request, " ".join(error.messages))
        messages.success(
            self.request,
            _("%(name)s is upgraded to %(plan)s from today.")
            % {"name": unicode_name(self.subscription.name), "plan": plan.name},
        )
        return redirect(MY_PRODUCT)


# --- licences (SPEC 3) ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def increase_licences(request: HttpRequest, public_id: str) -> HttpResponse:
    subscription, standing = _as_of_today(request, public_id)
    if Action.ADD_LICENCES not in allowed_actions(subscription, today=standing.day, standing=standing):
        return _refuse(request, _("Licences can be increased for active annual contracts only."))
    form = LicencesForm(request.POST if request.method == "POST" else None, subscription=subscription)
    if request.method == "POST" and form.is_valid():
        done = _("%(name)s now has %(licences)d licences.") % {
            "name": unicode_name(subscription.name),
            **form.cleaned_data,
        }
        data, acting = form.cleaned_data, _acting(request)
        if saved := _save(
            request, form, lambda: subscription_increase_licences(subscription=subscription, **data, **acting), done
        ):
            return saved
    return render(request, "subscriptions/actions/licences.html", {"subscription": subscription, "form": form})


# --- cancel (SPEC 5.5, 5.6) -------------------------------------------------------------------------------------


def _percent(rate: Fraction) -> str:
    """10 for 1/10, 12.5 for 1/8: the rate as the popup shows it."""
    value = rate * 100
    if value.denominator == 1:
        return str(value.numerator)
    return f"{Decimal(value.numerator) / Decimal(value.denominator):.2f}".rstrip("0").rstrip(".")


def penalty_context(
    subscription: Subscription, on: date | None, *, first: date, last: date, standing: Standing | None = None
) -> dict:
    """What the cancel popup shows for a date: the itemised penalty of an annual contract, and the dates; the
    contract is the calendar's of ``first`` (today)."""
    if standing is None:
        standing = standing_on(subscription, today=first)
    context = {
        "subscription": standing.calendar_row(),
        "on": on,
        "first": first,
        "penalty_free_date": last,
        "penalty_applies": penalty_applies(standing),
        "penalty": None,
        "error": None,
    }
    if on is None or not first <= on <= last:
        context["error"] = _("Choose a cancellation date from %(first)s to %(last)s.") % {
            "first": first.isoformat(),
            "last": last.isoformat(),
        }
        return context
    context["is_today"] = on == first
    context["last_usage_day"] = on - ONE_DAY
    if context["penalty_applies"]:
        penalty = cancellation_penalty(standing, on)
        context["penalty"] = penalty
        context["rate_percent"] = _percent(penalty.rate)
    return context


def cancel_allowed(subscription: Subscription, pending: dict, *, today: date) -> bool:
    """Whether the cancel page may open for this subscription, for the customer and for `Cancel on behalf`: a
    reserved cancellation's date can be changed (or brought forward to today) from the same page."""
    actions = allowed_actions(subscription, today=today, pending=pending)
    return bool({Action.CANCEL, Action.CHANGE_CANCELLATION} & actions)


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    subscription = _subscription_for(request, public_id)
    pending = pending_reservations(subscription)
    if Reservation.Kind.CONVERSION in pending:
        return _refuse(
            request,
            _("A paid conversion is reserved for this subscription. Withdraw the conversion first, then cancel."),
        )
    now = _now()
    today = kst_date(now)
    if not cancel_allowed(subscription, pending, today=today):
        return _refuse(request)
    standing = standing_on(subscription, today=today, pending=pending)
    first, last = cancellation_date_range(subscription, today, standing=standing)
    reservation = pending.get(Reservation.Kind.CANCELLATION)
    form_kwargs = {"subscription": subscription, "first": first, "last": last, "standing": standing}
    shown_date: date | None = reservation.effective_on if reservation else first

    if request.method == "POST" and "use_penalty_free_date" in request.POST:
        # Without JavaScript the button posts the form back with the penalty-free date filled in.
        shown_date = last
        form = CancelForm(initial={"cancellation_date": last}, **form_kwargs)
    elif request.method == "POST":
        form = CancelForm(request.POST, **form_kwargs)
        if form.is_valid():
            on, by = form.cleaned_data["cancellation_date"], customer_actor(request.user)
            ended = _("%(name)s is cancelled: the service has stopped and its data is deleted.")
            reserved = _("The cancellation of %(name)s is reserved for %(date)s. You can withdraw it until then.")
            said = {"name": unicode_name(subscription.name), "date": on.isoformat()}
            saved = _save(
                request,
                form,
                lambda: subscription_cancel(subscription=subscription, on=on, by=by, now=now),
                lambda result: (ended if result.status == Status.TERMINATED else reserved) % said,
            )
            if saved:
                return saved
        shown_date = form.cleaned_data.get("cancellation_date") if hasattr(form, "cleaned_data") else None
        if shown_date is None:
            shown_date = parse_iso(request.POST.get("cancellation_date", ""))
    else:
        form = CancelForm(initial={"cancellation_date": shown_date}, **form_kwargs)

    context = penalty_context(subscription, shown_date, first=first, last=last, standing=standing)
    context.update(form=form, reservation=reservation, phrase=cancellation_phrase())
    return render(request, "subscriptions/actions/cancel.html", context)


def parse_iso(value: str) -> date | None:
    """A typed ISO date, or None when it is not one (the form then says what is wrong)."""
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date, no instant
    except ValueError:
        return None


@login_required
@require_GET
def cancel_penalty(request: HttpRequest, public_id: str) -> HttpResponse:
    """The popup's penalty for the date picked, as an htmx partial (SPEC 5.5: updated as the date changes)."""
    return render_cancel_penalty(
        request, _subscription_for(request, public_id), request.GET.get("cancellation_date", "")
    )


def render_cancel_penalty(request: HttpRequest, subscription: Subscription, value: str) -> HttpResponse:
    """The penalty partial for the date ``value`` (ISO) typed on a cancel form, as the calendar has the contract
    today: the customer's, and the operators' `Cancel on behalf` (backoffice/actions.py), which posts it."""
    standing = standing_on(subscription, today=kst_date(_now()))
    subscription = standing.calendar_row()
    first, last = cancellation_date_range(subscription, standing.day, standing=standing)
    context = penalty_context(subscription, parse_iso(value), first=first, last=last, standing=standing)
    if subscription.status == Status.TERMINATED:
        context.update(error=_("This subscription has ended."), penalty=None, penalty_applies=False)
    return render(request, "subscriptions/actions/partials/cancel_penalty.html", context)


withdraw_cancellation = _withdrawal_view(
    subscription_withdraw_cancellation,
    gettext_lazy("The reserved cancellation of %(name)s is withdrawn."),
    confirmations.withdraw_cancellation,
)


# --- NAVER WORKS Admin of this card (SPEC 7.1) ----------------------------------------------------------------


@never_cache
@login_required
@require_GET
def open_admin(request: HttpRequest, public_id: str) -> HttpResponse:
    """`Go to NAVER WORKS Admin` on a card opens that card's workspace, never the one of another card.

    Its admin home when the open admin session belongs to it; otherwise the login page with the card's
    `Account ID` pre-filled, after ending an admin session of another workspace.
    """
    subscription = _subscription_for(request, public_id)
    today = kst_date(_now())
    if subscription.workspace is None or Action.ADMIN_LOGIN not in allowed_actions(subscription, today=today):
        return _refuse(request)
    member = current_member(request)
    if member is not None and member.workspace_id == subscription.workspace_id and member_access_error(member) is None:
        return redirect("workspaces:home")
    works_logout(request)
    return redirect(f"{reverse('workspaces:login')}?{urlencode({'account_id': subscription.admin_account_id})}")
