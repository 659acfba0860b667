"""The customer's invoices (SPEC 3, 9): a list with one row per invoice, and each invoice's lines."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors


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


@login_required
@require_GET
def invoice_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    invoice = selectors.invoice_for_customer(customer=request.user, public_id=public_id)
    if invoice is None:
        raise Http404
    return render(request, "billing/invoice_detail.html", {"invoice": invoice})
