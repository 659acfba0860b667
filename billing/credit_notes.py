"""Credit notes (SPEC 11): an operator waives the early-termination penalty of an issued final invoice.

The invoice is never edited after issue. The note takes the penalty line back, with the VAT charged on it,
computed by the same pure totals function as every invoice (billing.pricing.invoice_totals).
"""

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from works_console.dates import kst_date

from .models import CreditNote, DocumentKind, Invoice, InvoiceLine
from .numbers import numbers_for
from .pricing import invoice_totals
from .services import vat_rate

logger = logging.getLogger(__name__)


@transaction.atomic
def credit_note_waive_penalty(*, invoice: Invoice, reason: str, by_user, now: datetime) -> CreditNote:
    """Write the credit note that waives ``invoice``'s penalty line (SPEC 5.6, 11); the caller holds the
    subscription's row lock. Refused when the invoice has no penalty, or when it was waived already."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    lines = list(invoice.lines.all())
    penalty = sum(line.amount for line in lines if line.kind == InvoiceLine.Kind.PENALTY)
    if penalty <= 0:
        raise ValidationError(_("This invoice has no early-termination penalty to waive."), code="no_penalty")
    if CreditNote.objects.filter(invoice=invoice, kind=CreditNote.Kind.PENALTY_WAIVER).exists():
        raise ValidationError(_("The penalty of this invoice has already been waived."), code="already_waived")
    # The invoice as it would have been without the penalty: the same usage, adjustments and credit.
    without_penalty = invoice_totals(
        usage_amounts=[line.amount for line in lines if line.kind == InvoiceLine.Kind.USAGE],
        penalty_amount=0,
        adjustment_amounts=[line.amount for line in lines if line.kind == InvoiceLine.Kind.ADJUSTMENT],
        credit_available=invoice.credit_applied,
        vat_rate=vat_rate(),
    )
    vat = min(without_penalty.vat - invoice.vat, 0)
    issued_on = kst_date(now)
    (number,) = numbers_for(kind=DocumentKind.CREDIT_NOTE, issued_on=[issued_on])
    note = CreditNote.objects.create(
        number=number,
        invoice=invoice,
        kind=CreditNote.Kind.PENALTY_WAIVER,
        description=f"Early-termination penalty of invoice {invoice.number} waived",
        amount=-penalty,
        vat=vat,
        total=-penalty + vat,
        reason=reason[:200],
        issued_on=issued_on,
        issued_by=by_user,
    )
    logger.info("waived the penalty of invoice %s with %s (%d KRW)", invoice.number, note.number, penalty)
    return note
