"""A true preview of a lifecycle run (SPEC 11): every item a run as of an instant would touch, with its amounts.

`run_lifecycle --dry-run --at T` prints it, and the admin dashboard shows it for a chosen date. It reads only:
the due rows of each job step in keyset chunks (as the jobs find them, without claiming them), then per chunk:
- conversions: the contract each reserved conversion starts (the terms of ``paid._paid_contract``, the licences
  of ``paid._reserved_terms``, the catalog price of now);
- renewals: every invoice the renewal job would issue, and what each ended term renews into;
- cancellations: the penalty (``cancel.cancellation_penalty``) and the final invoices;
- trial expiry: suspensions (with the grace) and terminations;
- reminders: each e-mail a run would send, those about what the jobs before them do in the same run included
  (issue 20): the `trial ended` mail of a trial the expiry job suspends, the `invoice issued` mail of every
  invoice the renewal and cancellation jobs issue.
The invoices come from ``services.invoicing.preview_invoices``: the same facts and billing's same walk over the
periods (``invoice_plan_many``) and spending of credit as the jobs' own invoicing, so the amounts shown are the
amounts the real run issues. Nothing is written: no job run, no row.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from itertools import chain

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, prefetch_related_objects

from billing.invoices import InvoiceDraft
from billing.models import ContractType, RateSegment
from billing.money import format_won
from billing.services import PreviewLedger
from works_console.dates import ONE_DAY, kst_date

from .lifecycle import ACTIVATE_CONVERSIONS, EXECUTE_CANCELLATIONS, EXPIRE_TRIALS, JOBS, RENEW, SEND_REMINDERS
from .models import RenewalOption, Reservation, Status, Subscription
from .services.cancel import cancellation_penalty, penalty_applies
from .services.invoicing import members_of, preview_invoices
from .services.jobs import DEFAULT_CHUNK_SIZE, Step
from .services.paid import _paid_contract, _reserved_terms
from .services.reminders import REMINDER_BY_KIND, trial_ended_due
from .standing import standing_on


@dataclass
class PreviewItem:
    step: str
    subscription_id: int
    name: str
    summary: str
    invoices: list[InvoiceDraft] = field(default_factory=list)
    penalty: int = 0
    reminder_to: str = ""
    # The service stops (cancelled, not renewed, grace over): the jobs after this one no longer see it.
    ends: bool = False
    # The customer the invoices above are mailed to (the reminders job mails each one, SPEC 6).
    customer_id: int | None = None
    # A mail about an invoice: sent whatever became of the service (a cancellation's final invoice too).
    about_invoice: bool = False


@dataclass
class JobPreview:
    job: str
    items: list[PreviewItem] = field(default_factory=list)
    # Over every item, also those past the listing limit.
    count: int = 0
    invoice_count: int = 0
    invoice_total: int = 0
    penalty_total: int = 0
    reminder_count: int = 0

    def add(self, item: PreviewItem, *, limit: int | None) -> None:
        self.count += 1
        self.invoice_count += len(item.invoices)
        self.invoice_total += sum(draft.totals.total for draft in item.invoices)
        self.penalty_total += item.penalty
        self.reminder_count += bool(item.reminder_to)
        if limit is None or len(self.items) < limit:
            self.items.append(item)

    @property
    def short_name(self) -> str:
        return self.job.rsplit(".", 1)[-1]

    @property
    def more(self) -> int:
        return self.count - len(self.items)


def _over_jobs(counter: str) -> property:
    """A total of the whole run: the sum of the ``JobPreview`` counter of that name over its jobs."""
    return property(lambda preview: sum(getattr(job, counter) for job in preview.jobs))


@dataclass
class LifecyclePreview:
    as_of: datetime
    jobs: list[JobPreview]

    count = _over_jobs("count")
    invoice_count = _over_jobs("invoice_count")
    invoice_total = _over_jobs("invoice_total")
    penalty_total = _over_jobs("penalty_total")
    reminder_count = _over_jobs("reminder_count")


@dataclass
class _RunSoFar:
    """What the jobs already previewed do before the reminders job, which mails about it in a real run."""

    trials_expired: bool = False  # the expiry job ran: the trials due today are suspended (their `trial ended`)
    # (subscription id, name, customer id, invoice) of every invoice issued: each gets its `invoice issued` mail
    invoices: list[tuple[int, str, int, InvoiceDraft]] = field(default_factory=list)

    def record(self, item: PreviewItem) -> None:
        self.invoices.extend((item.subscription_id, item.name, item.customer_id, draft) for draft in item.invoices)


def _due_chunks(step: Step, today: date, chunk_size: int) -> Iterator[list]:
    """The step's due rows in keyset chunks, as the job reads them (no lock: nothing is claimed)."""
    last_id = 0
    while True:
        rows = list(step.due(today).filter(pk__gt=last_id).order_by("pk")[:chunk_size])
        if not rows:
            return
        yield rows
        last_id = rows[-1].pk


