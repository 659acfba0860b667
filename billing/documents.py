"""The PDF of every invoice and credit note (SPEC 12): rendered once, kept, the same bytes served ever after.

A document is rendered with WeasyPrint from an HTML template (``billing/documents/document.html``) in the
customer's language (``User.language``), with the text selectable and the Noto Sans CJK font embedded (a subset).
The first reader renders it (the mail step after the issuing transaction committed, or the first download),
stores it in Django's default storage and records the file on the document's row; every later reader gets those
stored bytes, whatever the language or the data say by then: an issued document never changes, a credit note is
a new document (SPEC 12).

Rendering is slow (a few per second) and never happens inside an issuing transaction: the jobs only write rows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from works_console.mail import customer_language

from .models import CreditNote, Invoice, InvoiceLine, pdf_upload_to
from .money import format_won

logger = logging.getLogger(__name__)

# Languages whose readers write the family name first (as the console's name fields are ordered, issue 12).
FAMILY_NAME_FIRST = ("ja", "ko")
# The Noto Sans CJK face per language: the same font, with each language's glyph forms (kanji vs hanja).
FONTS = {"ja": "Noto Sans CJK JP", "ko": "Noto Sans CJK KR"}
DEFAULT_FONT = "Noto Sans CJK KR"


@dataclass(frozen=True)
class DocumentLine:
    description: str
    detail: str
    contract_type: str
    unit_price: str
    quantity: str
    days: str
    amount: str


def _is_hangul(text: str) -> bool:
    return bool(text) and all("\uac00" <= character <= "\ud7a3" for character in text)


def _customer_name(customer, language: str) -> str:
    """As the reader's language writes a name: family name first in Japanese and Korean, and a Korean name in
    Hangul without a space (김민지)."""
    first, last = customer.first_name, customer.last_name
    if language not in FAMILY_NAME_FIRST:
        return " ".join(part for part in (first, last) if part)
    separator = "" if language == "ko" and _is_hangul(first) and _is_hangul(last) else " "
    return separator.join(part for part in (last, first) if part)


def _contract_type(value: str) -> str:
    return {"annual": _("Annual"), "monthly": _("Monthly")}.get(value, "")


def _invoice_lines(invoice: Invoice) -> list[DocumentLine]:
    lines = []
    for line in invoice.lines.all():
        usage = line.kind == InvoiceLine.Kind.USAGE
        lines.append(
            DocumentLine(
                description=line.text if usage else line.get_kind_display(),
                detail="" if usage else line.text,
                contract_type=_contract_type(line.contract_type),
                unit_price=format_won(line.unit_price) if line.unit_price is not None else "",
                quantity=f"{line.quantity:,}" if line.quantity is not None else "",
                days=f"{line.days}/{line.period_days}" if line.days is not None else "",
                amount=format_won(line.amount),
            )
        )
    return lines


def _invoice_context(invoice: Invoice) -> dict:
    return {
        "title": _("Final invoice") if invoice.is_final else _("Invoice"),
        "document": invoice,
        "invoice": invoice,
        "lines": _invoice_lines(invoice),
        "totals": [
            (_("Subtotal"), format_won(invoice.subtotal)),
            (_("Credit applied"), format_won(-invoice.credit_applied)),
            (_("VAT"), format_won(invoice.vat)),
            (_("Total"), format_won(invoice.total)),
        ],
        "amount_due": format_won(invoice.total),
    }


def _credit_note_context(note: CreditNote) -> dict:
    invoice = note.invoice
    # What the invoice owes once this note and the notes issued before it are taken off: fixed at this note.
    credited = sum(
        other.total for other in invoice.credit_notes.all() if (other.issued_on, other.pk) <= (note.issued_on, note.pk)
    )
    penalty_lines = [line for line in invoice.lines.all() if line.kind == InvoiceLine.Kind.PENALTY]
    detail = penalty_lines[0].text if penalty_lines else note.description
    return {
        "title": _("Credit note"),
        "is_credit_note": True,
        "document": note,
        "invoice": invoice,
        "lines": [
            DocumentLine(
                description=note.get_kind_display(),
                detail=detail,
                contract_type="",
                unit_price="",
                quantity="",
                days="",
                amount=format_won(note.amount),
            )
        ],
        "totals": [
            (_("Subtotal"), format_won(note.amount)),
            (_("VAT"), format_won(note.vat)),
            (_("Total"), format_won(note.total)),
        ],
        "amount_due": format_won(invoice.total + credited),
    }


def render_html(document: Invoice | CreditNote) -> str:
    """The document as HTML, in its customer's language: the source of the PDF, styled by ``_stylesheet``."""
    invoice = document.invoice if isinstance(document, CreditNote) else document
    customer = invoice.customer
    language = customer_language(customer)
    with translation.override(language):
        context = _credit_note_context(document) if isinstance(document, CreditNote) else _invoice_context(document)
        context |= {
            "language": language,
            "issuer": settings.BILLING_ISSUER,
            "customer_name": _customer_name(customer, language),
            "customer": customer,
            "subscription_name": invoice.subscription.name,
        }
        return render_to_string("billing/documents/document.html", context)


