"""Reminder e-mails (SPEC 6 `send_reminders`), each at most once, in the customer's language.

Each kind is a job step: the due query leaves out what was already sent (ReminderSent), the claimed chunk gets
its ReminderSent rows in the chunk's transaction (the unique key is the last guard), and the mails go out only
after that transaction commits. The mails of billing documents (an invoice issued, a credit note) carry the
document's PDF, rendered (or read from storage) there, after the commit, never inside the issuing transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction

from billing.documents import credit_notes_for_documents, document_pdfs, invoices_for_documents, pdf_filename
from billing.models import CreditNote, Invoice
from billing.selectors import credited_total
from subscriptions.models import ReminderSent, Reservation, Status, Subscription
from works_console.db import insert_rows
from works_console.mail import MailTemplate, customer_language, render_mail_template

from .jobs import Step

# Mails with a billing document per chunk: each renders its PDF after the commit (SPEC 12).
DOCUMENT_MAIL_CHUNK_SIZE = 100


@dataclass(frozen=True)
class DocumentMail:
    """A mail that carries a billing document as `<number>.pdf` (SPEC 12)."""

    # The rows of these public ids (the reminder's keys), as the due query reads them.
    by_keys: Callable[[list[str]], dict[str, models.Model]]
    # The documents with what their PDF shows, for these rows (billing.documents).
    load: Callable[[list[int]], list]


def _itself(row: models.Model) -> models.Model:
    return row


def _customer(row: models.Model):
    return row.customer


@dataclass(frozen=True)
class Reminder:
    kind: str
    # The date or id the reminder is about: a different one (e.g. a new cancellation date) is a new reminder.
    key: Callable[[models.Model], str]
    due: Callable[[date], models.QuerySet]
    # The mail's per-recipient values beside `first_name` and `name`, as the strings the mail shows.
    values: Callable[[models.Model], dict[str, str]]
    # The subscription a row's reminder is about (written on ReminderSent) and the customer it goes to.
    subscription_of: Callable[[models.Model], Subscription] = _itself
    # The same subscription as a lookup from the row, for a query over some subscriptions' rows.
    subscription_path: str = "pk"
    customer_of: Callable[[models.Model], object] = _customer
    # A billing document's mail: its rows by key (a resend finds them so), and its PDF, rendered after commit.
    document: DocumentMail | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        return ("first_name", "name", *VALUE_FIELDS[self.kind])


# What a reminder reads of its rows (the mail's values and recipient): a chunk of 1,000 builds no more.
CUSTOMER_FIELDS = ("customer__email", "customer__first_name", "customer__language")
SUBSCRIPTION_FIELDS = ("id", "name", "status", "trial_last_day", "grace_last_day", "term_end", *CUSTOMER_FIELDS)
INVOICE_FIELDS = (
    "id",
    "public_id",
    "number",
    "subscription_id",
    "period_start",
    "period_end",
    "total",
    "subscription__name",
    *CUSTOMER_FIELDS,
)
CREDIT_NOTE_FIELDS = (
    "id",
    "public_id",
    "number",
    "total",
    "invoice_id",
    "invoice__number",
    "invoice__total",
    "invoice__subscription_id",
    "invoice__subscription__name",
    *(f"invoice__{field}" for field in CUSTOMER_FIELDS),
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


def _invoice_rows() -> models.QuerySet:
    return Invoice.objects.select_related("customer", "subscription").only(*INVOICE_FIELDS)


def _invoices(today: date) -> models.QuerySet:
    return _invoice_rows().exclude(_not_sent("invoice_issued", "public_id", subscription_ref="subscription_id"))


def _credit_note_rows() -> models.QuerySet:
    return (
        CreditNote.objects.select_related("invoice__customer", "invoice__subscription")
        .annotate(amount_due=models.F("invoice__total") + credited_total(models.OuterRef("invoice_id")))
        .only(*CREDIT_NOTE_FIELDS)
    )


def _credit_notes(today: date) -> models.QuerySet:
    return _credit_note_rows().exclude(
        _not_sent("credit_note_issued", "public_id", subscription_ref="invoice__subscription_id")
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
    "invoice_issued": ("number", "start", "end", "total"),
    "credit_note_issued": ("number", "invoice_number", "total", "amount_due"),
}

INVOICE_PDFS = DocumentMail(
    by_keys=lambda keys: _invoice_rows().in_bulk(keys, field_name="public_id"), load=invoices_for_documents
)
CREDIT_NOTE_PDFS = DocumentMail(
    by_keys=lambda keys: _credit_note_rows().in_bulk(keys, field_name="public_id"), load=credit_notes_for_documents
)

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
        lambda row: {
            "number": row.number,
            "start": _day(row.period_start),
            "end": _day(row.period_end),
            "total": _amount(row.total),
        },
        subscription_of=lambda row: row.subscription,
        subscription_path="subscription",
        document=INVOICE_PDFS,
    ),
    # A credit note (a waived penalty, SPEC 11) is announced with its PDF like an invoice (SPEC 12).
    Reminder(
        "credit_note_issued",
        lambda row: row.public_id,
        _credit_notes,
        lambda row: {
            "number": row.number,
            "invoice_number": row.invoice.number,
            "total": _amount(-row.total),
            "amount_due": _amount(row.amount_due),
        },
        subscription_of=lambda row: row.invoice.subscription,
        subscription_path="invoice__subscription",
        customer_of=lambda row: row.invoice.customer,
        document=CREDIT_NOTE_PDFS,
    ),
]
REMINDER_BY_KIND = {reminder.kind: reminder for reminder in REMINDERS}


def _pdfs(reminder: Reminder, rows: list) -> dict[int, tuple[str, bytes]]:
    """The PDF each row's mail carries, ``{row id: (<number>.pdf, bytes)}``: rendered now or read from storage
    (billing.documents). Never inside the chunk's transaction: this runs after its commit (SPEC 12)."""
    if reminder.document is None:
        return {}
    documents = reminder.document.load([row.pk for row in rows])
    pdfs = document_pdfs(documents)
    return {document.pk: (pdf_filename(document), pdfs[document.pk]) for document in documents if document.pk in pdfs}


