"""What operators do from Django admin (SPEC 11), through the same services as the console.

Every action takes a reason, acts as ``("operator", user)`` and leaves the reason on the lifecycle events it
wrote. Convert, cancel and withdraw are the customer's own services, so what the rules refuse a customer they
refuse an operator too, with the same message.
"""

import logging
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.credit_notes import credit_note_waive_penalty
from billing.models import CreditNote, Invoice, InvoiceLine, Plan
from subscriptions.models import Action, JobRun, LifecycleEvent, ReminderSent, Reservation, Subscription
from works_console.dates import kst_date
from works_console.logging import job_run_context

from .cancel import subscription_cancel, subscription_withdraw_cancellation
from .core import Actor, ensure_allowed, lock_subscription, record_change, record_events
from .paid import subscription_convert, subscription_withdraw_conversion
from .trial import check_reason

logger = logging.getLogger(__name__)


def operator_actor(user) -> Actor:
    return ("operator", user)


def _note_reason(subscription: Subscription, *, reason: str, at: datetime) -> None:
    """Write the operator's reason on the events the action just wrote (same transaction, same instant)."""
    events = list(LifecycleEvent.objects.filter(subscription_id=subscription.pk, actor="operator", at=at))
    for event in events:
        event.details = {**event.details, "reason": reason}
    LifecycleEvent.objects.bulk_update(events, ["details"])


@transaction.atomic
def operator_convert(
    *,
    subscription: Subscription,
    plan: Plan,
    contract_type: str,
    licences: int | None,
    start_on: date,
    reason: str,
    by: Actor,
    now: datetime,
) -> Subscription:
    """Convert on behalf of the customer (SPEC 5.2, 11): now, or reserved for ``start_on``."""
    reason = check_reason(reason)
    result = subscription_convert(
        subscription=subscription,
        plan=plan,
        contract_type=contract_type,
        licences=licences,
        start_on=start_on,
        by=by,
        now=now,
    )
    _note_reason(result, reason=reason, at=now)
    return result


@transaction.atomic
def operator_cancel(*, subscription: Subscription, on: date, reason: str, by: Actor, now: datetime) -> Subscription:
    """Cancel on behalf of the customer (SPEC 5.5, 11): today (final invoice with the penalty, purge) or on ``on``."""
    reason = check_reason(reason)
    result = subscription_cancel(subscription=subscription, on=on, by=by, now=now)
    _note_reason(result, reason=reason, at=now)
    return result


@transaction.atomic
def operator_withdraw_reservation(
    *, subscription: Subscription, kind: str, reason: str, by: Actor, now: datetime
) -> Subscription:
    """Withdraw the pending conversion or cancellation (SPEC 5.2, 5.5, 11)."""
    reason = check_reason(reason)
    if kind == Reservation.Kind.CONVERSION:
        result = subscription_withdraw_conversion(subscription=subscription, by=by, now=now)
    elif kind == Reservation.Kind.CANCELLATION:
        result = subscription_withdraw_cancellation(subscription=subscription, by=by, now=now)
    else:
        raise ValidationError({"kind": _("Choose the reservation to withdraw.")}, code="invalid")
    _note_reason(result, reason=reason, at=now)
    return result


@transaction.atomic
def subscription_waive_penalty(*, subscription: Subscription, reason: str, by: Actor, now: datetime) -> CreditNote:
    """Waive the early-termination penalty of the subscription's final invoice with a credit note (SPEC 11).

    A penalty is billed on the final invoice when the service stops (SPEC 5.5); before that there is nothing
    to waive: withdraw the cancellation or move its date instead.
    """
    reason = check_reason(reason)
    subscription = lock_subscription(subscription)
    no_penalty = _("This subscription has no invoiced early-termination penalty to waive.")
    ensure_allowed(subscription, Action.WAIVE_PENALTY, today=kst_date(now), message=no_penalty, operator=True)
    invoice = (
        Invoice.objects.filter(subscription=subscription, is_final=True, lines__kind=InvoiceLine.Kind.PENALTY)
        .order_by("-period_index")
        .first()
    )
    if invoice is None:
        raise ValidationError(no_penalty, code="no_penalty")
    note = credit_note_waive_penalty(invoice=invoice, reason=reason, by_user=by[1], now=now)
    record_change(
        subscription,
        "penalty_waived",
        by=by,
        at=now,
        details={
            "invoice": invoice.public_id,
            "credit_note": note.public_id,
            "amount": note.amount,
            "total": note.total,
            "reason": reason,
        },
    )
    return note


