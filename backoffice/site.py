"""The operators' Django admin (SPEC 11): the index is a dashboard of the business (backoffice.dashboard), and
offers the preview of a lifecycle run for a chosen date (subscriptions.preview, as `run_lifecycle --dry-run`).

Staff get in with their password and then their second factor (SPEC 13, backoffice.sign_in): until both, every
page of the site leads to the next step of the sign-in."""

from datetime import date, datetime, time

from dateutil.relativedelta import relativedelta
from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from accounts.forms import AdminLoginForm
from subscriptions.preview import preview_lifecycle
from works_console.dates import KST, kst_date

from .dashboard import dashboard
from .permissions import RETRY_FAILED_ITEMS, may_run
from .second_factor import is_operator, needs_second_factor
from .sign_in import second_factor_url, second_factor_view

PREVIEW_ITEMS_PER_JOB = 200
# How far ahead a run can be previewed (issue 21, docs/decisions.md): a run on a far date bills every period until
# then, which holds a web worker for minutes (a century of monthly invoices for a date in 2126), and near the
# calendar's end its dates overflow (9999-12-31 has no next period).
PREVIEW_HORIZON_YEARS = 10
BEYOND_THE_HORIZON = _(
    "Choose a date at most %(years)d years ahead: a run further ahead would bill every period until then."
)


class PreviewForm(forms.Form):
    preview_date = forms.DateField(
        label=_("Preview date"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
        help_text=_("What a run of the lifecycle jobs on that day (KST) would do; nothing is written."),
    )

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, initial={"preview_date": today}, **kwargs)
        self.today = today

    def clean_preview_date(self) -> date:
        day = self.cleaned_data["preview_date"]
        if day > self.today + relativedelta(years=PREVIEW_HORIZON_YEARS):
            raise forms.ValidationError(
                BEYOND_THE_HORIZON, code="beyond_horizon", params={"years": PREVIEW_HORIZON_YEARS}
            )
        return day


class WorksAdminSite(admin.AdminSite):
    site_header = _("Works Console operations")
    site_title = _("Works Console admin")
    index_title = _("Dashboard")
    index_template = "admin/dashboard.html"
    # The project's password field (its maximum length, issue 11).
    login_form = AdminLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff signed in with both factors (SPEC 13)."""
        return is_operator(request.user)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """The password, then the second factor: a staff session with the password alone goes on to it."""
        if needs_second_factor(request.user):
            return redirect(second_factor_url(request))
        response = super().login(request, extra_context)
        if request.method == "POST" and needs_second_factor(request.user):
            return redirect(second_factor_url(request))
        return response

    def index(self, request: HttpRequest, extra_context: dict | None = None):
        now = timezone.now()
        extra_context = {
            **(extra_context or {}),
            "dashboard": dashboard(now=now),
            "may_retry": may_run(request.user, RETRY_FAILED_ITEMS),
            "preview_form": PreviewForm(today=kst_date(now)),
        }
        return super().index(request, extra_context)

    def get_urls(self):
        return [
            path("lifecycle-preview/", self.admin_view(self.preview_view), name="lifecycle_preview"),
            # Not behind admin_view: it is the step before the site lets the operator in.
            path("second-factor/", never_cache(self.second_factor), name="second_factor"),
            *super().get_urls(),
        ]

    def second_factor(self, request: HttpRequest) -> HttpResponse:
        return second_factor_view(self, request)

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """The dry-run preview for a chosen date (SPEC 11): each item with its amounts, then the totals."""
        if not request.user.has_perm("subscriptions.view_subscription"):
            raise PermissionDenied
        now = timezone.now()
        form = PreviewForm(request.GET or None, today=kst_date(now))
        preview = None
        if form.is_valid():
            day = form.cleaned_data["preview_date"]
            # The day's first instant in KST ("due" is decided on KST dates), or now for today.
            as_of = now if day == kst_date(now) else datetime.combine(day, time.min, tzinfo=KST)
            preview = preview_lifecycle(now=as_of, limit=PREVIEW_ITEMS_PER_JOB)
        context = {
            **self.each_context(request),
            "title": _("Preview of a lifecycle run"),
            "form": form,
            "preview": preview,
        }
        return TemplateResponse(request, "admin/lifecycle_preview.html", context)
