"""The customer's invoices (SPEC 3, 9, 12): a list with one row per invoice, each invoice with its lines and
credit notes, each credit note on a page of its own, every document as a PDF, and the history as CSV.

Every lookup is scoped to the logged-in customer: another customer's document is a 404.
"""

import io

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from works_console.dates import kst_date

from . import selectors
from .documents import document_pdf, pdf_filename
from .exports import billing_history_csv
from .models import CreditNote, Invoice


def document_download(document: Invoice | CreditNote) -> FileResponse:
    """The document's PDF as a download named `<number>.pdf` (SPEC 12): the kept bytes, rendered on first use."""
    return FileResponse(
        io.BytesIO(document_pdf(document)),
        as_attachment=True,
        filename=pdf_filename(document),
        content_type="application/pdf",
    )


@login_required
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    """One row per invoice, newest first; a constant number of queries per page whatever the count."""
    paginator = Paginator(selectors.invoice_list_for_customer(customer=request.user), selectors.INVOICES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "billing/invoice_list.html",
        {"page": page, "credit_balance": selectors.credit_balance(customer_id=request.user.pk)},
    )


def _owned(find, request: HttpRequest, public_id: str):
    """The logged-in customer's document found by ``find`` (a selector scoped to the customer), else a 404."""
    document = find(customer=request.user, public_id=public_id)
    if document is None:
        raise Http404
    return document


@login_required
@require_GET
def invoice_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    invoice = _owned(selectors.invoice_for_customer, request, public_id)
    return render(request, "billing/invoice_detail.html", {"invoice": invoice})


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    return document_download(_owned(selectors.invoice_for_customer, request, public_id))


@login_required
@require_GET
def credit_note_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    note = _owned(selectors.credit_note_for_customer, request, public_id)
    invoice = note.invoice
    amount_due = invoice.total + sum(other.total for other in invoice.credit_notes.all())
    return render(
        request, "billing/credit_note_detail.html", {"note": note, "invoice": invoice, "amount_due": amount_due}
    )


@login_required
@require_GET
def credit_note_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    return document_download(_owned(selectors.credit_note_for_customer, request, public_id))


@login_required
@require_GET
def invoice_csv(request: HttpRequest) -> HttpResponse:
    """`Download CSV`: every invoice and credit note of the customer (SPEC 12), in the UI language."""
    invoices, notes = selectors.billing_history_for_customer(customer=request.user)
    response = HttpResponse(billing_history_csv(invoices, notes), content_type="text/csv; charset=utf-8")
    filename = f"invoices-{kst_date(timezone.now()).isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