@transaction.atomic
def reminder_resend_many(*, reminders: list[ReminderSent], reason: str, by: Actor, now: datetime) -> int:
    """Send reminders that went out before once more (SPEC 11), in the customer's language, after commit.

    Each resend writes a ``reminder_resent`` event; the ReminderSent row stays as it was (the reminder was sent,
    at that time), so the job never counts a resend as its own. Returns how many mails leave.
    """
    from django.core.mail import get_connection

    from .reminders import REMINDERS, Reminder, _messages

    reason = check_reason(reason)
    if not reminders:
        raise ValidationError(_("No reminder has been sent for this subscription yet."), code="nothing_sent")
    by_kind = {reminder.kind: reminder for reminder in REMINDERS}
    subscriptions = Subscription.objects.select_related("customer").in_bulk(
        {sent.subscription_id for sent in reminders}
    )
    # A billing document's mail is about the document its key names (an invoice, a credit note).
    documents = {
        kind: reminder.document.by_keys([sent.key for sent in reminders if sent.kind == kind])
        for kind, reminder in by_kind.items()
        if reminder.document is not None
    }
    rows = []
    for sent in reminders:
        reminder = by_kind.get(sent.kind)
        if sent.kind in documents:
            row = documents[sent.kind].get(sent.key)
        else:
            row = subscriptions[sent.subscription_id]
            row.key = sent.key  # what the job's due query annotates: the date the reminder is about
        if reminder is None or row is None:
            raise ValidationError(_("This reminder can no longer be sent."), code="unknown_reminder")
        rows.append((reminder, row))
    # One reminder per subscription in a call (a resend, or the latest of each in bulk): one event each.
    record_events(
        [subscriptions[sent.subscription_id] for sent in reminders],
        "reminder_resent",
        by=by,
        at=now,
        details={
            sent.subscription_id: {
                "reminder": sent.kind,
                "key": sent.key,
                "first_sent_at": sent.sent_at.isoformat(),
                "reason": reason,
            }
            for sent in reminders
        },
    )
    # After commit, as the job sends them: the same messages (multipart, in the customer's language), rendered
    # by the job's own ``_messages`` per kind, over one connection.
    groups: dict[str, tuple[Reminder, list]] = {}
    for reminder, row in rows:
        groups.setdefault(reminder.kind, (reminder, []))[1].append(row)
    transaction.on_commit(
        lambda: get_connection(fail_silently=False).send_messages(
            [message for reminder, group in groups.values() for message in _messages(reminder, group)]
        )
    )
    logger.info("resent %d reminders", len(rows))
    return len(rows)


def latest_reminders(subscription_ids: list[int]) -> list[ReminderSent]:
    """The last reminder sent to each of these subscriptions (what a bulk resend sends again)."""
    latest: dict[int, ReminderSent] = {}
    for sent in ReminderSent.objects.filter(subscription_id__in=subscription_ids).order_by("sent_at", "id"):
        latest[sent.subscription_id] = sent
    return list(latest.values())


def job_run_retry_failed(*, job_run: JobRun, reason: str, by: Actor, now: datetime) -> JobRun:
    """Run the failed items of ``job_run`` again (SPEC 11), each through its job step, as the job does.

    Each item is claimed with the step's due filter under its row lock, in its own transaction (failed items
    are few, at most the 100 a run records): one that is no longer due (done meanwhile, withdrawn) is left
    alone, one that fails again is recorded. Records a new job run of the same job, and a ``job_items_retried``
    event per subscription with the reason.
    """
    from subscriptions.lifecycle import JOBS

    from .jobs import _claim

    reason = check_reason(reason)
    failed: dict[str, list[int]] = {}
    for item in job_run.error_details or []:
        failed.setdefault(item["step"], []).append(item["id"])
    if not failed:
        raise ValidationError(_("This job run has no failed items to retry."), code="nothing_failed")
    steps = {step.name: step for step in JOBS.get(job_run.job, [])}
    today = kst_date(now)
    # Started and finished are measured (as the job runner does); ``now`` is the instant due is decided against.
    started = timezone.now()
    run = JobRun.objects.create(job=job_run.job, started_at=started, heartbeat_at=started, as_of=now)
    processed, skipped, errors = 0, 0, []
    subscription_ids: set[int] = set()
    with job_run_context(run.pk):
        for name, ids in failed.items():
            step = steps.get(name)
            if step is None:
                errors.extend({"step": name, "id": pk, "error": "unknown step"} for pk in ids)
                continue
            if step.due(today).model is Invoice:
                subscription_ids.update(Invoice.objects.filter(pk__in=ids).values_list("subscription_id", flat=True))
            elif step.due(today).model is CreditNote:
                notes = CreditNote.objects.filter(pk__in=ids)
                subscription_ids.update(notes.values_list("invoice__subscription_id", flat=True))
            else:
                subscription_ids.update(ids)
            for pk in sorted(set(ids)):
                try:
                    with transaction.atomic():
                        claimed = _claim(step, today, [pk])
                        processed += step.process(claimed, now) if claimed else 0
                        skipped += not claimed
                except Exception as error:  # noqa: BLE001 - recorded on the job run, as the job does
                    logger.exception("%s: subscription %s failed again", step.name, pk)
                    errors.append({"step": step.name, "id": pk, "error": repr(error)[:500]})
        run.state, run.finished_at = JobRun.State.FINISHED, timezone.now()
        run.heartbeat_at = run.finished_at
        run.processed, run.skipped, run.errors, run.error_details = processed, skipped, len(errors), errors[:100]
        run.save(
            update_fields=["state", "finished_at", "heartbeat_at", "processed", "skipped", "errors", "error_details"]
        )
        retried = list(Subscription.objects.filter(pk__in=subscription_ids).only("pk", "status").order_by("pk"))
        details = {"job": job_run.job, "job_run": job_run.pk, "retry_run": run.pk, "reason": reason}
        record_events(
            retried,
            "job_items_retried",
            by=by,
            at=now,
            details={subscription.pk: details for subscription in retried},
            statuses={subscription.pk: ("", "") for subscription in retried},
        )
        logger.info("job run %s: retried %d failed items", job_run.pk, len(job_run.error_details))
    return run
