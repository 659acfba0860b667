"""My Product, the trial application wizard and the name availability check (SPEC 5, 5.1, 9)."""

import logging

import django_ratelimit as ratelimit
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited
from formtools.wizard.forms import ManagementForm

from works_console.cache import CACHE_ERRORS
from works_console.converters import is_public_id
from works_console.dates import kst_date
from works_console.shell import PLATFORMS, current_platform, current_region
from workspaces.models import AccountType

from . import selectors
from .cards import my_product_cards_html
from .forms import (
    NAME_FIELD,
    AgreeToTermsForm,
    EnterInformationForm,
    ReviewApplicationForm,
    SelectProductForm,
    previewed_account_id,
)
from .models import Subscription
from .services.apply import subscription_apply
from .wizard import SessionWizard

logger = logging.getLogger(__name__)


@login_required
@require_GET
def my_product(request: HttpRequest) -> HttpResponse:
    """Every subscription of the customer under the current Region/Platform, one card each (SPEC 5)."""
    today = kst_date(timezone.now())
    platform = current_platform(request)
    rows = selectors.my_product_rows(customer=request.user, region=current_region(request), platform=platform)
    # Each card's HTML comes from the cache when nothing it shows has changed (subscriptions.cards, issue 17).
    cards = my_product_cards_html(request, rows, today=today)
    return render(
        request,
        "subscriptions/my_product.html",
        {"cards": cards, "today": today, "elsewhere": rows.elsewhere, "platform_name": PLATFORMS[platform]},
    )


# --- Check availability (SPEC 5.1, 9) ---

# Per user and, separately, per client address: enough for typing and re-checking, too few to list names.
NAME_CHECK_RATE = "30/m"
NAME_CHECK_GROUP = "subscriptions.name_check"


