"""Read-only billing queries: the customer's invoices, the credit balance (SPEC 3).

Every query here is bounded: the invoice list costs the same number of queries for 1 or 1,000 invoices.
"""

from django.contrib.auth import get_user_model
from django.db.models import BigIntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import CustomerCredit, Invoice, InvoiceLine

INVOICES_PER_PAGE = 50


def invoice_list_for_customer(*, customer) -> QuerySet[Invoice]:
    """The customer's invoices, newest period first, with the subscription name in the same query."""
    return (
        Invoice.objects.filter(customer=customer)
        .select_related("subscription")
        .only(
            "public_id",
            "period_index",
            "period_start",
            "period_end",
            "issued_on",
            "is_final",
            "subtotal",
            "credit_applied",
            "vat",
            "total",
            "subscription__name",
            "subscription__public_id",
        )
        .order_by("-issued_on", "-period_start", "-id")
    )


def invoice_for_customer(*, customer, public_id: str) -> Invoice | None:
    """One invoice of the customer with its lines (two queries), or None when it is not theirs."""
    return (
        Invoice.objects.filter(customer=customer, public_id=public_id)
        .select_related("subscription")
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.select_related("plan")))
        .first()
    )


def credit_balance(*, customer_id: int) -> int:
    """The customer's credit balance in KRW: grants minus what invoices consumed (SPEC 3)."""
    return CustomerCredit.objects.balance_for(customer_id)


def credit_balance_of(customer) -> Coalesce:
    """The credit balance of ``customer`` (an ``OuterRef`` to a customer id) as a subquery expression, 0 without
    any credit rows: for one query over many customers or many subscriptions."""
    total = (
        CustomerCredit.objects.filter(customer_id=customer)
        .order_by()
        .values("customer_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0), output_field=BigIntegerField())


def credit_balances(customer_ids) -> dict[int, int]:
    """The credit balances of these customers, read without a lock (a preview, a dashboard), in one query."""
    rows = (
        get_user_model()
        .objects.filter(pk__in=customer_ids)
        .annotate(balance=credit_balance_of(OuterRef("pk")))
        .values_list("pk", "balance")
    )
    return dict(rows)