def _pending(subscriptions: list[Subscription], kind: str, today: date) -> dict[int, Reservation]:
    rows = Reservation.objects.filter(
        subscription_id__in=[subscription.pk for subscription in subscriptions],
        kind=kind,
        state=Reservation.State.PENDING,
        effective_on__lte=today,
    ).select_related("plan")
    return {row.subscription_id: row for row in rows.order_by("-id")}


def _conversions(rows: list[Subscription], today: date, now: datetime, ledger: PreviewLedger) -> Iterator[PreviewItem]:
    reservations = _pending(rows, Reservation.Kind.CONVERSION, today)
    annual = [
        row for row in rows if row.pk in reservations and reservations[row.pk].contract_type == ContractType.ANNUAL
    ]
    members = members_of(annual) if annual else {}
    for row in rows:
        reservation = reservations.get(row.pk)
        if reservation is None:
            continue
        if row.status not in (Status.TRIAL, Status.SUSPENDED):
            yield PreviewItem("activate_conversion", row.pk, row.name, "reservation withdrawn: the service ended")
            continue
        count = members.get(row.pk, 0)
        licences, _details = _reserved_terms(reservation, members=count)
        contract = _paid_contract(
            plan=reservation.plan,
            contract_type=reservation.contract_type,
            licences=licences,
            start_on=reservation.effective_on,
        )
        quantity = f", {licences} licences" if contract["licences"] else ", billed on the members"
        yield PreviewItem(
            "activate_conversion",
            row.pk,
            row.name,
            f"start paid {reservation.contract_type} {reservation.plan.name} on {reservation.effective_on}"
            f" at {format_won(reservation.plan.unit_price(reservation.contract_type))} per user{quantity};"
            f" term {contract['term_start']} – {contract['term_end']}",
        )


def _with_calendar(rows: list[Subscription]) -> None:
    """Read the pending reservations and rate segments of a chunk at once (two queries), for ``standing_on``."""
    prefetch_related_objects(
        rows,
        Prefetch(
            "reservations",
            queryset=Reservation.objects.filter(state=Reservation.State.PENDING).select_related("plan"),
            to_attr="pending_reservation_list",
        ),
        Prefetch("rate_segments", queryset=RateSegment.objects.select_related("plan"), to_attr="rate_segment_list"),
    )


def _renewal(subscription: Subscription, today: date) -> str:
    """What the renewal job does to a term that has ended (SPEC 5.3), in words: the contract it leaves is the
    calendar's of ``today`` (issue 22), however many terms it catches up."""
    if subscription.term_end >= today:
        return "close ended periods"
    starts_on = subscription.term_end + ONE_DAY
    standing = standing_on(subscription, today=today)
    contract = standing.contract
    if standing.is_stopped:
        if contract.stopped_on > starts_on:  # renewed first, then a cancellation stops it
            return f"renews, then the cancellation of {contract.stopped_on} ends the service"
        if subscription.effective_renewal_option == RenewalOption.DO_NOT_RENEW:
            return f"not renewed: the service ends on {starts_on}, purge"
        return f"left to the cancellation of {contract.stopped_on}"
    if subscription.contract_type == ContractType.MONTHLY and contract.contract_type == ContractType.MONTHLY:
        return f"monthly term rolls to {contract.term_start} – {contract.term_end}"
    if contract.contract_type == ContractType.ANNUAL:
        return (
            f"renews as annual {subscription.plan.name} at {format_won(subscription.plan.annual_unit_price)} per"
            f" licence, term {contract.term_start} – {contract.term_end}"
        )
    price = format_won(subscription.plan.monthly_unit_price)
    return f"switches to monthly {subscription.plan.name} at {price} per user from {starts_on}"


def _renewals(rows: list[Subscription], today: date, now: datetime, ledger: PreviewLedger) -> Iterator[PreviewItem]:
    invoices: dict[int, list[InvoiceDraft]] = {}
    for previewed in preview_invoices(rows, now=now, ledger=ledger):
        invoices.setdefault(previewed.subscription_id, []).append(previewed.draft)
    _with_calendar(rows)
    for row in rows:
        ends = row.term_end < today and row.effective_renewal_option == RenewalOption.DO_NOT_RENEW
        yield PreviewItem(
            "close_period",
            row.pk,
            row.name,
            _renewal(row, today),
            invoices=invoices.get(row.pk, []),
            ends=ends,
            customer_id=row.customer_id,
        )


