"""The subscription lifecycle (SPEC 4, 5, 6): states, reservations, the event log, job runs."""

import secrets
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from billing.models import ContractType, Plan
from workspaces.models import AccountType, Workspace
from workspaces.validators import unicode_name


def new_public_id() -> str:
    # Opaque and unguessable: subscriptions are never addressed by a sequential number (SPEC 9).
    return secrets.token_urlsafe(12)


class Status(models.TextChoices):
    TRIAL = "trial", _("Trial")
    SUSPENDED = "suspended", _("Suspended")
    ACTIVE = "active", _("Active")
    TERMINATED = "terminated", _("Terminated")


class Action(models.TextChoices):
    CONVERT = "convert", _("Convert to paid")
    CHANGE_RENEWAL = "change_renewal", _("Change renewal option")
    UPGRADE = "upgrade", _("Upgrade")
    ADD_LICENCES = "add_licences", _("Add licences")
    CANCEL = "cancel", _("Cancel subscription")
    WITHDRAW_CANCELLATION = "withdraw_cancellation", _("Withdraw cancellation")
    # Move a reserved cancellation's date (or bring it forward to today), from the cancel page.
    CHANGE_CANCELLATION = "change_cancellation", _("Cancellation date")
    WITHDRAW_CONVERSION = "withdraw_conversion", _("Withdraw conversion")
    ADMIN_LOGIN = "admin_login", _("Go to NAVER WORKS Admin")
    EXPORT = "export", _("Export data")
    # Operators only (SPEC 11, rules.OPERATOR_ALLOWED).
    EXTEND_TRIAL = "extend_trial", _("Extend trial")
    WAIVE_PENALTY = "waive_penalty", _("Waive penalty")


class RenewalOption(models.TextChoices):
    RENEW_ANNUAL = "renew_annual", _("Renew as annual (same conditions)")
    SWITCH_TO_MONTHLY = "switch_to_monthly", _("Switch to monthly")
    DO_NOT_RENEW = "do_not_renew", _("Do not renew")


def next_version() -> models.Expression:
    """``version`` moved on, as an UPDATE's assignment: ``.update(..., version=next_version())``."""
    return F("version") + 1


class SubscriptionQuerySet(models.QuerySet):
    def touch(self) -> int:
        """Move the rows' ``version`` on, for a change to their reservations, rate segments or invoices (whose
        rows are elsewhere): one UPDATE."""
        return self.update(version=next_version())

    def owned_by(self, user) -> "SubscriptionQuerySet":
        return self.filter(customer=user)

    def live(self) -> "SubscriptionQuerySet":
        return self.exclude(status=Status.TERMINATED)

    # --- what the lifecycle jobs find due on a KST date (SPEC 6); each is re-run under the row lock ---

    def _with_pending(self, kind: str, *, due_by: date | None = None) -> models.Exists:
        pending = Reservation.objects.filter(subscription=models.OuterRef("pk"), kind=kind, state="pending")
        if due_by is not None:
            pending = pending.filter(effective_on__lte=due_by)
        return models.Exists(pending)

    def due_for_conversion(self, today: date) -> "SubscriptionQuerySet":
        return self.filter(self._with_pending("conversion", due_by=today), status__in=[Status.TRIAL, Status.SUSPENDED])

    def due_for_cancellation(self, today: date) -> "SubscriptionQuerySet":
        return self.filter(self._with_pending("cancellation", due_by=today)).exclude(status=Status.TERMINATED)

    def due_for_invoicing(self, today: date) -> "SubscriptionQuerySet":
        return self.filter(status=Status.ACTIVE, next_invoice_on__lte=today)

    def due_for_trial_expiry(self, today: date) -> "SubscriptionQuerySet":
        # A conversion due today wins over the expiry, whichever job runs first.
        return self.filter(status=Status.TRIAL, trial_last_day__lt=today).exclude(
            self._with_pending("conversion", due_by=today)
        )

    def due_for_grace_expiry(self, today: date) -> "SubscriptionQuerySet":
        # A reserved conversion always falls within the grace period, so it is due before the grace ends:
        # never terminate a subscription that still has one pending (the conversion job takes it).
        return self.filter(status=Status.SUSPENDED, grace_last_day__lt=today).exclude(self._with_pending("conversion"))


