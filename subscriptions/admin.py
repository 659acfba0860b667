"""Django admin for operators (SPEC 1): subscriptions and their append-only lifecycle events.

Subscriptions are read-only here: every state change goes through a service that writes its lifecycle event
in the same transaction (SPEC 4), which a bare admin form cannot guarantee. Operators act through the actions
of SPEC 11 (subscriptions/admin_actions.py): a form with a reason, then the same services as the console.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from billing.admin import InvoiceInline, ReadOnlyAdmin, ReadOnlyInline
from works_console.operator_pages import Done, ObjectTools, Tool, operator_form_page

from . import admin_schedule  # noqa: F401 (registers the schedule's pages)
from .admin_actions import CHANGE_PERMISSION, action_view, ensure_operator, offered_actions
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


def bulk_action(description, form_class):
    """A bulk action of the list (SPEC 11): ``perform(form, subscriptions, by, now)`` returns the message; the
    action shows the form page of ``form_class`` with the selected subscriptions first."""

    def decorator(perform):
        @admin.action(description=description)
        def action(model_admin, request: HttpRequest, queryset):
            return model_admin._bulk(
                request,
                queryset,
                form_class=form_class,
                label=str(description),
                action_name=perform.__name__,
                perform=perform,
            )

        action.__name__ = perform.__name__
        return action

    return decorator


@admin.register(Subscription)
class SubscriptionAdmin(ObjectTools, ReadOnlyAdmin):
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
    object_pages = [("act/<slug:slug>/", "operator_action_view", "subscriptions_subscription_operator_action")]
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

    def object_tools(self, request: HttpRequest, obj: Subscription) -> list[Tool]:
        if not request.user.has_perm(CHANGE_PERMISSION):
            return []
        return [
            Tool(reverse("admin:subscriptions_subscription_operator_action", args=[obj.pk, action.slug]), action.label)
            for action in offered_actions(obj)
        ]

    def operator_action_view(self, request: HttpRequest, object_id: str, slug: str) -> HttpResponse:
        return action_view(self, request, object_id, slug)

    # --- bulk actions on the list (SPEC 11): a form page with the reason, then one service call for the batch ---

    def _bulk(self, request: HttpRequest, queryset, *, form_class, label: str, action_name: str, perform):
        ensure_operator(request)
        subscriptions = list(queryset.order_by("pk"))
        submitted = "confirm" in request.POST

        def done(form) -> Done:
            return Done(perform(form, subscriptions, operator_actor(request.user), timezone.now()))

        return operator_form_page(
            self,
            request,
            form=form_class(request.POST if submitted else None),
            submitted=submitted,
            perform=done,
            template="admin/subscriptions/subscription/bulk_action.html",
            label=label,
            back_url=reverse("admin:subscriptions_subscription_changelist"),
            subscriptions=subscriptions,
            action_name=action_name,
            selected_name=admin.helpers.ACTION_CHECKBOX_NAME,
        )

    @bulk_action(_("Extend trial"), ExtendTrialForm)
    def extend_trials(form, subscriptions, by, now) -> str:
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

    @bulk_action(_("Resend reminder"), ReasonForm)
    def resend_reminders(form, subscriptions, by, now) -> str:
        sent = latest_reminders([subscription.pk for subscription in subscriptions])
        reminded = {reminder.subscription_id for reminder in sent}
        missing = [subscription.name for subscription in subscriptions if subscription.pk not in reminded]
        if missing:
            raise ValidationError(
                gettext_now("No reminder has been sent yet to: %(names)s.") % {"names": ", ".join(missing)}
            )
        count = reminder_resend_many(reminders=sent, reason=form.cleaned_data["reason"], by=by, now=now)
        return gettext_now("%(count)d reminders sent again.") % {"count": count}


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
class JobRunAdmin(ObjectTools, ReadOnlyAdmin):
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
    object_pages = [("retry/", "retry_view", "subscriptions_jobrun_retry")]
    readonly_fields = ["failed_items"]

    @admin.display(description=_("failed items"))
    def failed_items(self, run: JobRun) -> str:
        return failed_items_html(run.error_details)

    def object_tools(self, request: HttpRequest, obj: JobRun) -> list[Tool]:
        if not obj.error_details:
            return []
        return [Tool(reverse("admin:subscriptions_jobrun_retry", args=[obj.pk]), gettext_now("Retry failed items"))]

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """`Retry failed items` (SPEC 11): the failed items of this run, through their job steps again."""
        ensure_operator(request)
        job_run = get_object_or_404(JobRun, pk=object_id)

        def perform(form) -> Done:
            retry = job_run_retry_failed(
                job_run=job_run,
                reason=form.cleaned_data["reason"],
                by=operator_actor(request.user),
                now=timezone.now(),
            )
            message = gettext_now("Retried: %(processed)d processed, %(errors)d errors.") % {
                "processed": retry.processed,
                "errors": retry.errors,
            }
            return Done(message, reverse("admin:subscriptions_jobrun_change", args=[retry.pk]))

        return operator_form_page(
            self,
            request,
            form=ReasonForm(request.POST if request.method == "POST" else None),
            submitted=request.method == "POST",
            perform=perform,
            template="admin/subscriptions/jobrun/retry.html",
            label=gettext_now("Retry failed items"),
            back_url=reverse("admin:subscriptions_jobrun_change", args=[job_run.pk]),
            crumb=str(job_run),
            job_run=job_run,
        )


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