def _cancellations(
    rows: list[Subscription], today: date, now: datetime, ledger: PreviewLedger
) -> Iterator[PreviewItem]:
    reservations = _pending(rows, Reservation.Kind.CANCELLATION, today)
    due = [row for row in rows if row.pk in reservations and row.status != Status.TERMINATED]
    paid = [row.pk for row in due if row.status == Status.ACTIVE]
    segments: dict[int, list[RateSegment]] = {pk: [] for pk in paid}
    if paid:
        for segment in RateSegment.objects.filter(subscription_id__in=paid).select_related("plan"):
            segments[segment.subscription_id].append(segment)
    # The contract that ran up to each cancellation date, by the calendar (a term renewed before it included).
    standings = {
        row.pk: standing_on(
            row,
            today=today,
            pending={Reservation.Kind.CANCELLATION: reservations[row.pk]},
            segments=segments.get(row.pk, []),
        )
        for row in due
    }
    renewing = [row for row in due if standings[row.pk].contract and standings[row.pk].contract.renewed_from]
    members = members_of(renewing) if renewing else {}
    penalties = {
        row.pk: cancellation_penalty(
            standings[row.pk],
            reservations[row.pk].effective_on,
            segments=segments.get(row.pk, ()),
            members=members.get(row.pk),
        )
        for row in due
    }
    finals = {
        row.pk: (reservations[row.pk].effective_on, penalties[row.pk] if penalty_applies(standings[row.pk]) else None)
        for row in due
        if row.status == Status.ACTIVE
    }
    invoices: dict[int, list[InvoiceDraft]] = {}
    active = [row for row in due if row.status == Status.ACTIVE]
    if active:
        for previewed in preview_invoices(active, now=now, finals=finals, ledger=ledger):
            invoices.setdefault(previewed.subscription_id, []).append(previewed.draft)
    for row in due:
        on = reservations[row.pk].effective_on
        yield PreviewItem(
            "execute_cancellation",
            row.pk,
            row.name,
            f"cancelled as of {on}: final invoice, terminated, purge",
            invoices=invoices.get(row.pk, []),
            penalty=penalties[row.pk].amount,
            ends=True,
            customer_id=row.customer_id,
        )


def _trial_expiry(step: Step):
    def describe(rows: list[Subscription], today: date, now: datetime, ledger: PreviewLedger) -> Iterator[PreviewItem]:
        for row in rows:
            summary = step.describe(row, today).split(": ", 1)[-1]
            yield PreviewItem(step.name, row.pk, row.name, summary, ends=row.status == Status.SUSPENDED)

    return describe


def _reminders(step: Step):
    reminder = REMINDER_BY_KIND[step.name]

    def describe(rows: list, today: date, now: datetime, ledger: PreviewLedger) -> Iterator[PreviewItem]:
        for row in rows:
            subscription, email = reminder.subscription_of(row), reminder.customer_of(row).email
            yield PreviewItem(
                step.name,
                subscription.pk,
                subscription.name,
                f"e-mail {step.name} ({reminder.key(row)}) to {email}",
                reminder_to=email,
                about_invoice=not isinstance(row, Subscription),
            )

    return describe


def _mails_of_issued_invoices(step: Step, run: _RunSoFar, chunk_size: int) -> Iterator[PreviewItem]:
    """The `invoice issued` mail of each invoice the run's earlier jobs issue (not in the database yet, so not
    among the step's due rows): the customers' addresses read a chunk at a time."""
    for start in range(0, len(run.invoices), chunk_size):
        chunk = run.invoices[start : start + chunk_size]
        emails = dict(
            get_user_model()
            .objects.filter(pk__in={customer_id for *_, customer_id, _ in chunk})
            .values_list("pk", "email")
        )
        for subscription_id, name, customer_id, draft in chunk:
            final = ", final" if draft.is_final else ""
            email = emails[customer_id]
            yield PreviewItem(
                step.name,
                subscription_id,
                name,
                f"e-mail {step.name} (invoice period {draft.period_index}{final}, issued by this run) to {email}",
                reminder_to=email,
                about_invoice=True,
            )