def _messages(reminder: Reminder, rows: list) -> list[EmailMessage]:
    """The chunk's mails: each template rendered once per language, then filled per customer; a document's mail
    carries its PDF."""
    templates: dict[str, MailTemplate] = {}
    attachments = _pdfs(reminder, rows)
    messages = []
    for row in rows:
        customer = reminder.customer_of(row)
        language = customer_language(customer)
        template = templates.get(language)
        if template is None:
            template = templates[language] = render_mail_template(
                reminder.kind, language=language, fields=reminder.fields
            )
        values = {"first_name": customer.first_name, "name": reminder.subscription_of(row).name} | reminder.values(row)
        message = template.message(values, to=[customer.email], from_email=settings.DEFAULT_FROM_EMAIL)
        if row.pk in attachments:
            message.attach(*attachments[row.pk], "application/pdf")
        messages.append(message)
    return messages


def _send_chunk(reminder: Reminder, rows: list) -> None:
    """One connection for the whole chunk (an SMTP backend opens it once and sends every message over it)."""
    get_connection(fail_silently=False).send_messages(_messages(reminder, rows))


def _sender(reminder: Reminder) -> Callable[[list, datetime], int]:
    def process(rows: list, now: datetime) -> int:
        insert_rows(
            ReminderSent,
            ("subscription", "kind", "key", "sent_at"),
            ((reminder.subscription_of(row).pk, reminder.kind, reminder.key(row), now) for row in rows),
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
            describe=lambda row, today, reminder=reminder: (
                f"e-mail {reminder.customer_of(row).email} ({reminder.key(row)})"
            ),
            # A mail with a PDF renders it after the chunk's commit (a few per second): smaller chunks keep each
            # chunk's task well within its time limit.
            chunk_size=DOCUMENT_MAIL_CHUNK_SIZE if reminder.document else None,
            subscription_path=reminder.subscription_path,
        )
        for reminder in REMINDERS
    ]
