"""The demo customer of `make run` and its history (``seed_demo``): a subscription in every state of SPEC 4.

Nothing here writes a field by hand. The history is told as it would have happened: the customer applies,
adds members, converts, upgrades and cancels, an operator grants credit and waives a penalty, each through the
service the console or the back office calls, at its own instant in the past (the clock is moved there, so
every stored instant, ``created_at`` included, is that instant); and every night at 00:15 KST the lifecycle jobs
run over the demo subscriptions (``process_due_of``), so the invoices, the suspension and the reminders are the
jobs' own. The days are counted back from today, so the demo always shows a live trial and coming reservations.

What the customer sees on My Product (Korea / VPC), newest first:

=================  =======================================================================================
group name         state
=================  =======================================================================================
demo-trial         trial (Lite, upgraded to Premium)
demo-converting    trial with a reserved conversion (annual Basic, 5 licences, in 10 days)
demo-suspended     suspended: the trial ended 7 days ago, the grace runs
demo-cancelling    active annual Lite with a reserved cancellation in 11 days (the penalty is owed then)
demo-monthly       active monthly Basic with issued invoices
demo-annual        active annual, upgraded to Premium, licences added, renewing as annual; issued invoices,
                   the last one paid in part by a credit an operator granted
demo-ended         terminated: an annual contract cancelled early, its penalty waived by a credit note
=================  =======================================================================================

A credit note only exists for a waived early-termination penalty (billing/credit_notes.py), which is billed on
the final invoice once the service has stopped: so the credit note belongs to a terminated annual contract
(docs/decisions.md, issue 19).
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import User
from accounts.services import user_sign_up
from billing.models import ContractType, Plan
from billing.services import credit_grant
from works_console.dates import KST, kst_date
from workspaces.directory import member_add
from workspaces.models import AccountType

from .lifecycle import ACTIVATE_CONVERSIONS, EXECUTE_CANCELLATIONS, EXPIRE_TRIALS, JOBS, RENEW, SEND_REMINDERS
from .models import Subscription
from .services.apply import subscription_apply
from .services.cancel import subscription_cancel
from .services.core import customer_actor
from .services.jobs import process_due_of
from .services.operator import operator_actor, subscription_waive_penalty
from .services.paid import subscription_convert, subscription_increase_licences, subscription_upgrade
from .services.renewal import subscription_set_renewal_option

DEMO_EMAIL = "demo@example.com"
OPERATOR_EMAIL = "operator@example.com"
# Published logins of the local console only: seed_demo refuses to run without DEBUG.
DEMO_PASSWORD = "works-demo-2026"  # noqa: S105
# The NAVER WORKS admin account of every demo workspace (`admin@demo-trial`) and its members' initial password,
# under the SPEC 5.1 rules (lowercase letters and digits, no sequence, no repetition).
WORKS_ADMIN_ID = "admin"
WORKS_PASSWORD = "demo2026works"  # noqa: S105
REGION, PLATFORM = "KR", "VPC"

# The jobs of a night, in the SPEC 6 order of run_lifecycle.
NIGHTLY_JOBS = (ACTIVATE_CONVERSIONS, RENEW, EXECUTE_CANCELLATIONS, EXPIRE_TRIALS, SEND_REMINDERS)
NIGHTLY_RUN = time(0, 15)


@dataclass(frozen=True)
class Happening:
    """Something the customer or an operator did, ``days_ago`` days before today at ``at`` (KST)."""

    days_ago: int
    at: str
    action: str
    workspace: str = ""
    options: dict = field(default_factory=dict)


def _happening(days_ago: int, at: str, action: str, workspace: str = "", **options) -> Happening:
    return Happening(days_ago, at, action, workspace, options)


# The story, by workspace; the history plays it in time order, with the nightly jobs in between.
STORY: list[Happening] = [
    # An annual contract cancelled early: the final invoice bills the penalty, which an operator waives.
    _happening(95, "10:00", "apply", "demo-ended", plan="basic", company="Gaon Books"),
    _happening(94, "11:30", "add_members", "demo-ended", members={"jiwoo": "Kim Jiwoo"}),
    _happening(85, "14:00", "convert", "demo-ended", plan="basic", contract_type="annual", licences=3),
    _happening(40, "15:20", "cancel", "demo-ended"),
    _happening(
        39,
        "10:10",
        "waive_penalty",
        "demo-ended",
        reason="Goodwill: the customer moves these users to its Premium workspace.",
    ),
    # An annual contract in its third month: upgraded, licences added, renewing as annual.
    _happening(90, "09:40", "apply", "demo-annual", plan="basic", company="Saebom Design"),
    _happening(89, "13:00", "add_members", "demo-annual", members={"hana": "Choi Hana", "seojun": "Park Seojun"}),
    _happening(80, "11:00", "convert", "demo-annual", plan="basic", contract_type="annual", licences=8),
    _happening(60, "16:00", "upgrade", "demo-annual", plan="premium"),
    _happening(30, "10:30", "add_licences", "demo-annual", licences=10),
    # Its next invoice is the first one issued after this grant, whatever the lengths of the months: the credit
    # pays part of it.
    _happening(28, "10:00", "grant_credit", amount=20_000, reason="Apology for the mail outage of last month."),
    _happening(12, "09:15", "renewal_option", "demo-annual", option="renew_annual"),
    # A monthly contract billed on the members registered at each period's close.
    _happening(75, "15:00", "apply", "demo-monthly", plan="basic", company="Daon Logistics"),
    _happening(74, "10:00", "add_members", "demo-monthly", members={"sora": "Yoon Sora", "jun": "Han Jun"}),
    _happening(70, "11:45", "convert", "demo-monthly", plan="basic", contract_type="monthly"),
    _happening(45, "14:30", "add_members", "demo-monthly", members={"taeyang": "Oh Taeyang"}),
    # An annual contract whose cancellation is reserved: the service stops, and the penalty is billed, on its date.
    _happening(70, "10:20", "apply", "demo-cancelling", plan="lite", company="Nuri Foods"),
    _happening(65, "09:50", "convert", "demo-cancelling", plan="lite", contract_type="annual", licences=4),
    _happening(3, "17:00", "cancel", "demo-cancelling", in_days=14),
    # A trial that ended unconverted: suspended by the nightly job, in its grace period.
    _happening(36, "11:10", "apply", "demo-suspended", plan="lite", company="Mirae Clinic"),
    # A trial with a paid conversion reserved for a day after its last trial day.
    _happening(20, "13:30", "apply", "demo-converting", plan="basic", company="Hanbit Trading"),
    _happening(2, "16:40", "convert", "demo-converting", plan="basic", contract_type="annual", licences=5, in_days=12),
    # A trial, upgraded while it runs.
    _happening(9, "10:00", "apply", "demo-trial", plan="lite", company="Sol Studio"),
    _happening(8, "11:00", "add_members", "demo-trial", members={"nari": "Bae Nari"}),
    _happening(4, "15:00", "upgrade", "demo-trial", plan="premium"),
]
DEMO_WORKSPACES = tuple(dict.fromkeys(happening.workspace for happening in STORY if happening.workspace))
SIGNED_UP_DAYS_AGO = 100


def instant(day: date, at: str | time) -> datetime:
    """The aware instant of ``at`` (KST) on ``day``."""
    return datetime.combine(day, at if isinstance(at, time) else time.fromisoformat(at), tzinfo=KST)


@contextmanager
def _clock_at(moment: datetime):
    """Every clock of the process reads ``moment`` (timestamps the services take themselves, ``auto_now_add``).

    time-machine, a development dependency (seed_demo runs with DEBUG only), imported here and only here.
    """
    import time_machine

    with time_machine.travel(moment, tick=False):
        yield


class DemoHistory:
    """Plays STORY for the demo customer up to ``now``; ``subscriptions`` holds the demo's by workspace name."""

    def __init__(self, *, customer: User, operator: User, now: datetime) -> None:
        self.customer, self.operator, self.now = customer, operator, now
        self.today = kst_date(now)
        self.subscriptions: dict[str, Subscription] = {}
        self.plans = {plan.code: plan for plan in Plan.objects.all()}

    def play(self) -> None:
        """The story in time order, the nightly jobs run over the demo subscriptions before each day's events."""
        first_day = self.today - timedelta(days=max(happening.days_ago for happening in STORY))
        by_day: dict[date, list[Happening]] = {}
        for happening in sorted(STORY, key=lambda happening: (-happening.days_ago, happening.at)):
            by_day.setdefault(self.today - timedelta(days=happening.days_ago), []).append(happening)
        day = first_day
        while day <= self.today:
            # Today's run has happened already, or happens now: nothing is left due for `make run`'s beat.
            self._nightly_jobs(min(instant(day, NIGHTLY_RUN), self.now))
            for happening in by_day.get(day, []):
                moment = instant(day, happening.at)
                with _clock_at(moment):
                    getattr(self, happening.action)(now=moment, workspace=happening.workspace, **happening.options)
            day += timedelta(days=1)

    def _nightly_jobs(self, moment: datetime) -> None:
        if not self.subscriptions:
            return
        ids = [subscription.pk for subscription in self.subscriptions.values()]
        with _clock_at(moment):
            for job in NIGHTLY_JOBS:
                process_due_of(JOBS[job], ids, now=moment)

    def _current(self, workspace: str) -> Subscription:
        return Subscription.objects.select_related("plan", "workspace").get(pk=self.subscriptions[workspace].pk)

    # --- what the customer does (the console's services) ----------------------------------------------------

    def apply(self, *, now: datetime, workspace: str, plan: str, company: str) -> None:
        self.subscriptions[workspace] = subscription_apply(
            customer=self.customer,
            plan=self.plans[plan],
            kind=AccountType.GROUP,
            name=workspace,
            admin_login_id=WORKS_ADMIN_ID,
            admin_password=WORKS_PASSWORD,
            company_name=company,
            company_phone="+82 2-3456-7890",
            region=REGION,
            platform=PLATFORM,
            now=now,
        )

    def add_members(self, *, now: datetime, workspace: str, members: dict[str, str]) -> None:
        for login_id, name in members.items():
            member_add(
                workspace=self._current(workspace).workspace,
                login_id=login_id,
                name=name,
                password=WORKS_PASSWORD,
                now=now,
            )

    def convert(
        self,
        *,
        now: datetime,
        workspace: str,
        plan: str,
        contract_type: str,
        licences: int | None = None,
        in_days: int = 0,
    ) -> None:
        subscription_convert(
            subscription=self._current(workspace),
            plan=self.plans[plan],
            contract_type=ContractType(contract_type),
            licences=licences,
            start_on=kst_date(now) + timedelta(days=in_days),
            by=customer_actor(self.customer),
            now=now,
        )

    def upgrade(self, *, now: datetime, workspace: str, plan: str) -> None:
        subscription_upgrade(
            subscription=self._current(workspace), plan=self.plans[plan], by=customer_actor(self.customer), now=now
        )

    def add_licences(self, *, now: datetime, workspace: str, licences: int) -> None:
        subscription_increase_licences(
            subscription=self._current(workspace), licences=licences, by=customer_actor(self.customer), now=now
        )

    def renewal_option(self, *, now: datetime, workspace: str, option: str) -> None:
        subscription_set_renewal_option(
            subscription=self._current(workspace),
            option=option,
            licences=None,
            by=customer_actor(self.customer),
            now=now,
        )

    def cancel(self, *, now: datetime, workspace: str, in_days: int = 0) -> None:
        subscription_cancel(
            subscription=self._current(workspace),
            on=kst_date(now) + timedelta(days=in_days),
            by=customer_actor(self.customer),
            now=now,
        )

    # --- what an operator does (the back office's services) -------------------------------------------------

    def waive_penalty(self, *, now: datetime, workspace: str, reason: str) -> None:
        subscription_waive_penalty(
            subscription=self._current(workspace), reason=reason, by=operator_actor(self.operator), now=now
        )

    def grant_credit(self, *, now: datetime, workspace: str, amount: int, reason: str) -> None:
        credit_grant(customer=self.customer, amount=amount, reason=reason, by=self.operator)