def _step_as_the_run_finds_it(step: Step, run: _RunSoFar) -> Step:
    """A reminder step whose due rows depend on what an earlier job of the run changed, as the run finds them."""
    if step.name == "trial_ended" and run.trials_expired:
        return replace(step, due=lambda today: trial_ended_due(today, after_expiry=True))
    return step


def _describers(job: str, step: Step):
    if job == ACTIVATE_CONVERSIONS:
        return _conversions
    if job == RENEW:
        return _renewals
    if job == EXECUTE_CANCELLATIONS:
        return _cancellations
    if job == EXPIRE_TRIALS:
        return _trial_expiry(step)
    if job == SEND_REMINDERS:
        return _reminders(step)
    raise KeyError(job)


def preview_lifecycle(
    *, now: datetime, jobs: list[str] | None = None, limit: int | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> LifecyclePreview:
    """What a run of ``jobs`` (all, in the SPEC 6 order, by default) as of ``now`` would touch, with its amounts.

    ``limit`` caps the items kept per job for display; the totals count every item. Reads only. As in a real
    run, a service that a job stops (a cancellation, a grace period over, "Do not renew") is left alone by the
    jobs after it (no reminder of a cancellation that has just been carried out), and a period the renewal job
    invoices is not invoiced again by the cancellation job, which finds the credit that is left.
    """
    today = kst_date(now)
    previews = []
    ended: set[int] = set()
    ledger = PreviewLedger()  # the invoices and credit of the jobs before, as a real run leaves them
    run = _RunSoFar()  # what the jobs before do that the reminders job mails about
    for job in jobs or list(JOBS):
        preview = JobPreview(job=job)
        ending: set[int] = set()
        for step in JOBS[job]:
            describe = _describers(job, step)
            items = (
                item
                for rows in _due_chunks(_step_as_the_run_finds_it(step, run), today, chunk_size)
                for item in describe(rows, today, now, ledger)
            )
            if step.name == "invoice_issued":
                items = chain(items, _mails_of_issued_invoices(step, run, chunk_size))
            for item in items:
                # An invoice is mailed whatever became of its service; nothing else of a service that has ended.
                if item.subscription_id in ended and not item.about_invoice:
                    continue
                preview.add(item, limit=limit)
                run.record(item)
                if item.ends:
                    ending.add(item.subscription_id)
        ended |= ending
        run.trials_expired |= job == EXPIRE_TRIALS
        previews.append(preview)
    return LifecyclePreview(as_of=now, jobs=previews)


def _invoice_lines(draft: InvoiceDraft) -> Iterator[str]:
    final = " (final)" if draft.is_final else ""
    yield f"invoice{final} period {draft.period_index}: {draft.period_start} – {draft.period_end}"
    for line in draft.lines:
        if line.kind == "usage":
            yield (
                f"  {line.kind} {line.description}: {line.quantity} x {format_won(line.unit_price)}"
                f" x {line.days}/{line.period_days} days = {format_won(line.amount)}"
            )
        elif line.kind == "penalty":
            yield (
                f"  penalty Early termination on {line.cancellation_date} (term {line.starts_on} – {line.ends_on}):"
                f" {format_won(line.amount)}"
            )
        else:
            yield f"  {line.kind} {line.description}: {format_won(line.amount)}"
    totals = draft.totals
    yield (
        f"  subtotal {format_won(totals.subtotal)}, credit {format_won(-totals.credit_applied)},"
        f" VAT {format_won(totals.vat)}, total {format_won(totals.total)}"
    )


def preview_lines(preview: LifecyclePreview) -> Iterator[str]:
    """The preview as text: per job each item with its amounts, the job's totals, then the totals (SPEC 11)."""
    for job in preview.jobs:
        yield f"{job.job}: {job.count} due (dry run, nothing written)"
        for item in job.items:
            penalty = f"; penalty {format_won(item.penalty)}" if item.penalty else ""
            yield f"  {item.step}: {item.name}: {item.summary}{penalty}"
            for draft in item.invoices:
                for line in _invoice_lines(draft):
                    yield f"    {line}"
        if job.more:
            yield f"  ... and {job.more} more"
        yield (
            f"  {job.short_name} totals: {job.count} items, {job.invoice_count} invoices"
            f" {format_won(job.invoice_total)}, penalties {format_won(job.penalty_total)},"
            f" {job.reminder_count} reminders"
        )
    yield (
        f"Totals as of {preview.as_of.isoformat()}: {preview.count} items, {preview.invoice_count} invoices"
        f" {format_won(preview.invoice_total)}, penalties {format_won(preview.penalty_total)},"
        f" {preview.reminder_count} reminders"
    )