# --- WeasyPrint ----------------------------------------------------------------------------------------------------

# One render at a time per process: the font configuration (fontconfig, pango) is shared by every render and is
# not documented as thread-safe; a process renders few documents at once anyway (the mail step, a download).
_render_lock = threading.Lock()


@cache
def _renderer():
    """The font configuration and URL fetcher every render shares: built once per process (building them costs
    more than a small document's layout). The fetcher allows no protocol: a document loads nothing from outside,
    its stylesheet is inline and its fonts are the system's."""
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    return FontConfiguration(), URLFetcher(allowed_protocols=())


@cache
def _stylesheet(font: str):
    """The documents' stylesheet (``billing/documents/document.css``) with ``font`` first, parsed once per font."""
    from weasyprint import CSS

    font_config, url_fetcher = _renderer()
    css = render_to_string("billing/documents/document.css", {"font": font})
    return CSS(string=css, url_fetcher=url_fetcher, font_config=font_config)


def html_to_pdf(html: str, *, language: str) -> bytes:
    from weasyprint import HTML

    font_config, url_fetcher = _renderer()
    with _render_lock:
        return HTML(string=html, url_fetcher=url_fetcher).write_pdf(
            stylesheets=[_stylesheet(FONTS.get(language, DEFAULT_FONT))], font_config=font_config, pdf_tags=True
        )


def render_pdf(document: Invoice | CreditNote) -> bytes:
    """The document's PDF, rendered now (not kept: see ``document_pdf``)."""
    invoice = document.invoice if isinstance(document, CreditNote) else document
    return html_to_pdf(render_html(document), language=customer_language(invoice.customer))


# --- kept once rendered ----------------------------------------------------------------------------------------------


def pdf_filename(document: Invoice | CreditNote) -> str:
    """`INV-2027-000001.pdf`: the name of the download and of the mail's attachment (SPEC 12)."""
    return f"{document.number}.pdf"


def _read(name: str) -> bytes:
    with default_storage.open(name, "rb") as stored:
        return stored.read()


def document_pdf(document: Invoice | CreditNote) -> bytes:
    """The document's PDF: the stored bytes when it was rendered before, else rendered now and kept.

    Two readers rendering the same document at once both render it; the first to record its file on the row
    wins, and the other serves the winner's bytes and deletes its own file. ``document`` needs its lines, its
    customer and subscription (``documents_for``) unless it was rendered before.
    """
    if document.pdf:
        return _read(document.pdf.name)
    pdf = render_pdf(document)
    name = default_storage.save(pdf_upload_to(document, pdf_filename(document)), ContentFile(pdf))
    recorded = type(document).objects.filter(pk=document.pk, pdf="").update(pdf=name)
    if not recorded:
        default_storage.delete(name)
        document.refresh_from_db(fields=["pdf"])
        return _read(document.pdf.name)
    document.pdf.name = name
    logger.info("rendered %s (%d bytes)", document.number, len(pdf))
    return pdf


def invoices_for_documents(ids: Iterable[int]) -> list[Invoice]:
    """The invoices with what their PDF shows (lines, plans, customer, subscription), in three queries."""
    return list(
        Invoice.objects.filter(pk__in=list(ids))
        .select_related("customer", "subscription")
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.select_related("plan")))
        .order_by("pk")
    )


def credit_notes_for_documents(ids: Iterable[int]) -> list[CreditNote]:
    """The credit notes with their invoice, its lines and its other credit notes, in four queries."""
    return list(
        CreditNote.objects.filter(pk__in=list(ids))
        .select_related("invoice__customer", "invoice__subscription")
        .prefetch_related(
            Prefetch("invoice__lines", queryset=InvoiceLine.objects.select_related("plan")),
            "invoice__credit_notes",
        )
        .order_by("pk")
    )


def document_pdfs(documents: Sequence[Invoice | CreditNote]) -> dict[int, bytes]:
    """Each document's PDF by its id (stored or rendered now); a document that fails to render is logged and
    left out, so that the other documents (and their mails) still go."""
    pdfs = {}
    for document in documents:
        try:
            pdfs[document.pk] = document_pdf(document)
        except Exception:  # noqa: BLE001 - one bad document must not hold back the others' mails
            logger.exception("could not render the PDF of %s", document.number)
    return pdfs
