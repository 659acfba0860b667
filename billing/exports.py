"""The billing history as CSV (SPEC 12): one row per invoice and credit note, for a spreadsheet program.

UTF-8 with a byte order mark, so that spreadsheet programs read Hangul and kana as such; amounts as plain integers
of KRW; dates as ISO `YYYY-MM-DD`. A text cell that a spreadsheet would take for a formula (starting with `=`,
`+`, `-`, `@`, a tab or a carriage return) is written as text by a leading apostrophe; amounts are numbers, never
text, so a credit note's negative total stays a number.
"""

import csv
import io

from django.utils.translation import gettext as _

from .models import CreditNote, Invoice

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A cell as written: integers as they are, text starting like a formula behind an apostrophe (OWASP's
    advice against CSV injection), anything else as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _period(invoice: Invoice) -> str:
    return f"{invoice.period_start.isoformat()} – {invoice.period_end.isoformat()}"


def _invoice_row(invoice: Invoice) -> list:
    return [
        invoice.number,
        _("Final invoice") if invoice.is_final else _("Invoice"),
        invoice.issued_on.isoformat(),
        _period(invoice),
        invoice.subtotal,
        invoice.credit_applied,
        invoice.vat,
        invoice.total,
        invoice.amount_due,
        invoice.subscription.name,
        "",
    ]


def _credit_note_row(note: CreditNote) -> list:
    return [
        note.number,
        _("Credit note"),
        note.issued_on.isoformat(),
        _period(note.invoice),
        note.amount,
        0,
        note.vat,
        note.total,
        "",  # a credit note owes nothing: it lowers its invoice's amount due (that row's)
        note.invoice.subscription.name,
        note.invoice.number,
    ]


def billing_history_csv(invoices: list[Invoice], credit_notes: list[CreditNote]) -> str:
    """The CSV text (with its BOM) of these documents, in the active language: oldest first, a credit note
    after the documents of its day. ``invoices`` carry ``amount_due`` (billing.selectors.with_amount_due)."""
    header = [
        _("Number"),
        _("Kind"),
        _("Issue date"),
        _("Period"),
        _("Subtotal"),
        _("Credit applied"),
        _("VAT"),
        _("Total"),
        _("Amount due"),
        _("Subscription"),
        _("Credited invoice"),
    ]
    rows = [(invoice.issued_on, 0, invoice.number, _invoice_row(invoice)) for invoice in invoices]
    rows += [(note.issued_on, 1, note.number, _credit_note_row(note)) for note in credit_notes]
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(header)
    for *_order, row in sorted(rows):
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue()