class Subscription(models.Model):
    public_id = models.CharField(max_length=24, unique=True, default=new_public_id, editable=False)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions")
    # Null once purged (SPEC 6): the workspace and everything in it are gone; `name` below stays for the audit.
    workspace = models.OneToOneField(
        Workspace, on_delete=models.SET_NULL, null=True, blank=True, related_name="subscription"
    )
    account_type = models.CharField(_("account type"), max_length=8, choices=AccountType.choices)
    # The group or domain name as applied (kept after the purge; the name itself is freed with the workspace).
    name = models.CharField(_("group or domain name"), max_length=253)
    # The admin account ID (`admin@group`); scrubbed by the purge.
    admin_account_id = models.CharField(_("admin account ID"), max_length=300, blank=True)
    region = models.CharField(_("region"), max_length=16, default="KR")
    platform = models.CharField(_("platform"), max_length=16, default="VPC")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(_("state"), max_length=16, choices=Status.choices, default=Status.TRIAL, db_index=True)
    applied_on = models.DateField(_("applied on (KST)"))
    # SPEC 5.1: applied on KST date D, the last trial day is D+29.
    trial_last_day = models.DateField(_("last trial day (KST)"))
    # SPEC 6: the last day a suspended trial can still convert; the day after, it is terminated and purged.
    grace_last_day = models.DateField(_("last grace day (KST)"))
    # The paid start date: the anchor of every billing period (SPEC 3). Null until paid service starts.
    paid_start = models.DateField(_("paid start (KST)"), null=True, blank=True)
    contract_type = models.CharField(
        _("contract type"), max_length=8, choices=ContractType.choices, blank=True, default=""
    )
    licences = models.PositiveIntegerField(_("licences"), null=True, blank=True)
    # Start and end (inclusive) of the last contract term the lifecycle has reached: 12 periods for annual, 1 period
    # for monthly. The jobs' bookkeeping: the contract on a day is the calendar's (subscriptions.standing, issue
    # 22), which reads term_end only as the end of the term the renewal option applies after.
    term_start = models.DateField(_("term start"), null=True, blank=True)
    term_end = models.DateField(_("term end"), null=True, blank=True)
    # SPEC 5.3: blank means never set, which behaves as "Switch to monthly".
    renewal_option = models.CharField(
        _("renewal option"), max_length=20, choices=RenewalOption.choices, blank=True, default=""
    )
    # An annual renewal may lower the licences for the next term (SPEC 5.3).
    renewal_licences = models.PositiveIntegerField(null=True, blank=True)
    # The next billing period to invoice; every period before it has its invoice (SPEC 6 renewals).
    next_period_index = models.PositiveIntegerField(default=0)
    # The KST date from which that period's invoice is due (its end + 1 day), so that the renewal job finds due
    # subscriptions with SQL. Kept in step with next_period_index by subscriptions.services.invoicing; null when not
    # paid.
    next_invoice_on = models.DateField(null=True, blank=True, db_index=True)
    terminated_on = models.DateField(_("terminated on (KST)"), null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Moves on with every write that changes what the My Product card shows: this row (the one door of state
    # changes, core.change_status_many, and every other writer, in the same UPDATE), and its reservations, rate
    # segments and invoices (``touch_subscriptions``). The card's HTML is cached under it (subscriptions.cards,
    # issue 17); a writer that forgets it leaves the customer a stale card.
    version = models.PositiveIntegerField(default=0)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        # The operators' actions (SPEC 11), given to the roles `Support` and `Billing` (SPEC 13,
        # backoffice/permissions.py).
        permissions = [
            ("extend_trial", _("Can extend a trial")),
            ("resend_reminder", _("Can resend a reminder")),
            ("withdraw_reservation", _("Can withdraw a reservation")),
            ("convert_on_behalf", _("Can convert on behalf of the customer")),
            ("cancel_on_behalf", _("Can cancel on behalf of the customer")),
            ("waive_penalty", _("Can waive a penalty")),
        ]
        indexes = [
            models.Index(fields=["customer", "region", "platform"], name="subs_customer_shell_idx"),
            models.Index(fields=["trial_last_day"], condition=Q(status="trial"), name="subs_trial_due_idx"),
            models.Index(fields=["grace_last_day"], condition=Q(status="suspended"), name="subs_grace_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="active") | Q(paid_start__isnull=False, term_end__isnull=False),
                name="subs_active_has_contract",
            ),
            models.CheckConstraint(
                condition=~Q(contract_type="annual") | Q(licences__gte=1), name="subs_annual_has_licences"
            ),
        ]

    def __str__(self) -> str:
        return f"{unicode_name(self.name)} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("subscriptions:my-product") + f"#subscription-{self.public_id}"

    @property
    def effective_renewal_option(self) -> str:
        return self.renewal_option or RenewalOption.SWITCH_TO_MONTHLY


class Reservation(models.Model):
    """A reserved paid conversion or cancellation: a row with a date, found by the jobs with SQL (SPEC 6)."""

    class Kind(models.TextChoices):
        CONVERSION = "conversion", _("Paid conversion")
        CANCELLATION = "cancellation", _("Cancellation")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        # A reserved cancellation replaced before its date by a cancellation carried out at once (issue 19).
        SUPERSEDED = "superseded", _("Superseded")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="reservations")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    effective_on = models.DateField(_("date (KST)"))
    # Conversion terms (null for a cancellation).
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    contract_type = models.CharField(max_length=8, choices=ContractType.choices, blank=True, default="")
    licences = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["effective_on", "id"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            # SPEC 4: at most one pending paid conversion and one pending cancellation per subscription.
            models.UniqueConstraint(
                fields=["subscription", "kind"], condition=Q(state="pending"), name="subs_one_pending_per_kind"
            ),
        ]
        indexes = [
            models.Index(
                fields=["kind", "effective_on"], condition=Q(state="pending"), name="subs_reservation_due_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.effective_on} ({self.state})"


class LifecycleEvent(models.Model):
    """Append-only audit log of every transition and reservation change (SPEC 4), written in the same
    transaction as the change."""

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    # Who: "customer", "operator" or "job:<task name>"; the user when a person acted (scrubbed by the purge).
    actor = models.CharField(max_length=80)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("lifecycle event")
        verbose_name_plural = _("lifecycle events")

    def __str__(self) -> str:
        return f"{self.kind} {self.from_status}->{self.to_status} by {self.actor}"


class JobRun(models.Model):
    """One run of a lifecycle job (SPEC 6), for operators in Django admin.

    A run is split into chunks (JobChunk); each chunk adds its counts here in its own transaction, so the record
    is true at every instant, also after a crash. A run whose worker is gone stops beating (`heartbeat_at`) and
    is closed as abandoned by the next run of the same job (subscriptions.services.jobs).
    """

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        # Its worker died or its messages were lost: closed by the next run; what it left due, that run does.
        ABANDONED = "abandoned", _("Abandoned")

    job = models.CharField(max_length=80, db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField()
    # Finished or abandoned: null while running.
    finished_at = models.DateTimeField(null=True, blank=True)
    # Moved by every chunk's commit; no heartbeat for longer than a chunk can take means the run is dead.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The instant the run decided "due" against (the clock, or run_lifecycle --at); every chunk uses it.
    as_of = models.DateTimeField()
    dry_run = models.BooleanField(default=False)
    # Fanned out over the workers as chunk messages (the Celery tasks), or run in one process (run_lifecycle).
    fan_out = models.BooleanField(default=False)
    chunk_size = models.PositiveIntegerField(default=1000)
    # The phase in progress: the job's step and the sweep over it (subscriptions.services.jobs.MAX_SWEEPS).
    step_index = models.PositiveSmallIntegerField(default=0)
    sweep = models.PositiveSmallIntegerField(default=0)
    # Sums of the done chunks, added in each chunk's transaction.
    processed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    error_details = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        permissions = [("retry_failed_items", _("Can retry the failed items of a run"))]
        constraints = [
            # Beat's next tick does not start a second fan-out of a job while one runs (SPEC 6, 10).
            models.UniqueConstraint(
                fields=["job"], condition=Q(state="running", fan_out=True), name="subs_one_running_fan_out_per_job"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} at {self.started_at:%Y-%m-%d %H:%M}"


class JobChunk(models.Model):
    """One chunk of a job run: the due ids from `first_id` to `last_id` of one step, one Celery message.

    Its counts and `done_at` are written in the transaction that did its work, so a chunk is done exactly when
    its writes are committed: a redelivered message of a done chunk does nothing.
    """

    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="chunks")
    step_index = models.PositiveSmallIntegerField()
    sweep = models.PositiveSmallIntegerField(default=0)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    # Due rows in the range when the run planned it; fewer claimed ones were locked elsewhere (skipped).
    size = models.PositiveIntegerField()
    processed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    error_details = models.JSONField(default=list, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run_id", "step_index", "sweep", "first_id"]
        verbose_name = _("job chunk")
        verbose_name_plural = _("job chunks")
        indexes = [
            models.Index(
                fields=["run", "step_index", "sweep"], condition=Q(done_at__isnull=True), name="subs_chunk_open_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: step {self.step_index} ids {self.first_id}-{self.last_id}"


class ReminderSent(models.Model):
    """A reminder e-mail already sent; the unique key makes each reminder go out at most once (SPEC 6)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=40)
    # What the reminder is about, e.g. the trial's last day or the invoice id: a new date is a new reminder.
    key = models.CharField(max_length=64)
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            # Kind first: the reminder job asks "not yet sent for this kind" for every due subscription.
            models.UniqueConstraint(fields=["kind", "subscription", "key"], name="subs_reminder_once_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
