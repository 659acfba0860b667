"""Billing documents as PDF (SPEC 12, issue 18): N invoice PDFs rendered and kept as the mail step does it.

The month-end jobs only write rows; the PDFs are rendered after the commit by the reminder job's mail step (in
chunks of `DOCUMENT_MAIL_CHUNK_SIZE`) or on the first download. This measures that step's work alone:
`billing.documents.document_pdfs` over `invoices_for_documents` chunk by chunk, each PDF rendered with WeasyPrint
in its customer's language (en, ja, ko in turn), stored in the default storage (a temporary folder here) and
recorded on its invoice row. Reported: PDFs per second, the process's peak resident memory above its start, and
the mean size of a PDF; a check that every invoice got its stored file.
"""

import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.test.utils import override_settings

from bench import db
from bench.metrics import PeakMemory
from bench.report import table
from billing.documents import document_pdfs, invoices_for_documents
from billing.models import ContractType, DocumentKind, Invoice, InvoiceLine, Plan
from billing.numbers import numbers_for
from billing.periods import period_bounds
from subscriptions.models import Status, Subscription
from subscriptions.services.reminders import DOCUMENT_MAIL_CHUNK_SIZE
from workspaces.models import AccountType, Workspace

PAID_START = date(2026, 1, 15)
CUSTOMERS = [
    ("en", "Minji", "Kim"),
    ("ja", "花子", "山田"),
    ("ko", "민지", "김"),
]


@dataclass
class DocumentResult:
    rows: int
    seconds: float
    peak_mib: float
    mean_kib: float
    ok: bool
    detail: str

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def load_invoices(count: int, *, now: datetime) -> list[int]:
    """``count`` issued invoices over three customers (one per language), each with a usage line and every tenth
    with a penalty line as a final invoice has, numbered as the jobs number them."""
    from accounts.models import User

    db.truncate()
    plan = Plan.objects.get(code="basic")
    subscriptions = []
    for index, (language, first_name, last_name) in enumerate(CUSTOMERS):
        customer = User.objects.create_user(
            email=f"documents-{language}@bench.example.com",
            first_name=first_name,
            last_name=last_name,
            language=language,
        )
        workspace = Workspace.objects.create(kind=AccountType.GROUP, name=f"bench-docs-{index}", company_name="Acme")
        subscriptions.append(
            Subscription.objects.create(
                customer=customer,
                workspace=workspace,
                account_type=AccountType.GROUP,
                name=workspace.name,
                admin_account_id=f"admin@{workspace.name}",
                plan=plan,
                status=Status.ACTIVE,
                applied_on=PAID_START - timedelta(days=10),
                trial_last_day=PAID_START + timedelta(days=19),
                grace_last_day=PAID_START + timedelta(days=49),
                paid_start=PAID_START,
                contract_type=ContractType.ANNUAL,
                licences=10,
                term_start=PAID_START,
                term_end=period_bounds(PAID_START, 11).end,
            )
        )
    unit = plan.annual_unit_price
    invoices = []
    for index in range(count):
        subscription = subscriptions[index % len(subscriptions)]
        period = period_bounds(PAID_START, index // len(subscriptions))
        usage = unit * 10
        penalty = 50_000 if index % 10 == 9 else 0
        subtotal = usage + penalty
        invoices.append(
            Invoice(
                subscription=subscription,
                customer_id=subscription.customer_id,
                period_index=period.index,
                period_start=period.start,
                period_end=period.end,
                issued_on=period.next_start,
                is_final=bool(penalty),
                subtotal=subtotal,
                vat=subtotal // 10,
                total=subtotal + subtotal // 10,
            )
        )
    with transaction.atomic():
        numbers = numbers_for(kind=DocumentKind.INVOICE, issued_on=[invoice.issued_on for invoice in invoices])
        for invoice, number in zip(invoices, numbers, strict=True):
            invoice.number = number
        invoices = Invoice.objects.bulk_create(invoices)
        lines = []
        for invoice in invoices:
            days = (invoice.period_end - invoice.period_start).days + 1
            lines.append(
                InvoiceLine(
                    invoice=invoice,
                    kind=InvoiceLine.Kind.USAGE,
                    description=f"Basic {invoice.period_start} – {invoice.period_end}",
                    plan=plan,
                    plan_name="Basic",
                    contract_type=ContractType.ANNUAL,
                    unit_price=unit,
                    quantity=10,
                    days=days,
                    period_days=days,
                    starts_on=invoice.period_start,
                    ends_on=invoice.period_end,
                    amount=unit * 10,
                )
            )
            if invoice.is_final:
                lines.append(
                    InvoiceLine(
                        invoice=invoice,
                        kind=InvoiceLine.Kind.PENALTY,
                        description="",
                        starts_on=PAID_START,
                        ends_on=period_bounds(PAID_START, 11).end,
                        cancellation_date=invoice.period_end + timedelta(days=1),
                        amount=50_000,
                    )
                )
        InvoiceLine.objects.bulk_create(lines)
    return [invoice.pk for invoice in invoices]


def run_documents(count: int, *, now: datetime, log) -> DocumentResult:
    ids = load_invoices(count, now=now)
    media = tempfile.mkdtemp(prefix="works-bench-media-")
    try:
        with override_settings(MEDIA_ROOT=media):
            log(f"bench: rendering {count:,} invoice PDFs in chunks of {DOCUMENT_MAIL_CHUNK_SIZE}")
            sizes = []
            with PeakMemory() as memory:
                started = time.perf_counter()
                for first in range(0, len(ids), DOCUMENT_MAIL_CHUNK_SIZE):
                    pdfs = document_pdfs(invoices_for_documents(ids[first : first + DOCUMENT_MAIL_CHUNK_SIZE]))
                    sizes += [len(pdf) for pdf in pdfs.values()]
                seconds = time.perf_counter() - started
            kept = Invoice.objects.filter(pk__in=ids).exclude(pdf="").count()
    finally:
        shutil.rmtree(media, ignore_errors=True)
        db.truncate()
    ok = len(sizes) == count and kept == count
    detail = f"{len(sizes):,} rendered, {kept:,} kept of {count:,}"
    mean_kib = sum(sizes) / len(sizes) / 1024 if sizes else 0.0
    return DocumentResult(rows=count, seconds=seconds, peak_mib=memory.mib, mean_kib=mean_kib, ok=ok, detail=detail)


def documents_table(result: DocumentResult) -> str:
    headers = ["work", "PDFs", "seconds", "PDFs/s", "peak MiB", "KiB/PDF", "check"]
    row = [
        "render + keep invoice PDFs (en/ja/ko)",
        f"{result.rows:,}",
        f"{result.seconds:.1f}",
        f"{result.per_second:.1f}",
        f"{result.peak_mib:.1f}",
        f"{result.mean_kib:.0f}",
        "OK" if result.ok else f"FAIL ({result.detail})",
    ]
    return table(headers, [row], right={1, 2, 3, 4, 5})
