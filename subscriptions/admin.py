"""Django admin for operators (SPEC 1): subscriptions and their append-only lifecycle events.

Subscriptions are read-only here: every state change goes through a service that writes its lifecycle event
in the same transaction (SPEC 4), which a bare admin form cannot guarantee.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import JobRun, LifecycleEvent, Reservation, Subscription


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the services write and operators only read: changing it here would bypass the event log."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


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
    inlines = [ReservationInline, LifecycleEventInline]
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
