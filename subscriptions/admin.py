"""Django admin for operators (SPEC 1): subscriptions and their append-only lifecycle events.

Subscriptions are read-only here: every state change goes through a service that writes its lifecycle event
in the same transaction (SPEC 4), which a bare admin form cannot guarantee. Operators act through the actions
of SPEC 11 (subscriptions/admin_actions.py): a form with a reason, then the same services as the console.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from billing.admin import InvoiceInline, ReadOnlyAdmin, ReadOnlyInline

from .admin_actions import action_view, ensure_operator, offered_actions
from .admin_forms import ExtendTrialForm, ReasonForm
from .models import JobRun, LifecycleEvent, Reservation, Subscription
from .services.operator import job_run_retry_failed, latest_reminders, operator_actor, reminder_resend_many
from .services.trial import subscription_extend_trial_many


class LifecycleEventInline(ReadOnlyInline):
    model = LifecycleEvent
    fields = ["at", "kind", "from_status", "to_status", "actor", "actor_user", "details"]
    readonly_fields = fields
    ordering = ["-at", "-id"]
    verbose_name_plural = _("lifecycle events")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("actor_user")


class ReservationInline(ReadOnlyInline):
    model = Reservation
    fields = ["kind", "state", "effective_on", "plan", "contract_type", "licences", "created_at", "resolved_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("plan")


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "public_id",
        "customer",
        "plan",
        "status",
        "region",
        "platform",
        "applied_on",
        "trial_last_day",
        "term_end",
    ]
    list_filter = ["status", "plan", "platform", "region", "contract_type"]
    list_select_related = ["customer", "plan"]
    search_fields = ["name", "customer__email", "public_id", "admin_account_id"]
    ordering = ["-created_at", "-id"]
    date_hierarchy = "applied_on"
    readonly_fields = ["public_id", "created_at"]
    inlines = [ReservationInline, InvoiceInline, LifecycleEventInline]
    change_form_template = "admin/subscriptions/subscription/change_form.html"
    actions = ["extend_trials", "resend_reminders"]
    fieldsets = [
        (None, {"fields": ["public_id", "customer", "workspace", "account_type", "name", "admin_account_id"]}),
        (_("Shell"), {"fields": ["region", "platform"]}),
        (
            _("State"),
            {"fields": ["status", "plan", "applied_on", "trial_last_day", "grace_last_day", "terminated_on"]},
        ),
        (
            _("Paid contract"),
            {
                "fields": [
                    "paid_start",
                    "contract_type",
                    "licences",
                    "term_start",
                    "term_end",
                    "renewal_option",
                    "renewal_licences",
                    "next_period_index",
                ]
            },
        ),
        (_("Audit"), {"fields": ["purged_at", "created_at"]}),
    ]

    def get_urls(self):
        return [
            path(
                "<path:object_id>/act/<slug:slug>/",
                self.admin_site.admin_view(
                    lambda request, object_id, slug: action_view(self, request, object_id, slug)
                ),
                name="subscriptions_subscription_operator_action",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        subscription = Subscription.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        extra_context = {**(extra_context or {})}
        if subscription is not None and request.user.has_perm("subscriptions.change_subscription"):
            extra_context["operator_actions"] = offered_actions(subscription)
        return super().change_view(request, object_id, form_url, extra_context)

    # --- bulk actions on the list (SPEC 11): a form page with the reason, then one service call for the batch ---

    def _bulk(
        self, request: HttpRequest, queryset, *, form_class, label, action_name: str, perform
    ) -> HttpResponse | None:
        ensure_operator(request)
        subscriptions = list(queryset.order_by("pk"))
        form = form_class(request.POST if "confirm" in request.POST else None)
        if "confirm" in request.POST and form.is_valid():
            try:
                message = perform(form, subscriptions, operator_actor(request.user), timezone.now())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": label,
            "label": label,
            "form": form,
            "subscriptions": subscriptions,
            "action_name": action_name,
            "selected_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
            "back_url": reverse("admin:subscriptions_subscription_changelist"),
        }
        return TemplateResponse(request, "admin/subscriptions/subscription/bulk_action.html", context)

    @admin.action(description=_("Extend trial"))
    def extend_trials(self, request: HttpRequest, queryset):
        def perform(form, subscriptions, by, now):
            extended = subscription_extend_trial_many(
                subscriptions=subscriptions,
                days=form.cleaned_data["days"],
                reason=form.cleaned_data["reason"],
                by=by,
                now=now,
            )
            return gettext_now("%(count)d trials extended by %(days)d days.") % {
                "count": len(extended),
                "days": form.cleaned_data["days"],
            }

        return self._bulk(
            request,
            queryset,
            form_class=ExtendTrialForm,
            label=gettext_now("Extend trial"),
            action_name="extend_trials",
            perform=perform,
        )

    @admin.action(description=_("Resend reminder"))
    def resend_reminders(self, request: HttpRequest, queryset):
        def perform(form, subscriptions, by, now):
            sent = latest_reminders([subscription.pk for subscription in subscriptions])
            reminded = {reminder.subscription_id for reminder in sent}
            missing = [subscription.name for subscription in subscriptions if subscription.pk not in reminded]
            if missing:
                raise ValidationError(
                    gettext_now("No reminder has been sent yet to: %(names)s.") % {"names": ", ".join(missing)}
                )
            count = reminder_resend_many(reminders=sent, reason=form.cleaned_data["reason"], by=by, now=now)
            return gettext_now("%(count)d reminders sent again.") % {"count": count}

        return self._bulk(
            request,
            queryset,
            form_class=ReasonForm,
            label=gettext_now("Resend reminder"),
            action_name="resend_reminders",
            perform=perform,
        )


@admin.register(LifecycleEvent)
class LifecycleEventAdmin(ReadOnlyAdmin):
    """The audit log: operators read it, nobody edits it (SPEC 4)."""

    list_display = ["at", "subscription", "kind", "from_status", "to_status", "actor"]
    list_filter = ["kind", "to_status", "actor"]
    list_select_related = ["subscription"]
    search_fields = ["subscription__name", "subscription__public_id", "actor_user__email"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    raw_id_fields = ["subscription", "actor_user"]


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    """Every run of a lifecycle job (SPEC 6): when, as of which instant, what it processed and what failed."""

    list_display = [
        "job",
        "state",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "as_of",
        "processed",
        "skipped",
        "errors",
    ]
    list_filter = ["job", "state", "dry_run"]
    date_hierarchy = "started_at"
    ordering = ["-started_at", "-id"]
    change_form_template = "admin/subscriptions/jobrun/change_form.html"
    readonly_fields = ["failed_items"]

    @admin.display(description=_("failed items"))
    def failed_items(self, run: JobRun) -> str:
        return failed_items_html(run.error_details)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/retry/",
                self.admin_site.admin_view(self.retry_view),
                name="subscriptions_jobrun_retry",
            ),
            *super().get_urls(),
        ]

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """`Retry failed items` (SPEC 11): the failed items of this run, through their job steps again."""
        ensure_operator(request)
        job_run = get_object_or_404(JobRun, pk=object_id)
        form = ReasonForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                retry = job_run_retry_failed(
                    job_run=job_run,
                    reason=form.cleaned_data["reason"],
                    by=operator_actor(request.user),
                    now=timezone.now(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(
                    request,
                    gettext_now("Retried: %(processed)d processed, %(errors)d errors.")
                    % {"processed": retry.processed, "errors": retry.errors},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:subscriptions_jobrun_change", args=[retry.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext_now("Retry failed items"),
            "label": gettext_now("Retry failed items"),
            "form": form,
            "job_run": job_run,
            "opts": self.model._meta,
            "back_url": reverse("admin:subscriptions_jobrun_change", args=[job_run.pk]),
        }
        return TemplateResponse(request, "admin/subscriptions/jobrun/retry.html", context)


def failed_item_url(item: dict) -> str:
    """Where an operator looks at a failed item: the invoice of an invoice reminder, else the subscription."""
    if item.get("step") == "invoice_issued":
        return reverse("admin:billing_invoice_change", args=[item["id"]])
    return reverse("admin:subscriptions_subscription_change", args=[item["id"]])


def failed_items_html(items: list[dict]) -> str:
    if not items:
        return "-"
    return format_html(
        '<ul class="failed-items">{}</ul>',
        format_html_join(
            "",
            '<li><a href="{}">{} #{}</a>: {}</li>',
            ((failed_item_url(item), item.get("step"), item.get("id"), item.get("error", "")) for item in items),
        ),
    )
