"""Read-only billing queries: the customer's invoices and credit notes, the credit balance (SPEC 3, 12).

Every query here is bounded: the invoice list costs the same number of queries for 1 or 1,000 invoices.
"""

from django.contrib.auth import get_user_model
from django.db.models import BigIntegerField, F, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import CreditNote, CustomerCredit, Invoice, InvoiceLine

INVOICES_PER_PAGE = 50


def credited_total(invoice) -> Coalesce:
    """The total of the credit notes against ``invoice`` (an ``OuterRef`` to an invoice id), negative or 0, as a
    subquery expression: the amount due is the invoice's total plus it (SPEC 12)."""
    total = (
        CreditNote.objects.filter(invoice_id=invoice)
        .order_by()
        .values("invoice_id")
        .annotate(total=Sum("total"))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0), output_field=BigIntegerField())


def with_amount_due(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """``credited`` (the credit notes' total, <= 0) and ``amount_due`` (total + credited) on every invoice."""
    return invoices.annotate(credited=credited_total(OuterRef("pk"))).annotate(amount_due=F("total") + F("credited"))


def invoice_list_for_customer(*, customer) -> QuerySet[Invoice]:
    """The customer's invoices, newest first, with the subscription name and the amount due in the same query
    and their credit notes' numbers in one more (the list links them)."""
    notes = CreditNote.objects.only("public_id", "number", "invoice_id").order_by("issued_on", "id")
    return (
        with_amount_due(Invoice.objects.filter(customer=customer))
        .select_related("subscription")
        .prefetch_related(Prefetch("credit_notes", queryset=notes))
        .only(
            "public_id",
            "number",
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
    """One invoice of the customer with its lines and credit notes and its amount due (three queries), or None
    when it is not theirs."""
    return (
        with_amount_due(Invoice.objects.filter(customer=customer, public_id=public_id))
        .select_related("subscription")
        .prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.select_related("plan")),
            Prefetch("credit_notes", queryset=CreditNote.objects.order_by("issued_on", "id")),
        )
        .first()
    )


def credit_note_for_customer(*, customer, public_id: str) -> CreditNote | None:
    """One credit note against an invoice of the customer, with that invoice (its lines and all its credit notes,
    for the amount due), or None when it is not theirs: another customer's note is a 404 (SPEC 8)."""
    return (
        CreditNote.objects.filter(invoice__customer=customer, public_id=public_id)
        .select_related("invoice__customer", "invoice__subscription")
        .prefetch_related(
            Prefetch("invoice__lines", queryset=InvoiceLine.objects.select_related("plan")), "invoice__credit_notes"
        )
        .first()
    )


def billing_history_for_customer(*, customer) -> tuple[list[Invoice], list[CreditNote]]:
    """Every invoice (with its amount due) and every credit note of the customer, oldest first, in two queries:
    the rows of the billing history's CSV (SPEC 12)."""
    invoices = list(
        with_amount_due(Invoice.objects.filter(customer=customer))
        .select_related("subscription")
        .order_by("issued_on", "number")
    )
    notes = list(
        CreditNote.objects.filter(invoice__customer=customer)
        .select_related("invoice__subscription")
        .order_by("issued_on", "number")
    )
    return invoices, notes


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