@dataclass(frozen=True)
class Seeded:
    customer: User
    operator: User
    # False when the demo customer had its subscriptions already: nothing was written.
    history_written: bool


def _user(email: str, *, first_name: str, staff: bool, now: datetime) -> User:
    """The demo user, signed up at ``now`` if it does not exist (an existing one is left as it is)."""
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user
    with _clock_at(now):
        if staff:
            return User.objects.create_superuser(
                email=email, password=DEMO_PASSWORD, first_name=first_name, last_name="User"
            )
        return user_sign_up(
            email=email, password=DEMO_PASSWORD, first_name=first_name, last_name="User", language="en"
        )


def seed_demo(*, now: datetime | None = None) -> Seeded:
    """The demo customer, the demo operator and the customer's history up to ``now`` (idempotent).

    The history is written once, in one transaction: when the demo customer already has any of the demo
    workspaces' subscriptions, nothing is written. The mails of that past (invoice issued, trial ended) go to
    no one: the history was sent then; what the console sends from now on is printed as usual.
    """
    now = now or timezone.now()
    signed_up = instant(kst_date(now) - timedelta(days=SIGNED_UP_DAYS_AGO), "09:00")
    # The mails leave after the commit (on_commit): the backend is swapped around the whole transaction.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
        operator = _user(OPERATOR_EMAIL, first_name="Operator", staff=True, now=signed_up)
        customer = _user(DEMO_EMAIL, first_name="Demo", staff=False, now=signed_up)
        if Subscription.objects.filter(customer=customer, name__in=DEMO_WORKSPACES).exists():
            return Seeded(customer, operator, history_written=False)
        DemoHistory(customer=customer, operator=operator, now=now).play()
    return Seeded(customer, operator, history_written=True)


def demo_logins(*, base_url: str) -> list[str]:
    """How to sign in to the demo at ``base_url``, one line each (seed_demo, and `make run` once it is up)."""
    return [
        f"  customer           {DEMO_EMAIL} / {DEMO_PASSWORD}   at {base_url}/accounts/login/",
        f"                     (My Product: {len(DEMO_WORKSPACES)} subscriptions, one in every state)",
        f"  operator           {OPERATOR_EMAIL} / {DEMO_PASSWORD}   at {base_url}/admin/",
        "                     (at the first sign-in to /admin/, scan the QR code with an authenticator app)",
        f"  NAVER WORKS Admin  {WORKS_ADMIN_ID}@demo-trial / {WORKS_PASSWORD}   at {base_url}/works/login/",
    ]
