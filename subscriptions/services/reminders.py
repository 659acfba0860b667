"""Reminder e-mails (SPEC 6 `send_reminders`), each at most once, in the customer's language.

Each kind is a job step: the due query leaves out what was already sent (ReminderSent), the claimed chunk gets
its ReminderSent rows in the chunk's transaction (the unique key is the last guard), and the mails go out only
after that transaction commits.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction

from billing.models import Invoice
from subscriptions.models import ReminderSent, Reservation, Status, Subscription
from works_console.mail import MailTemplate, render_mail_template

from .jobs import Step


@dataclass(frozen=True)
class Reminder:
    kind: str
    # The date or id the reminder is about: a different one (e.g. a new cancellation date) is a new reminder.
    key: Callable[[models.Model], str]
    due: Callable[[date], models.QuerySet]
    # The mail's per-recipient values beside `first_name` and `name`, as the strings the mail shows.
    values: Callable[[models.Model], dict[str, str]]

    @property
    def fields(self) -> tuple[str, ...]:
        return ("first_name", "name", *VALUE_FIELDS[self.kind])


# What a reminder reads of its rows (the mail's values and recipient): a chunk of 1,000 builds no more.
CUSTOMER_FIELDS = ("customer__email", "customer__first_name", "customer__language")
SUBSCRIPTION_FIELDS = ("id", "name", "status", "trial_last_day", "grace_last_day", "term_end", *CUSTOMER_FIELDS)
INVOICE_FIELDS = (
    "id",
    "public_id",
    "subscription_id",
    "period_start",
    "period_end",
    "total",
    "subscription__name",
    *CUSTOMER_FIELDS,
)


def _not_sent(kind: str, key_field: str, subscription_ref: str = "pk") -> models.Exists:
    return models.Exists(
        ReminderSent.objects.filter(
            subscription=models.OuterRef(subscription_ref), kind=kind, key=models.OuterRef(key_field)
        )
    )


def _pending(kind: str) -> models.Exists:
    return models.Exists(Reservation.objects.filter(subscription=models.OuterRef("pk"), kind=kind, state="pending"))


def _unsent(kind: str, day: str, subscriptions: models.QuerySet | None = None) -> models.QuerySet:
    """The subscriptions keyed by the date ``day`` names (one reminder per date: a new date is a new reminder),
    without those that got the ``kind`` reminder for it, read with only what the mail needs."""
    subscriptions = Subscription.objects.all() if subscriptions is None else subscriptions
    return (
        subscriptions.annotate(key=models.functions.Cast(day, models.CharField()))
        .exclude(_not_sent(kind, "key"))
        .select_related("customer")
        .only(*SUBSCRIPTION_FIELDS)
    )


def _trials(today: date, kind: str, first: int, last: int) -> models.QuerySet:
    # Never a trial reminder once a conversion or a cancellation is made or reserved (SPEC 6).
    return (
        _unsent(kind, "trial_last_day")
        .filter(
            status=Status.TRIAL,
            trial_last_day__gte=today + timedelta(days=first),
            trial_last_day__lte=today + timedelta(days=last),
        )
        .exclude(_pending(Reservation.Kind.CONVERSION))
        .exclude(_pending(Reservation.Kind.CANCELLATION))
    )


def trial_ended_due(today: date, *, after_expiry: bool = False) -> models.QuerySet:
    """The suspended trials owed the `trial ended` mail (grace and deletion date), once per grace.

    ``after_expiry``: as this step finds them once the expiry job of the same run has suspended the trials due
    today (SPEC 6 runs it before the reminders); the dry-run preview asks so, since it reads before anything ran.
    """
    suspended = models.Q(status=Status.SUSPENDED)
    if after_expiry:
        suspended |= models.Q(pk__in=Subscription.objects.due_for_trial_expiry(today).values("pk"))
    return (
        _unsent("trial_ended", "grace_last_day")
        .filter(suspended, grace_last_day__gte=today)
        .exclude(_pending(Reservation.Kind.CONVERSION))
        .exclude(_pending(Reservation.Kind.CANCELLATION))
    )


def _cancellations(today: date, kind: str, first: int, last: int) -> models.QuerySet:
    pending = Reservation.objects.filter(
        subscription=models.OuterRef("pk"), kind=Reservation.Kind.CANCELLATION, state="pending"
    ).values("effective_on")[:1]
    with_dates = Subscription.objects.annotate(cancellation_on=models.Subquery(pending))
    return (
        _unsent(kind, "cancellation_on", with_dates)
        .filter(
            cancellation_on__gte=today + timedelta(days=first),
            cancellation_on__lte=today + timedelta(days=last),
        )
        .exclude(status=Status.TERMINATED)
    )


def _annual_terms(today: date) -> models.QuerySet:
    return (
        _unsent("annual_term_ends_in_30_days", "term_end")
        .filter(
            status=Status.ACTIVE, contract_type="annual", term_end__gte=today, term_end__lte=today + timedelta(days=30)
        )
        .exclude(_pending(Reservation.Kind.CANCELLATION))
    )


def _invoices(today: date) -> models.QuerySet:
    return (
        Invoice.objects.annotate(key=models.F("public_id"))
        .exclude(_not_sent("invoice_issued", "public_id", subscription_ref="subscription_id"))
        .select_related("customer", "subscription")
        .only(*INVOICE_FIELDS)
    )


def _day(value: date) -> str:
    return value.isoformat()


def _amount(value: int) -> str:
    return f"{value:,}"  # as intcomma writes it in English, Japanese and Korean (SPEC 9: 3,960)


VALUE_FIELDS = {
    "trial_ends_in_7_days": ("last_day",),
    "trial_ends_in_3_days": ("last_day",),
    "trial_ended": ("last_day",),
    "cancellation_in_7_days": ("day",),
    "cancellation_in_1_day": ("day",),
    "annual_term_ends_in_30_days": ("term_end",),
    "invoice_issued": ("start", "end", "total"),
}

REMINDERS = [
    Reminder(
        "trial_ends_in_7_days",
        lambda row: row.key,
        lambda today: _trials(today, "trial_ends_in_7_days", 4, 7),
        lambda row: {"last_day": _day(row.trial_last_day)},
    ),
    Reminder(
        "trial_ends_in_3_days",
        lambda row: row.key,
        lambda today: _trials(today, "trial_ends_in_3_days", 0, 3),
        lambda row: {"last_day": _day(row.trial_last_day)},
    ),
    Reminder("trial_ended", lambda row: row.key, trial_ended_due, lambda row: {"last_day": _day(row.grace_last_day)}),
    Reminder(
        "cancellation_in_7_days",
        lambda row: row.key,
        lambda today: _cancellations(today, "cancellation_in_7_days", 2, 7),
        lambda row: {"day": row.key},
    ),
    Reminder(
        "cancellation_in_1_day",
        lambda row: row.key,
        lambda today: _cancellations(today, "cancellation_in_1_day", 0, 1),
        lambda row: {"day": row.key},
    ),
    Reminder(
        "annual_term_ends_in_30_days",
        lambda row: row.key,
        _annual_terms,
        lambda row: {"term_end": _day(row.term_end)},
    ),
    Reminder(
        "invoice_issued",
        lambda row: row.public_id,
        _invoices,
        lambda row: {"start": _day(row.period_start), "end": _day(row.period_end), "total": _amount(row.total)},
    ),
]


def _messages(reminder: Reminder, rows: list) -> list[EmailMessage]:
    """The chunk's mails: each template rendered once per language, then filled per customer."""
    templates: dict[str, MailTemplate] = {}
    messages = []
    for row in rows:
        customer = row.customer
        language = customer.language or settings.LANGUAGE_CODE
        template = templates.get(language)
        if template is None:
            template = templates[language] = render_mail_template(
                reminder.kind, language=language, fields=reminder.fields
            )
        subscription = row.subscription if isinstance(row, Invoice) else row
        values = {"first_name": customer.first_name, "name": subscription.name} | reminder.values(row)
        messages.append(template.message(values, to=[customer.email], from_email=settings.DEFAULT_FROM_EMAIL))
    return messages


def _send_chunk(reminder: Reminder, rows: list) -> None:
    """One connection for the whole chunk (an SMTP backend opens it once and sends every message over it)."""
    get_connection(fail_silently=False).send_messages(_messages(reminder, rows))


def _sender(reminder: Reminder) -> Callable[[list, datetime], int]:
    def process(rows: list, now: datetime) -> int:
        ReminderSent.objects.bulk_create(
            [
                ReminderSent(
                    subscription_id=row.subscription_id if isinstance(row, Invoice) else row.pk,
                    kind=reminder.kind,
                    key=reminder.key(row),
                    sent_at=now,
                )
                for row in rows
            ]
        )
        # After commit only: a rolled-back chunk sends nothing and stays due. The mails are rendered there too,
        # so the chunk's row locks are not held while templates render.
        transaction.on_commit(lambda: _send_chunk(reminder, rows))
        return len(rows)

    return process


def reminder_steps() -> list[Step]:
    return [
        Step(
            name=reminder.kind,
            due=reminder.due,
            process=_sender(reminder),
            describe=lambda row, today, reminder=reminder: f"e-mail {row.customer.email} ({reminder.key(row)})",
        )
        for reminder in REMINDERS
    ]