def _name_check_response(request: HttpRequest, *, available: bool, message: str, status: int = 200) -> HttpResponse:
    """JSON for a plain GET (SPEC 9); the same answer as an HTML fragment for htmx (the wizard's button)."""
    if request.htmx:
        response = render(
            request,
            "subscriptions/partials/name_check_result.html",
            {"available": available, "message": message},
            status=status,
        )
    else:
        response = JsonResponse({"available": available, "message": message}, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _name_checks_exceeded(request: HttpRequest) -> bool:
    """Past NAME_CHECK_RATE per user or per address. The counters live in the cache; when it is down the check
    is allowed, with a warning: a name check only reads, and the uniqueness is the database's to enforce."""
    try:
        # A list, not a generator: both counters are incremented on every check.
        limited = [
            is_ratelimited(
                request, group=NAME_CHECK_GROUP, key=key, rate=NAME_CHECK_RATE, method=ratelimit.ALL, increment=True
            )
            for key in ("user", "ip")
        ]
        return any(limited)
    except CACHE_ERRORS as error:
        logger.warning("name check rate limit skipped, the cache is unavailable: %s", error)
        return False


@never_cache
@require_GET
def name_check(request: HttpRequest) -> HttpResponse:
    """`?group_name=...` or `?domain_name=...` -> `{"available": bool, "message": str}`.

    Anonymous callers get 403 (JSON, not a redirect to the login page: this is an API for the wizard's
    button). Past NAME_CHECK_RATE per user or per address: 429.
    """
    if not request.user.is_authenticated:
        return _name_check_response(request, available=False, message=_("Log in to check a name."), status=403)
    if _name_checks_exceeded(request):
        return _name_check_response(
            request,
            available=False,
            message=_("Too many availability checks. Wait a minute and try again."),
            status=429,
        )
    given = [kind for kind, field in NAME_FIELD.items() if field in request.GET]
    if len(given) != 1:
        return _name_check_response(
            request, available=False, message=_("Give either a group name or a domain name."), status=400
        )
    kind = given[0]
    availability = selectors.name_availability(kind=kind, value=request.GET[NAME_FIELD[kind]])
    return _name_check_response(request, available=availability.available, message=availability.message)


@never_cache
@require_GET
def account_id_preview(request: HttpRequest) -> HttpResponse:
    """Step 3's account ID as typed so far (issue 20): ``?account_type=&name=&admin_id=`` -> the ID the fields
    would make of them, or a neutral placeholder while they refuse one. Only reads what it is given."""
    if not request.user.is_authenticated:
        return HttpResponse(status=403)
    account_type = request.GET.get("account_type", "")
    account_id = previewed_account_id(
        account_type=account_type, name=request.GET.get("name", ""), admin_id=request.GET.get("admin_id", "")
    )
    return render(
        request,
        "subscriptions/partials/account_id_preview.html",
        {"account_id": account_id, "account_type": account_type},
    )


# --- The application wizard (SPEC 5.1) ---

STEP_TITLES = [
    ("plan", gettext_lazy("Select product")),
    ("terms", gettext_lazy("Agree to terms")),
    ("info", gettext_lazy("Enter information")),
    ("review", gettext_lazy("Review application")),
    ("complete", gettext_lazy("Application complete")),
]
# Which step and field a service error keyed by argument name belongs to (None: the review step's own errors).
SERVICE_ERROR_FIELDS = {
    "plan": ("plan", "plan"),
    "admin_login_id": ("info", "admin_id"),
    "admin_password": ("info", "admin_password"),
    "company_name": ("info", "company_name"),
    "company_phone": ("info", "company_phone"),
}


def _steps_for_display(current: str) -> list[dict]:
    names = [name for name, _title in STEP_TITLES]
    index = names.index(current)
    return [
        {
            "number": number,
            "title": title,
            "state": "done" if number - 1 < index else "current" if number - 1 == index else "todo",
        }
        for number, (_name, title) in enumerate(STEP_TITLES, start=1)
    ]


PASSWORD_FIELDS = ("admin_password", "admin_password_confirmation")


class ApplyWizard(LoginRequiredMixin, SessionWizard):
    """Select product, Agree to terms, Enter information, Review application; then Application complete.

    Back keeps everything: the step being left is stored as typed (valid or not) before going back, and a
    stored step that is not valid yet is shown again as typed, without error messages nobody asked for.
    """

    form_list = [
        ("plan", SelectProductForm),
        ("terms", AgreeToTermsForm),
        ("info", EnterInformationForm),
        ("review", ReviewApplicationForm),
    ]
    templates = {
        "plan": "subscriptions/apply/select_product.html",
        "terms": "subscriptions/apply/agree_to_terms.html",
        "info": "subscriptions/apply/enter_information.html",
        "review": "subscriptions/apply/review_application.html",
    }

    def get_template_names(self) -> list[str]:
        return [self.templates[self.steps.current]]

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        public_id = request.GET.get("complete")
        if public_id:
            if not is_public_id(public_id):
                raise Http404  # a NUL or any byte outside the id's alphabet never reaches the database
            return self._render_complete(public_id)
        return super().get(request, *args, **kwargs)

    def get_form(self, step: str | None = None, data=None, files=None) -> Form:
        """Step 3 keeps the admin password server-side: the page never shows it again (issue 12), and left blank
        after Back or an error elsewhere on the step, the password typed before (in the session) still counts."""
        step = step or self.steps.current
        kept = self._kept_password() if step == "info" else None
        if kept and data is not None:
            keys = [f"{self.get_form_prefix(step)}-{name}" for name in PASSWORD_FIELDS]
            if not any(data.get(key) for key in keys):
                data = data.copy()
                for key in keys:
                    data[key] = kept
        form = super().get_form(step=step, data=data, files=files)
        form.password_kept = bool(kept)
        return form

    def _kept_password(self) -> str | None:
        stored = self.storage.get_step_data("info") or {}
        prefix = self.get_form_prefix("info")
        password, confirmation = (stored.get(f"{prefix}-{name}") for name in PASSWORD_FIELDS)
        return password if password and password == confirmation else None

    def post(self, *args, **kwargs) -> HttpResponse:
        goto_step = self.request.POST.get("wizard_goto_step")
        if goto_step and goto_step in self.get_form_list():
            self._keep_step_being_left()
        return super().post(*args, **kwargs)

    def _keep_step_being_left(self) -> None:
        management_form = ManagementForm(self.request.POST, prefix=self.prefix)
        if not management_form.is_valid():
            return
        step = management_form.cleaned_data["current_step"]
        if step not in self.get_form_list():
            return
        form = self.get_form(step=step, data=self.request.POST, files=self.request.FILES)
        self.storage.set_step_data(step, self.process_step(form))

    def _form_as_typed(self, step: str) -> Form:
        """The step's form from storage: bound when it is valid, else unbound showing the draft as initial."""
        data = self.storage.get_step_data(step)
        form = self.get_form(step=step, data=data, files=self.storage.get_step_files(step))
        if data is None or form.is_valid():
            return form
        draft = {
            name: field.widget.value_from_datadict(data, {}, form.add_prefix(name))
            for name, field in form.fields.items()
        }
        unbound = self.get_form(step=step)
        unbound.initial = {
            **unbound.initial,
            **{name: value for name, value in draft.items() if value not in (None, "")},
        }
        return unbound

    def render_next_step(self, form: Form, **kwargs) -> HttpResponse:
        next_step = self.steps.next
        self.storage.current_step = next_step
        return self.render(self._form_as_typed(next_step), **kwargs)

    def render_goto_step(self, goto_step: str, **kwargs) -> HttpResponse:
        self.storage.current_step = goto_step
        return self.render(self._form_as_typed(goto_step), **kwargs)

    def get_context_data(self, form: Form, **kwargs) -> dict:
        context = super().get_context_data(form=form, **kwargs)
        context["wizard_steps"] = _steps_for_display(self.steps.current)
        if self.steps.current == "info":
            account_type = form["account_type"].value()
            context["account_type"] = account_type
            context["account_id"] = previewed_account_id(
                account_type=account_type,
                name=form[NAME_FIELD.get(account_type, "group_name")].value() or "",
                admin_id=form["admin_id"].value() or "",
            )
        if self.steps.current != "plan":
            # Steps 2-4 show the plan chosen at step 1 (issue 12).
            context["chosen_plan"] = (self.get_cleaned_data_for_step("plan") or {}).get("plan")
        if self.steps.current == "review":
            context["plan"] = (self.get_cleaned_data_for_step("plan") or {}).get("plan")
            context["info"] = self.get_cleaned_data_for_step("info") or {}
            context["is_domain"] = context["info"].get("account_type") == AccountType.DOMAIN
        return context

    def render_done(self, form: Form, **kwargs) -> HttpResponse:
        try:
            return super().render_done(form, **kwargs)
        except ValidationError as error:
            # Nothing was created (the service's transaction rolled back) and the wizard keeps all input.
            return self._render_refused(error)

    def done(self, form_list, form_dict, **kwargs) -> HttpResponse:
        info = form_dict["info"].cleaned_data
        subscription = subscription_apply(
            customer=self.request.user,
            plan=form_dict["plan"].cleaned_data["plan"],
            kind=info["account_type"],
            name=info["name"],
            admin_login_id=info["admin_id"],
            admin_password=info["admin_password"],
            company_name=info["company_name"],
            company_phone=info["company_phone"],
            region=current_region(self.request),
            platform=current_platform(self.request),
            now=timezone.now(),
        )
        return redirect(f"{reverse('subscriptions:apply')}?complete={subscription.public_id}")

    def _render_refused(self, error: ValidationError) -> HttpResponse:
        """Show the service's refusal at its field: the name at step 3 (a lost race), else on the review step."""
        info_data = self.storage.get_step_data("info") or {}
        account_type = info_data.get(self.get_form_prefix("info") + "-account_type", AccountType.GROUP)
        fields = dict(SERVICE_ERROR_FIELDS)
        fields["name"] = ("info", NAME_FIELD.get(account_type, "group_name"))
        errors = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
        order = [name for name, _title in STEP_TITLES]
        located = [(fields.get(key, ("review", None)), messages) for key, messages in errors.items()]
        step = min((where[0] for where, _messages in located), key=order.index)
        self.storage.current_step = step
        form = self.get_form(step=step, data=self.storage.get_step_data(step))
        form.is_valid()
        for (error_step, field), messages in located:
            shown = form.errors.get(field or "__all__", [])
            for message in messages if error_step == step else []:
                if not any(text in shown for text in message.messages):
                    form.add_error(field, message)
        return self.render(form)

    def _render_complete(self, public_id: str) -> HttpResponse:
        subscription = get_object_or_404(
            Subscription.objects.owned_by(self.request.user).select_related("plan", "workspace"), public_id=public_id
        )
        return render(
            self.request,
            "subscriptions/apply/application_complete.html",
            {
                "subscription": subscription,
                "wizard_steps": _steps_for_display("complete"),
                "is_domain": subscription.account_type == AccountType.DOMAIN,
            },
        )
